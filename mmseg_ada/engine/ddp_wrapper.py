"""A DDP wrapper that also works for CPU (gloo) runs."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import \
    MODEL_WRAPPERS  # the runner looks wrappers up here
from torch import nn


@MODEL_WRAPPERS.register_module()
class ADADistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that runs on CPU processes too.

    mmengine passes ``device_ids=[LOCAL_RANK]`` to every DDP wrapper, which
    PyTorch rejects for a module on the CPU, and mmseg's configs use
    ``SyncBN``, which has no CPU kernel.  For a CPU module this wrapper drops
    ``device_ids`` and reverts ``SyncBN`` to ``BN`` (each process then keeps
    its own batch statistics, as with plain DDP); on GPUs it is exactly
    :class:`MMDistributedDataParallel`.  On the CPU the buffers (BN running
    statistics) are broadcast from rank 0 after every training step, so all
    ranks hold the same model at all times (validation shards agree), as
    SyncBN gives on GPUs.  ``sync_buffers=True`` does the same on GPUs, for
    models with plain BN (the classification configs): otherwise every GPU
    keeps its own running statistics, as with mmengine's wrapper.

    Args:
        module (nn.Module): the model to wrap.
        device_ids (Sequence[int], optional): CUDA device ids (ignored on CPU).
        sync_buffers (bool, optional): Broadcast rank 0's buffers after
            every training step. Defaults to None: on CPU only.
        **kwargs: other :class:`~torch.nn.parallel.DistributedDataParallel`
            arguments.
    """

    def __init__(self,
                 module: nn.Module,
                 device_ids: Optional[Sequence[int]] = None,
                 sync_buffers: Optional[bool] = None,
                 **kwargs: Any) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = None
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, device_ids=device_ids, **kwargs)
        self._sync_buffers_after_step = (
            on_cpu if sync_buffers is None else bool(sync_buffers))

    def train_step(self, data, optim_wrapper):
        """One DDP training step; on CPU then share rank 0's buffers.

        Args:
            data (dict | tuple | list): a batch from the dataloader.
            optim_wrapper (OptimWrapper): the optimiser wrapper.

        Returns:
            dict[str, torch.Tensor]: the log variables.
        """
        log_vars = super().train_step(data, optim_wrapper)
        if self._sync_buffers_after_step:
            broadcast_buffers(self.module)
        return log_vars


def broadcast_buffers(module: nn.Module, src: int = 0) -> None:
    """Give every rank rank ``src``'s buffers of ``module`` (BN running
    statistics), in place; a no-op outside a process group.

    Args:
        module: the (unwrapped) model.
        src: the rank whose buffers win.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()
            and torch_dist.get_world_size() > 1):
        return
    with torch.no_grad():
        for buf in module.buffers():
            torch_dist.broadcast(buf, src=src)
