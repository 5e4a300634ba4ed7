# ADeADA ablation, Table 2 (e) of the paper: GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# The full method: category-balanced density + uncertainty with the
# half-decay schedule of Eq. 7 (alpha = 1, beta = 1).  Identical to the
# main config; kept so that every row of the table has a config.
# Same protocol as the main config (5 rounds x 1%, 10k iterations per
# round, AdaptSegNet warm-up), the _base_ below:
#   ../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py
# The strategy arguments are ADEADA_ABLATIONS['e']
# (mmseg_ada/active/strategies/adeada.py).
#
# Paper (Table 2 (e), Cityscapes val mIoU):
#   1%: 64.03   3%: 69.86   5%: 71.25
#
# python tools/train.py configs/adeada/ablations/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='half',
        category_balance=True,
    ))
