"""Tests of the decode heads with features (DeepLabV2, DeepLabV3+)."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.decode_heads import DepthwiseSeparableASPPHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401  (registers the heads)
from mmseg_ada.models.decode_heads import (DeepLabV2Head,
                                           DepthwiseSeparableASPPFeatHead,
                                           FeatureHeadMixin)

DILATIONS = (1, 2, 3, 4)


def _levels(batch=2, size=9, chans=(4, 5, 6, 8), seed=0):
    """Four feature levels, the last one read by the V2 heads."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size, size, generator=g) for c in chans]


def _randomise_bn(bn, seed=1):
    g = torch.Generator().manual_seed(seed)
    n = bn.num_features
    bn.running_mean.copy_(torch.randn(n, generator=g))
    bn.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    bn.weight.data.copy_(torch.randn(n, generator=g))
    bn.bias.data.copy_(torch.randn(n, generator=g))


def _v2(bottleneck=True, **kw):
    cfg = dict(
        type='DeepLabV2Head',
        in_channels=8,
        in_index=3,
        channels=6,
        num_classes=3,
        dilations=DILATIONS,
        bottleneck=bottleneck,
        norm_cfg=dict(type='BN'))
    cfg.update(kw)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def test_deeplabv2_bottleneck_shapes():
    head = _v2()
    assert isinstance(head, DeepLabV2Head) and isinstance(
        head, FeatureHeadMixin)
    assert head.with_features and head.feat_channels == 6
    x = _levels()
    feat = head.forward_feature(x)
    assert feat.shape == (2, 6, 9, 9)
    assert head(x).shape == (2, 3, 9, 9)


def test_deeplabv2_forward_is_cls_seg_of_feature():
    head = _v2(dropout_ratio=0.5).eval()
    x = _levels()
    with torch.no_grad():
        torch.testing.assert_close(
            head(x), head.cls_seg(head.forward_feature(x)))
        torch.testing.assert_close(
            head(x), head.conv_seg(head.forward_feature(x)))


@pytest.mark.parametrize('with_norm', [True, False])
def test_deeplabv2_bottleneck_feature_is_relu_norm_of_branch_sum(with_norm):
    head = _v2(norm_cfg=dict(type='BN') if with_norm else None).eval()
    x = _levels()[3]
    convs = [m.conv for m in head.aspp_modules]
    if with_norm:
        _randomise_bn(head.fuse[0])
        assert all(c.bias is None for c in convs)
    else:
        assert all(c.bias is not None for c in convs)
        for c in convs:  # non-zero biases, so a dropped bias would show
            c.bias.data.normal_()
    total = sum(
        F.conv2d(x, c.weight, c.bias, padding=d, dilation=d)
        for c, d in zip(convs, DILATIONS))
    if with_norm:
        bn = head.fuse[0]
        total = ((total - bn.running_mean[:, None, None]) /
                 torch.sqrt(bn.running_var[:, None, None] + bn.eps) *
                 bn.weight[:, None, None] + bn.bias[:, None, None])
    expected = total.clamp(min=0)
    with torch.no_grad():
        torch.testing.assert_close(
            head.forward_feature([None, None, None, x]), expected)


def test_deeplabv2_feature_taken_before_dropout():
    head = _v2(dropout_ratio=0.5).train()
    x = _levels()
    torch.manual_seed(0)
    with torch.no_grad():
        f1, f2 = head.forward_feature(x), head.forward_feature(x)
        l1, l2 = head(x), head(x)
    torch.testing.assert_close(f1, f2)  # BN in train mode: batch stats
    assert not torch.allclose(l1, l2)  # dropout acts inside cls_seg only


def test_deeplabv2_classic_is_sum_of_branch_logits():
    head = _v2(bottleneck=False).eval()
    assert not head.with_features
    assert not any(k.startswith('conv_seg') for k in head.state_dict())
    for conv in head.aspp_modules:
        conv.bias.data.normal_()
    x = _levels()[3]
    expected = sum(
        F.conv2d(x, c.weight, c.bias, padding=d, dilation=d)
        for c, d in zip(head.aspp_modules, DILATIONS))
    with torch.no_grad():
        out = head([None, None, None, x])
    assert out.shape == (2, 3, 9, 9)
    torch.testing.assert_close(out, expected)
    with pytest.raises(RuntimeError, match='bottleneck=True'):
        head.forward_feature([x])
    with pytest.raises(RuntimeError, match='bottleneck=True'):
        head.cls_seg(out)
    with pytest.raises(RuntimeError, match='bottleneck=True'):
        head.feat_channels


def test_deeplabv2_classic_init_is_normal_001():
    head = _v2(bottleneck=False, in_channels=64, num_classes=19)
    weights = torch.cat([c.weight.flatten() for c in head.aspp_modules])
    assert weights.numel() == 4 * 19 * 64 * 9
    assert abs(weights.std().item() - 0.01) < 0.001
    assert abs(weights.mean().item()) < 0.001


@pytest.mark.parametrize('bad', [(), (6, 0), [6, 1.5], 6])
def test_deeplabv2_rejects_bad_dilations(bad):
    with pytest.raises(ValueError, match='dilations'):
        _v2(dilations=bad)


@pytest.mark.parametrize('bottleneck', [True, False])
def test_deeplabv2_loss_path(bottleneck):
    head = _v2(bottleneck=bottleneck).train()
    x = _levels(batch=1)
    label = torch.randint(0, 3, (1, 36, 36))
    label[:, :10] = 255
    sample = SegDataSample(gt_sem_seg=PixelData(data=label))
    losses = head.loss(x, [sample], dict())
    assert torch.isfinite(losses['loss_ce']) and losses['loss_ce'] > 0
    losses['loss_ce'].backward()
    assert all(p.grad is not None for p in head.aspp_modules.parameters())


def _v3p_cfg(**kw):
    cfg = dict(
        in_channels=8,
        in_index=3,
        channels=6,
        dilations=(1, 2, 3, 4),
        c1_in_channels=4,
        c1_channels=2,
        dropout_ratio=0.1,
        num_classes=3,
        norm_cfg=dict(type='BN'))
    cfg.update(kw)
    return cfg


def test_sep_aspp_feat_head_matches_mmseg_head():
    torch.manual_seed(0)
    ours = MODELS.build(
        dict(type='DepthwiseSeparableASPPFeatHead', **_v3p_cfg())).eval()
    assert isinstance(ours, DepthwiseSeparableASPPFeatHead)
    ref = DepthwiseSeparableASPPHead(**_v3p_cfg()).eval()
    ref.load_state_dict(ours.state_dict(), strict=True)  # same parameters
    for m in ours.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            _randomise_bn(m, seed=m.num_features)
    ref.load_state_dict(ours.state_dict())
    x = _levels(size=12)
    x[0] = torch.randn(2, 4, 24, 24)  # c1 level at twice the resolution
    with torch.no_grad():
        feat = ours.forward_feature(x)
        logits = ours(x)
        expected = ref(x)
    assert ours.with_features and ours.feat_channels == 6
    assert feat.shape == (2, 6, 24, 24)  # decoder feature at c1 resolution
    assert logits.shape == (2, 3, 24, 24)
    torch.testing.assert_close(logits, expected)
    torch.testing.assert_close(ours.conv_seg(feat), logits)


def test_sep_aspp_feat_head_without_c1_branch():
    head = DepthwiseSeparableASPPFeatHead(
        **_v3p_cfg(c1_in_channels=0, c1_channels=0)).eval()
    x = _levels(size=12)
    with torch.no_grad():
        feat = head.forward_feature(x)
        torch.testing.assert_close(head(x), head.conv_seg(feat))
    assert feat.shape == (2, 6, 12, 12)
