# ADVENT (Vu et al., CVPR'19), adversarial entropy minimisation: as the
# AdaptSegNet config, but the discriminator sees the weighted
# self-information maps -P log P / log C (C channels) instead of the softmax;
# single level (main output, 0.001).  ADA-MCU starts from an ADVENT
# model.
# Offline (no ImageNet weights): --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../adaptseg/adaptseg_deeplabv3plus-r101-d8_1xb2-100k_gta5-cityscapes-512x1024.py'  # noqa: E501
]
model = dict(adv_input='entropy', entropy_normalize=True)
