# ADeADA budget schedule, supplement Table 5 "half": GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# Half decay, the paper's Eq. 7 with alpha = 1, beta = 1: density share
# 1, 1/2, 1/4, 1/8, 1/16 (the same run as the main config and
# Table 2 (e)).
# Category-balanced density budgets, entropy for the uncertainty share;
# same protocol as the main config (the _base_ below).
#
# Paper (Table 5, Cityscapes val mIoU):
#   1%: 64.03   3%: 69.86   5%: 71.25
#
# python tools/train.py configs/adeada/policies/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='half',
        alpha=1.0,
        beta=1.0,
        category_balance=True,
    ))
