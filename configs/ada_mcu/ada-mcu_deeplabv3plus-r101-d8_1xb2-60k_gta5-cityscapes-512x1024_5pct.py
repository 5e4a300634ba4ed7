# ADA-MCU, GTA5 -> Cityscapes, DeepLabV3+ R101, 5 % of the target pixels:
# Table IV, 66.5 mIoU (MADA, 5 % of the images: 64.9).
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d8_frozen-bn.py',
    '../_base_/datasets/online_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/online_60k.py',
    '../_base_/active/mcu.py',
]
# the ADVENT warm-up (configs/advent)
load_from = ('work_dirs/advent_deeplabv3plus-r101-d8_1xb2-100k_'
             'gta5-cityscapes-512x1024/iter_100000.pth')
randomness = dict(seed=0)
crop_size = (512, 1024)
# M_e / M_t of the paper: a fraction of the target pixels a purchase can
# name (on the 1024x512 grid the pipeline samples: `online.resolution`)
budget_fraction = 0.05
model = dict(_base_.mcu_model, data_preprocessor=dict(size=crop_size))
train_cfg = dict(online=dict(budget=budget_fraction))
