"""Start-up helpers shared by ``tools/train.py`` and ``tools/test.py``."""
from __future__ import annotations

import atexit
import os
import sys
import threading
from datetime import timedelta
from typing import NoReturn

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


def close_distributed() -> bool:
    """End this process's part in the process group, if there is one.

    A barrier (every rank has finished its last collective, and rank 0,
    which serves the rendezvous store, stays until then), then
    ``destroy_process_group``.  Only for the paths where every rank
    arrives together (the run ended; every rank stopped for a person's
    labels), never after a failure, where the other ranks may not reach
    the barrier.  :func:`end_process` calls it.

    Returns:
        bool: whether there was a process group.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return False
    torch_dist.barrier()
    torch_dist.destroy_process_group()
    return True


def end_process(status: int) -> NoReturn:
    """Exit with ``status``; after a distributed run, without the C++
    teardown.

    Ends the process group first (:func:`close_distributed`: every rank
    must arrive here together).  A gloo worker thread releases a finished
    collective's tensors after the caller has seen it complete; if that
    happens while the interpreter finalises, the thread cannot take the
    GIL and the process aborts (SIGABRT, "terminate called without an
    active exception") after its work is done, and torchrun reports a
    failure (seen in 4 of 40 runs of a 2-process gloo script without
    ``destroy_process_group``, in 1 of 40 with it, and in none of 40
    ending here).  So after a distributed run this does what the
    interpreter does before finalising (``threading._shutdown``: the
    threading exit hooks, which stop idle ``concurrent.futures`` workers,
    then joins the non-daemon threads; the ``atexit`` handlers: logging,
    data-loader workers; flushes) and leaves with ``os._exit``, as
    ``multiprocessing``'s children do.  Without a process group (or off
    the main thread, or without ``threading._shutdown``) it is
    ``sys.exit(status)``.

    Args:
        status: the exit status.
    """
    distributed = close_distributed()
    shutdown = getattr(threading, '_shutdown', None)
    if not distributed or shutdown is None or \
            threading.current_thread() is not threading.main_thread():
        sys.exit(status)
    shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone: nothing to flush
            pass
    os._exit(status)


def _set_wrapper(cfg: Config, wrapper: dict) -> None:
    """``cfg.model_wrapper_cfg = wrapper`` with what mmengine sets when it
    wraps the model itself (no buffer broadcast, the config's
    ``find_unused_parameters``)."""
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
