# DeepLabV3+ ResNet-101-D8 (mmseg's recipe) whose decode head exposes the
# 256-d feature map before its classifier (ADeADA's region features).
#
# Differences from mmseg's deeplabv3plus_r50-d8.py: depth 101, decode head
# `DepthwiseSeparableASPPFeatHead` (same weights and logits as
# `DepthwiseSeparableASPPHead`, plus `forward_feature`), `channels=256`
# (mmseg uses 512; 256 is the DeepLabV3+ paper's width and ADeADA's feature
# size), ImageNet init as a backbone `init_cfg` instead of `pretrained`.
#
# Needs `custom_imports = dict(imports=['mmseg_ada'], ...)` in the final
# config (not set here: several bases defining it would clash).
# Offline (no ImageNet download): `--cfg-options model.backbone.init_cfg=None`.
#
# SyncBN: mmengine's Runner turns SyncBN into BN when not distributed
# (`Runner.wrap_model` -> `revert_sync_batchnorm`), and torch's SyncBN also
# runs as plain BN on CPU in a single process. Distributed CPU (gloo) runs
# cannot use SyncBN. `norm_cfg` is substituted into the model when this file
# is loaded, so overriding the variable later changes nothing; override the
# model keys instead: `--cfg-options model.backbone.norm_cfg.type=BN
# model.decode_head.norm_cfg.type=BN model.auxiliary_head.norm_cfg.type=BN`.
# Frozen backbone BN: see deeplabv3plus_r101-d8_frozen-bn.py.
norm_cfg = dict(type='SyncBN', requires_grad=True)
# The multi-stream preprocessor passes plain batches (validation, test,
# source-only training) through as mmseg's SegDataPreProcessor does, and
# splits source + target batches for the ADA segmentor; ADAEncoderDecoder is
# EncoderDecoder for plain batches.
data_preprocessor = dict(
    type='MultiStreamSegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
# CE averages over labelled pixels only (`avg_non_ignore=True`): partially
# labelled targets mark unlabelled pixels 255.
model = dict(
    type='ADAEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')),
    decode_head=dict(
        type='DepthwiseSeparableASPPFeatHead',
        in_channels=2048,
        in_index=3,
        channels=256,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=0.4,
            avg_non_ignore=True)),
    # model training and testing settings
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
