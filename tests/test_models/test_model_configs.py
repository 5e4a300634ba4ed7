"""Tests of the model base configs and the DA optimiser schedule."""
import argparse
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401  (registers our heads)

BASE = Path(__file__).resolve().parents[2] / 'configs' / '_base_'
SCHEDULE = BASE / 'schedules' / 'da_sgd_poly.py'


class _ToySegmentor(nn.Module):
    """Parameter names like an ``EncoderDecoder``'s."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.decode_head = nn.Conv2d(4, 2, 1)
        self.auxiliary_head = nn.Conv2d(4, 2, 1)


def _group_lr_of(optimizer):
    return {
        id(p): group['lr']
        for group in optimizer.param_groups
        for p in group['params']
    }


def test_schedule_heads_get_10x_lr():
    cfg = Config.fromfile(str(SCHEDULE))
    model = _ToySegmentor()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimizer = wrapper.optimizer
    assert isinstance(optimizer, torch.optim.SGD)
    lrs = _group_lr_of(optimizer)
    for name, p in model.named_parameters():
        expected = 2.5e-4 * (10. if 'head' in name else 1.)
        assert lrs[id(p)] == pytest.approx(expected), name
    for group in optimizer.param_groups:
        assert group['momentum'] == 0.9
        assert group['weight_decay'] == pytest.approx(5e-4)


def test_schedule_poly_decay_to_zero():
    cfg = Config.fromfile(str(SCHEDULE))
    (sched_cfg, ) = cfg.param_scheduler
    assert sched_cfg.end == cfg.max_iters == cfg.train_cfg.max_iters
    total = 10  # a short run of the same scheduler
    model = _ToySegmentor()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    scheduler = PARAM_SCHEDULERS.build(
        dict(sched_cfg, end=total, optimizer=wrapper))
    base = [g['lr'] for g in wrapper.optimizer.param_groups]
    for t in range(total):
        for g, lr0 in zip(wrapper.optimizer.param_groups, base):
            # closed form of poly decay, lr0 * (1 - t / T') ** 0.9; mmengine
            # decays over T' = end - begin - 1 steps, reaching 0 at the last
            # iteration (end - 1)
            assert g['lr'] == pytest.approx(
                lr0 * (1 - t / (total - 1))**0.9, abs=1e-12)
        wrapper.optimizer.step()
        scheduler.step()
    assert all(g['lr'] == pytest.approx(0., abs=1e-12)
               for g in wrapper.optimizer.param_groups)


def _offline_model_cfg(name):
    """Load a model base the way a user does with ``--cfg-options``."""
    cfg = Config.fromfile(str(BASE / 'models' / name))
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['--cfg-options', 'model.backbone.init_cfg=None'])
    cfg.merge_from_dict(args.cfg_options)
    assert cfg.model.backbone.init_cfg is None
    return cfg


def _build(model_cfg):
    """Build a model in mmseg's scope (as the runner does).

    ``init_weights`` is not called: on ResNet-101 mmengine's init bookkeeping
    alone takes ~12 s on this CPU. Whether it would download is decided by
    the backbone's ``init_cfg``, checked instead.
    """
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(model_cfg)
    return revert_sync_batchnorm(model)  # what Runner does undistributed


def _has_pretrained_init(init_cfg):
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    return any(c is not None and c.get('type') == 'Pretrained' for c in cfgs)


def _tiny_batch(batch=2, size=33):
    # batch 2: the V3+ image-pool BN cannot train on one 1x1 value
    inputs = torch.randn(batch, 3, size, size)
    samples = []
    for _ in range(batch):
        label = torch.randint(0, 19, (1, size, size))
        label[:, :10] = 255  # unlabelled pixels
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(
            dict(
                img_shape=(size, size),
                ori_shape=(size, size),
                pad_shape=(size, size)))
        samples.append(sample)
    return inputs, samples


@pytest.mark.parametrize('name, head_type, aux_type, pretrained, feat_hw', [
    ('deeplabv2_r101.py', 'DeepLabV2Head', 'DeepLabV2Head',
     'torchvision://resnet101', 5),
    ('deeplabv3plus_r101-d8.py', 'DepthwiseSeparableASPPFeatHead', 'FCNHead',
     'open-mmlab://resnet101_v1c', 9),
])
def test_model_config_builds_and_runs_on_cpu(name, head_type, aux_type,
                                             pretrained, feat_hw):
    raw = Config.fromfile(str(BASE / 'models' / name))
    assert raw.model.backbone.init_cfg.checkpoint == pretrained
    assert raw.model.backbone.depth == 101
    cfg = _offline_model_cfg(name)
    model = _build(cfg.model)
    # offline: the backbone falls back to its random (Kaiming) init
    assert _has_pretrained_init(raw.model.backbone.init_cfg)
    assert model.backbone.init_cfg
    assert not _has_pretrained_init(model.backbone.init_cfg)
    assert type(model.decode_head).__name__ == head_type
    assert type(model.auxiliary_head).__name__ == aux_type
    assert model.decode_head.feat_channels == 256
    inputs, samples = _tiny_batch()
    model.train()
    with torch.no_grad():  # the one ResNet-101 forward, heads get grads
        feats = model.extract_feat(inputs)
    assert feats[3].shape[1] == 2048 and feats[2].shape[1] == 1024
    feat = model.decode_head.forward_feature(feats)
    assert feat.shape == (2, 256, feat_hw, feat_hw)
    logits = model.decode_head.cls_seg(feat)
    assert logits.shape == (2, 19, feat_hw, feat_hw)
    losses = model._decode_head_forward_train(feats, samples)
    losses.update(model._auxiliary_head_forward_train(feats, samples))
    assert set(losses) >= {'decode.loss_ce', 'aux.loss_ce'}
    assert all(torch.isfinite(v) for k, v in losses.items() if 'loss' in k)


def test_deeplabv2_aux_is_adaptsegnet_classifier_on_layer3():
    cfg = Config.fromfile(str(BASE / 'models' / 'deeplabv2_r101.py'))
    aux = cfg.model.auxiliary_head
    assert (aux.in_index, aux.in_channels, aux.bottleneck) == (2, 1024, False)
    assert aux.loss_decode.loss_weight == 0.1
    head = cfg.model.decode_head
    assert (head.in_index, head.in_channels, head.channels) == (3, 2048, 256)
    assert tuple(head.dilations) == (6, 12, 18, 24) and head.bottleneck
    backbone = cfg.model.backbone
    assert backbone.type == 'ResNet'
    assert tuple(backbone.strides) == (1, 2, 1, 1)
    assert tuple(backbone.dilations) == (1, 1, 2, 4)


def test_frozen_bn_backbone_keeps_statistics():
    cfg = _offline_model_cfg('deeplabv2_r101_frozen-bn.py')
    backbone = _build(cfg.model.backbone)
    bns = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) > 100  # every BN of ResNet-101
    for bn in bns:
        assert not bn.weight.requires_grad and not bn.bias.requires_grad
    for i, bn in enumerate(bns):  # non-default statistics
        bn.running_mean.fill_(0.01 * i)
        bn.running_var.fill_(1. + 0.01 * i)
    before = [(bn.running_mean.clone(), bn.running_var.clone()) for bn in bns]
    backbone.train()
    assert not any(bn.training for bn in bns)
    with torch.no_grad():
        backbone(torch.randn(2, 3, 33, 33) * 3 + 1)
    for bn, (mean, var) in zip(bns, before):
        torch.testing.assert_close(bn.running_mean, mean)
        torch.testing.assert_close(bn.running_var, var)
    # the heads' BN stays trainable
    head = _build(cfg.model.decode_head).train()
    assert head.fuse[0].training and head.fuse[0].weight.requires_grad
    # the V3+ variant freezes the same way
    v3 = Config.fromfile(
        str(BASE / 'models' / 'deeplabv3plus_r101-d8_frozen-bn.py'))
    assert v3.model.backbone.norm_cfg == dict(type='BN', requires_grad=False)
    assert v3.model.backbone.norm_eval is True
    assert v3.model.decode_head.type == 'DepthwiseSeparableASPPFeatHead'
    assert v3.model.decode_head.norm_cfg.requires_grad
