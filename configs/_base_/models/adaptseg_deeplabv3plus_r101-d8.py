# AdaptSegNet (Tsai et al., CVPR'18) on DeepLabV3+ R101-D8, single level:
# output-space adversarial adaptation on the final output (lambda_adv
# 0.001); the FCN auxiliary head keeps its supervised loss only (add
# aux_discriminator=dict(type='FCDiscriminator') for the multi-level
# variant).  Softmax maps upsampled to the input size, FCDiscriminator
# (ndf 64), source label 0 / target label 1.
# The configs in configs/adaptseg (and configs/advent, which swaps
# `adv_input`) add the data, the schedule and the crop size.
_base_ = ['./deeplabv3plus_r101-d8_frozen-bn.py']
model = dict(
    type='AdversarialEncoderDecoder',
    data_preprocessor=dict(type='MultiStreamSegDataPreProcessor'),
    discriminator=dict(type='FCDiscriminator', ndf=64, negative_slope=0.2),
    aux_discriminator=None,
    adv_input='softmax',
    lambda_adv=0.001,
    source_label=0,
    target_label=1)
