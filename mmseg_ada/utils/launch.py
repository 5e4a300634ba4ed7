"""Start-up helpers shared by ``tools/train.py`` and ``tools/test.py``."""
from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (in place) for ``launcher`` on GPU or CPU machines.

    With GPUs nothing changes: mmengine initialises NCCL as usual.  Without
    CUDA, mmengine's ``init_dist`` would call ``torch.cuda.set_device`` and
    fail, so for ``launcher='pytorch'`` (``torchrun``) the gloo process group
    is initialised here from the ``torchrun`` environment, and the model is
    wrapped by :class:`~mmseg_ada.engine.ADADistributedDataParallel`, which
    accepts CPU modules.

    Args:
        cfg: the loaded config.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    wrapper = cfg.get('model_wrapper_cfg') or {}
    if torch.cuda.is_available():
        if wrapper.get('type') == 'ADADistributedDataParallel':
            # a config that names our wrapper (to share BN statistics
            # across GPUs)
            _set_wrapper(cfg, wrapper)
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher={launcher!r} needs CUDA; on CPU-only machines use '
            "torchrun (tools/dist_train.sh), i.e. launcher='pytorch'")
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
            if var not in os.environ:
                raise RuntimeError(
                    f'--launcher pytorch: environment variable {var} is not '
                    'set; start the tool with torchrun or tools/dist_train.sh')
        torch_dist.init_process_group(
            backend='gloo', timeout=timedelta(minutes=30))
    if wrapper.get(
            'type',
            'MMDistributedDataParallel') in ('MMDistributedDataParallel',
                                             'ADADistributedDataParallel'):
        wrapper['type'] = 'ADADistributedDataParallel'
        _set_wrapper(cfg, wrapper)


def _set_wrapper(cfg: Config, wrapper: dict) -> None:
    """``cfg.model_wrapper_cfg = wrapper`` with what mmengine sets when it
    wraps the model itself (no buffer broadcast, the config's
    ``find_unused_parameters``)."""
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
