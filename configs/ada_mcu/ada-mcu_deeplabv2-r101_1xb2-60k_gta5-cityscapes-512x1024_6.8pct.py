# ADA-MCU, GTA5 -> Cityscapes, DeepLabV2 R101, 6.8 % of the target
# pixels: Table I, 63.9 mIoU (19 classes).
_base_ = [
    '../_base_/models/deeplabv2_r101_frozen-bn.py',
    '../_base_/datasets/online_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/online_60k.py',
    '../_base_/active/mcu.py',
]
# the ADVENT warm-up (configs/advent)
load_from = ('work_dirs/advent_deeplabv2-r101_1xb2-100k_'
             'gta5-cityscapes-512x1024/iter_100000.pth')
randomness = dict(seed=0)
crop_size = (512, 1024)
# M_e / M_t of the paper: a fraction of the target pixels a purchase can
# name (on the 1024x512 grid the pipeline samples: `online.resolution`)
budget_fraction = 0.068
model = dict(_base_.mcu_model, data_preprocessor=dict(size=crop_size))
train_cfg = dict(online=dict(budget=budget_fraction))
