_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
# Region-level CLUE (ADeADA supplement B, Figure 3): entropy-weighted
# k-means of the regions' mean features (weights: the entropy of the
# region's mean softmax, T = 1 as the authors' region code), the region
# nearest each centre.  See configs/active_baselines/README.md.
train_cfg = dict(
    selector=dict(strategy=dict(type='RegionCLUE', seed=0, temperature=1.0)))
