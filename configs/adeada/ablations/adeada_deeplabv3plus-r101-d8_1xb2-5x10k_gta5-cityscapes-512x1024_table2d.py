# ADeADA ablation, Table 2 (d) of the paper: GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# Category-balanced density + uncertainty, every round's budget split
# 50/50 (no dynamic scheduling; the same run as Table 5 "even").
# Same protocol as the main config (5 rounds x 1%, 10k iterations per
# round, AdaptSegNet warm-up), the _base_ below:
#   ../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py
# The strategy arguments are ADEADA_ABLATIONS['d']
# (mmseg_ada/active/strategies/adeada.py).
#
# Paper (Table 2 (d), Cityscapes val mIoU):
#   1%: 63.30   3%: 69.66   5%: 71.15
#
# python tools/train.py configs/adeada/ablations/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='even',
        category_balance=True,
    ))
