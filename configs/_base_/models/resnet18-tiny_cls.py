# A tiny image classifier for the built-in digits demo and the CPU tests:
# mmseg's ResNet-18 with 16 base channels, global pooling, the bottleneck
# head (64-d embedding) of the ResNet-50 recipe, random init.
model = dict(
    type='ADAImageClassifier',
    data_preprocessor=dict(
        type='MultiStreamClsDataPreProcessor',
        mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0],
        to_rgb=True),
    solver='ft',  # one forward over source + target: shared BN statistics
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 2, 2),
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    head=dict(
        type='BottleneckClsHead',
        num_classes=10,
        in_channels=128,
        bottleneck_channels=64,
        loss=dict(
            type='CrossEntropyLoss', loss_weight=1.0, avg_non_ignore=True)),
    regularizers=[])
