# ADeADA ablation, Table 2 (b) of the paper: GTA5 -> Cityscapes,
# DeepLabV3+ R101-D8.
# Density-aware selection only, the density budget split EVENLY over the
# classes with candidates (no category balance, no uncertainty share).
# Same protocol as the main config (5 rounds x 1%, 10k iterations per
# round, AdaptSegNet warm-up), the _base_ below:
#   ../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py
# The strategy arguments are ADEADA_ABLATIONS['b']
# (mmseg_ada/active/strategies/adeada.py).
#
# Paper (Table 2 (b), Cityscapes val mIoU):
#   1%: 62.75   3%: 68.81   5%: 69.82
#
# python tools/train.py configs/adeada/ablations/<this file>
_base_ = [
    '../adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(
        policy='density',
        category_balance=False,
    ))
