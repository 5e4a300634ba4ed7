"""setup_launcher: what tools/train.py changes in a config per machine."""
import pytest
import torch
from mmengine.config import Config

from mmseg_ada.utils.launch import setup_launcher


def test_gpu_keeps_mmengine_wrapping_unless_our_wrapper_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = Config(dict(model=dict()))
    setup_launcher(cfg, 'pytorch')
    assert cfg.launcher == 'pytorch' and 'model_wrapper_cfg' not in cfg
    # a config naming ADADistributedDataParallel (the classification
    # runtime: sync_buffers=True) gets mmengine's own defaults, and the
    # top-level find_unused_parameters is not lost
    cfg = Config(
        dict(
            find_unused_parameters=True,
            model_wrapper_cfg=dict(
                type='ADADistributedDataParallel', sync_buffers=True)))
    setup_launcher(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='ADADistributedDataParallel',
        sync_buffers=True,
        broadcast_buffers=False,
        find_unused_parameters=True)


def test_cpu_without_torchrun_names_the_missing_variable(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.delenv('MASTER_ADDR', raising=False)
    monkeypatch.delenv('RANK', raising=False)
    with pytest.raises(RuntimeError, match='needs CUDA'):
        setup_launcher(Config(dict()), 'slurm')
    with pytest.raises(RuntimeError, match='RANK'):
        setup_launcher(Config(dict()), 'pytorch')
    cfg = Config(dict(model_wrapper_cfg=dict(type='Other')))
    setup_launcher(cfg, 'none')
    assert cfg.model_wrapper_cfg == dict(type='Other')
