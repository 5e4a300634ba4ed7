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
    SyncBN gives on GPUs.

    Args:
        module (nn.Module): the model to wrap.
        device_ids (Sequence[int], optional): CUDA device ids (ignored on CPU).
        **kwargs: other :class:`~torch.nn.parallel.DistributedDataParallel`
            arguments.
    """

    def __init__(self,
                 module: nn.Module,
                 device_ids: Optional[Sequence[int]] = None,
                 **kwargs: Any) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = None
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, device_ids=device_ids, **kwargs)
        self._sync_buffers_after_step = on_cpu

    def train_step(self, data, optim_wrapper):
        """One DDP training step; on CPU then share rank 0's buffers."""
        log_vars = super().train_step(data, optim_wrapper)
        if self._sync_buffers_after_step:
            with torch.no_grad():
                for buf in self.module.buffers():
                    torch_dist.broadcast(buf, src=0)
        return log_vars
