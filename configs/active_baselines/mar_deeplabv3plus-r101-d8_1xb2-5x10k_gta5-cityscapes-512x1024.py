# MAR region-level active learning baseline (ADeADA Figure 3,
# supplement B) on GTA5 -> Cityscapes, DeepLabV3+ R101-D8:
# regions of smallest mean top-1 minus top-2 softmax margin (supplement
# Eq. 8).  The supplement says the smallest-margin regions are taken
# "for each category" without saying how the budget is split; like CONF
# and ENT, ActiveMargin ranks all regions together.
# Exactly the ADeADA protocol of the _base_ below (AdaptSegNet warm-up,
# 5 rounds x 1% of the target pixels as SLIC regions, 10k fine-tuning
# iterations per round, same data, model and schedule); only the strategy
# differs and no source pool is scored.
#
# Paper (supplement Table 6, Cityscapes val mIoU, 19 classes):
#   % target pixels   1      2      3      4      5
#   MAR               57.95  64.33  67.08  68.47  69.44
#   ADeADA            64.03  67.65  69.86  70.66  71.25
#
# python tools/train.py configs/active_baselines/<this file>
# Figure 3 curves (all strategies of one benchmark): README.md (ADeADA)
_base_ = [
    '../adeada/adeada_deeplabv3plus-r101-d8_1xb2-5x10k_gta5-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(_delete_=True, type='ActiveMargin', seed=0),
    source_pool_dataloader=None,
    source_region_cache=None)
