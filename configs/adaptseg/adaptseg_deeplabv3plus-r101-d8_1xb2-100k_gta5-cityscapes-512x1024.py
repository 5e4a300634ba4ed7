# AdaptSegNet (Tsai et al., CVPR'18), the UDA warm-up: the model base has
# the method (see there and configs/adaptseg/README.md).
# ADeADA's UDA warm-up (supplement A): SGD 2.5e-4, poly 0.9, ~100k steps.
# Two GTA5/SYNTHIA + two unlabelled Cityscapes images per iteration (the
# papers used one of each; DeepLabV3+'s image-pool BN cannot train on one,
# and the source-/target-only baselines use two), frozen backbone BN.
# Offline (no ImageNet weights): --cfg-options model.backbone.init_cfg=None
_base_ = [
    '../_base_/models/adaptseg_deeplabv3plus_r101-d8.py',
    '../_base_/datasets/uda_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/da_adversarial_poly_100k.py',
]
crop_size = (512, 1024)
model = dict(data_preprocessor=dict(size=crop_size))
