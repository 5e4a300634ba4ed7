# ADeADA budget schedule, supplement Table 5 "even": GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# Even distribution: the density share is 0.5 of every round's budget
# (the same run as Table 2 (d)).
# Category-balanced density budgets, entropy for the uncertainty share;
# same protocol as the main config (the _base_ below).
#
# Paper (Table 5, Cityscapes val mIoU):
#   1%: 63.30   3%: 69.66   5%: 71.15
#
# python tools/train.py configs/adeada/policies/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='even',
        category_balance=True,
    ))
