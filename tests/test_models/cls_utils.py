"""Tiny classifier configs and batches shared by the classification tests."""
import torch

import mmseg_ada  # noqa: F401  (registers the modules)
from mmseg_ada.structures import ClsDataSample

NUM_CLASSES = 5
EMB = 16
TINY_BACKBONE = dict(
    type='ResNet',
    depth=18,
    base_channels=8,
    stem_channels=8,
    out_indices=(3, ),
    style='pytorch')


def tiny_cfg(head='BottleneckClsHead', **kw):
    """Config of an ADAImageClassifier with a ResNet-18 of 8 channels."""
    cfg = dict(
        type='ADAImageClassifier',
        backbone=TINY_BACKBONE,
        head=dict(
            type=head,
            num_classes=NUM_CLASSES,
            in_channels=64,
            bottleneck_channels=EMB))
    cfg.update(kw)
    return cfg


def build(cfg, seed=0):
    from mmseg.registry import MODELS
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def batch(n, seed, size=32, labels=None):
    """``n`` random images and samples with labels (seeded)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    if labels is None:
        labels = torch.randint(0, NUM_CLASSES, (n, ), generator=g).tolist()
    samples = [
        ClsDataSample(
            metainfo=dict(
                sample_idx=seed * 100 +
                i, img_path=f'img_{seed}_{i}.jpg')).set_gt_label(int(y))
        for i, y in enumerate(labels)
    ]
    return x, samples
