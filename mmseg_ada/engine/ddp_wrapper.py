"""A DDP wrapper that also works for CPU (gloo) runs."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import torch
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmseg.registry import MODEL_WRAPPERS
from torch import nn


@MODEL_WRAPPERS.register_module()
class ADADistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that runs on CPU processes too.

    mmengine passes ``device_ids=[LOCAL_RANK]`` to every DDP wrapper, which
    PyTorch rejects for a module on the CPU, and mmseg's configs use
    ``SyncBN``, which has no CPU kernel.  For a CPU module this wrapper drops
    ``device_ids`` and reverts ``SyncBN`` to ``BN`` (each process then keeps
    its own batch statistics, as with plain DDP); on GPUs it is exactly
    :class:`MMDistributedDataParallel`.

    Args:
        module (nn.Module): the model to wrap.
        device_ids (Sequence[int], optional): CUDA device ids (ignored on CPU).
        **kwargs: other :class:`~torch.nn.parallel.DistributedDataParallel`
            arguments.
    """

    def __init__(self, module: nn.Module,
                 device_ids: Optional[Sequence[int]] = None,
                 **kwargs: Any) -> None:
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = None
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, device_ids=device_ids, **kwargs)
