"""A DDP wrapper for models that train with several optimisers."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from .ddp_wrapper import ADADistributedDataParallel, broadcast_buffers


@MODEL_WRAPPERS.register_module()
class ADAAdversarialDistributedDataParallel(ADADistributedDataParallel):
    """:class:`ADADistributedDataParallel` for multi-optimiser models such as
    :class:`~mmseg_ada.models.segmentors.AdversarialEncoderDecoder`.

    mmengine's :class:`~mmengine.model.MMDistributedDataParallel` runs one
    forward/backward with one optimiser and cannot take an
    :class:`~mmengine.optim.OptimWrapperDict`;
    :class:`~mmengine.model.MMSeparateDistributedDataParallel` wraps every
    child separately, which breaks mmseg's ``EncoderDecoder`` (it reads
    attributes of ``decode_head`` and calls its methods other than
    ``forward``).  This wrapper keeps ONE DDP over the whole model and, given
    an ``OptimWrapperDict``, calls ``module.train_step(data, optim_wrapper,
    forward=self)``: the model runs each of its passes through this wrapper
    (``self(**data, mode=...)``), so each pass is followed by one backward
    whose gradients DDP all-reduces.  A pass leaves some parameters without
    gradients (the frozen discriminator in the segmentor step, the whole
    segmentor in the discriminator step), so ``find_unused_parameters`` is
    always on; parameters unused on every rank keep no gradient.  With a
    plain ``OptimWrapper`` it behaves as :class:`ADADistributedDataParallel`
    (also on CPU/gloo: SyncBN reverted, buffers shared from rank 0 after
    each step).

    Args:
        module (nn.Module): the model; its ``train_step`` must accept
            ``forward=``.
        device_ids (Sequence[int], optional): CUDA device ids (ignored on CPU).
        find_unused_parameters (bool): must be True (the default).
        **kwargs: other :class:`~torch.nn.parallel.DistributedDataParallel`
            arguments.
    """

    def __init__(self,
                 module: nn.Module,
                 device_ids: Optional[Sequence[int]] = None,
                 find_unused_parameters: bool = True,
                 **kwargs: Any) -> None:
        if not find_unused_parameters:
            raise ValueError(
                'ADAAdversarialDistributedDataParallel needs '
                'find_unused_parameters=True: each of its passes leaves part '
                'of the model (discriminator or segmentor) unused')
        super().__init__(
            module=module,
            device_ids=device_ids,
            find_unused_parameters=True,
            **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """Delegate a multi-optimiser step to the model, through DDP.

        Args:
            data: a batch from the dataloader.
            optim_wrapper: an :class:`OptimWrapperDict` (the model's
                ``train_step`` runs its passes with ``forward=self``); any
                other wrapper takes the parent's single-optimiser step.

        Returns:
            dict[str, torch.Tensor]: the log variables.
        """
        if not isinstance(optim_wrapper, OptimWrapperDict):
            return super().train_step(data, optim_wrapper)
        log_vars = self.module.train_step(data, optim_wrapper, forward=self)
        if self._sync_buffers_after_step:
            broadcast_buffers(self.module)
        return log_vars
