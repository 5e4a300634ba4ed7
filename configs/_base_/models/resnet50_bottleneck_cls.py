# ResNet-50 + bottleneck classifier of the classification ADA literature
# (LADA, SDM, CLUE): torchvision ResNet-50 (ImageNet) -> global average
# pooling -> Linear(2048, 256) + BatchNorm1d -> Linear(256, C).
# mmseg's ResNet(depth=50, style='pytorch') has torchvision's parameter names,
# so torchvision's ImageNet weights (IMAGENET1K_V1, what
# `torchvision.models.resnet50(pretrained=True)` loads) go straight in.  The
# checkpoint is given by URL, not as 'torchvision://resnet50': that scheme
# makes mmengine import torchvision, which must not be installed here.
# Offline / tests: --cfg-options model.backbone.init_cfg=None
#
# SET head.num_classes for your dataset: Office-31 31, Office-Home 65,
# VisDA 12, DomainNet 345 (or 126), e.g.
#   model = dict(head=dict(num_classes=65))
# (ClsAccuracyMetric refuses predictions whose class count differs from the
# dataset's.)
#
# solver: 'st' (S + T: mean CE on the source batch + mean CE on the labelled
# target batch, separate forward passes: what LADA's/CLUE's solvers compute)
# or 'ft' (one CE over the concatenated S u T_l batch).  Images come as
# uint8 BGR from LoadImageFromFile; the preprocessor flips them to RGB and
# normalises with ImageNet statistics (torchvision's).
data_preprocessor = dict(
    type='MultiStreamClsDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
model = dict(
    type='ADAImageClassifier',
    data_preprocessor=data_preprocessor,
    solver='st',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet50-0676ba61.pth')),
    head=dict(
        type='BottleneckClsHead',
        num_classes=31,
        in_channels=2048,
        bottleneck_channels=256,
        with_relu=False,
        dropout_ratio=0.,
        loss=dict(
            type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True)),
    regularizers=[])
