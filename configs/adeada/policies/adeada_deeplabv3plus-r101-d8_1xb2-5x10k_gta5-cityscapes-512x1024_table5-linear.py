# ADeADA budget schedule, supplement Table 5 "linear": GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# Linear decay: the density share is 1.0 in round 1 and drops by 0.2
# per round (1.0, 0.8, 0.6, 0.4, 0.2).
# Category-balanced density budgets, entropy for the uncertainty share;
# same protocol as the main config (the _base_ below).
#
# Paper (Table 5, Cityscapes val mIoU):
#   1%: 64.03   3%: 69.49   5%: 71.14
#
# python tools/train.py configs/adeada/policies/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='linear',
        alpha=1.0,
        linear_step=0.2,
        category_balance=True,
    ))
