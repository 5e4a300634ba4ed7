# ADA-MCU, SYNTHIA -> Cityscapes, DeepLabV2 R101, 6.8 % of the
# target pixels: Table II, 70.6 mIoU13 (13 classes).
_base_ = [
    './ada-mcu_deeplabv2-r101_1xb2-60k_'
    'synthia-cityscapes-512x1024_1.7pct.py'
]
# the same run with another budget (set both: a base's computed values are
# not recomputed when a child changes the variable they came from)
budget_fraction = 0.068
train_cfg = dict(online=dict(budget=budget_fraction))
