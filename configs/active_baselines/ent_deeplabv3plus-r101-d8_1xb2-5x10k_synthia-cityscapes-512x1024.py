# ENT region-level active learning baseline (ADeADA Figure 3,
# supplement B) on SYNTHIA -> Cityscapes, DeepLabV3+ R101-D8:
# regions of highest mean pixel softmax entropy (supplement Eq. 10).
# Exactly the ADeADA protocol of the _base_ below (AdaptSegNet warm-up,
# 5 rounds x 1% of the target pixels as SLIC regions, 10k fine-tuning
# iterations per round, same data, model and schedule); only the strategy
# differs and no source pool is scored.
#
# Paper (supplement Table 7, Cityscapes val mIoU, 16 SYNTHIA classes):
#   % target pixels   1      2      3      4      5
#   ENT               61.56  67.75  70.23  71.28  71.76
#   ADeADA            62.47  69.35  71.01  72.40  72.74
#
# python tools/train.py configs/active_baselines/<this file>
# Figure 3 curves (all strategies of one benchmark): README.md (ADeADA)
_base_ = [
    '../adeada/adeada_deeplabv3plus-r101-d8_1xb2-5x10k_synthia-cityscapes-512x1024.py'
]
train_cfg = dict(
    strategy=dict(_delete_=True, type='ActiveEntropy', seed=0),
    source_pool_dataloader=None,
    source_region_cache=None)
