# DeepLabV2 ResNet-101 (output stride 8) as used in the DA literature
# (AdaptSegNet / ADVENT), with ADeADA's 256-d variant of the ASPP head
# (supplement A): the four summed dilated branches output 256 maps, then
# norm + ReLU, then a 1x1 classifier (`DeepLabV2Head(bottleneck=True)`).
#
# Backbone: mmseg `ResNet` (v1, plain stem, stride in the 3x3 conv as in
# torchvision), layer3/layer4 dilated by 2/4, ImageNet weights from
# torchvision (same parameter names). Auxiliary head: AdaptSegNet's
# multi-level second classifier, a classic DeepLabV2 ASPP classifier
# (`bottleneck=False`, logits summed) on layer3 (1024 ch) with loss weight
# 0.1 (AdaptSegNet's lambda_seg).
#
# Needs `custom_imports = dict(imports=['mmseg_ada'], ...)` in the final
# config. Offline: `--cfg-options model.backbone.init_cfg=None`.
# SyncBN notes: see deeplabv3plus_r101-d8.py. Frozen backbone BN (as the
# DeepLabV2 DA code bases do): deeplabv2_r101_frozen-bn.py.
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
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')),
    decode_head=dict(
        type='DeepLabV2Head',
        in_channels=2048,
        in_index=3,
        channels=256,
        dilations=(6, 12, 18, 24),
        bottleneck=True,
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
        type='DeepLabV2Head',
        in_channels=1024,
        in_index=2,
        channels=256,  # unused by the classic (bottleneck=False) head
        dilations=(6, 12, 18, 24),
        bottleneck=False,
        num_classes=19,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=0.1,
            avg_non_ignore=True)),
    # model training and testing settings
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
