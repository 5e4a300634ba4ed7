# ADA-MCU, GTA5 -> Cityscapes, DeepLabV2 R101, 16.8 % of the target
# pixels: Table I, 65.8 mIoU (19 classes).
_base_ = [
    './ada-mcu_deeplabv2-r101_1xb2-60k_'
    'gta5-cityscapes-512x1024_1.7pct.py'
]
# the same run with another budget (set both: a base's computed values are
# not recomputed when a child changes the variable they came from)
budget_fraction = 0.168
train_cfg = dict(online=dict(budget=budget_fraction))
