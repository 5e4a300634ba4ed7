# AdaptSegNet (Tsai et al., CVPR'18) on DeepLabV3+ R101-D8, single level:
# output-space adversarial adaptation on the final output (lambda_adv
# 0.001); the FCN auxiliary head keeps its supervised loss only (add
# aux_discriminator=dict(type='FCDiscriminator') for the multi-level
# variant).  Softmax maps upsampled to the input size, FCDiscriminator
# (ndf 64), source label 0 / target label 1.
# ADeADA's UDA warm-up (supplement A): SGD 2.5e-4, poly 0.9, ~100k steps.
# Two GTA5/SYNTHIA + two unlabelled Cityscapes images per iteration (the
# papers used one of each; DeepLabV3+'s image-pool BN cannot train on one,
# and the source-/target-only baselines use two), frozen backbone BN.
# Offline (no ImageNet weights): --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d8_frozen-bn.py',
    '../_base_/datasets/uda_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/da_adversarial_poly_100k.py',
]
crop_size = (512, 1024)
model = dict(
    type='AdversarialEncoderDecoder',
    data_preprocessor=dict(
        type='MultiStreamSegDataPreProcessor', size=crop_size),
    discriminator=dict(type='FCDiscriminator', ndf=64, negative_slope=0.2),
    aux_discriminator=None,
    adv_input='softmax',
    lambda_adv=0.001,
    source_label=0,
    target_label=1)
