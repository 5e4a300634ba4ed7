_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
# ADeADA (Wu et al.): density-aware regions of classes whose target
# features are most shifted (Eq. 2, 5, 6) and entropy-ranked regions, with
# the density share halving every round (Eq. 7, alpha = beta = 1 on GTA5;
# SYNTHIA uses alpha = 0.5).  sigma of Eq. 6 ("a normalization function"):
# the released code's int(log10(|KL_c|)).  See configs/adeada/README.md.
train_cfg = dict(
    selector=dict(
        strategy=dict(
            type='ADeADA',
            alpha=1.0,
            beta=1.0,
            policy='half',
            category_balance=True,
            sigma='log10',
            uncertainty='entropy',
            seed=0)))
