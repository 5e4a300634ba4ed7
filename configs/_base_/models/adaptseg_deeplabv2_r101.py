# AdaptSegNet (Tsai et al., CVPR'18), multi-level: output-space adversarial
# adaptation on the DeepLabV2 output (lambda_adv 0.001) and on the
# auxiliary layer3 classifier (lambda_adv_aux 0.0002, its segmentation loss
# weighted 0.1 in deeplabv2_r101.py); softmax maps upsampled to the input size,
# FCDiscriminator (ndf 64), source label 0 / target label 1.
# The configs in configs/adaptseg (and configs/advent, which swaps
# `adv_input`) add the data, the schedule and the crop size.
_base_ = ['./deeplabv2_r101_frozen-bn.py']
model = dict(
    type='AdversarialEncoderDecoder',
    data_preprocessor=dict(type='MultiStreamSegDataPreProcessor'),
    discriminator=dict(type='FCDiscriminator', ndf=64, negative_slope=0.2),
    aux_discriminator=dict(type='FCDiscriminator', ndf=64, negative_slope=0.2),
    adv_input='softmax',
    lambda_adv=0.001,
    lambda_adv_aux=0.0002,
    source_label=0,
    target_label=1)
