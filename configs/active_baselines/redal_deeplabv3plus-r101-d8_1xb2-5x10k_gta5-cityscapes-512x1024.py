_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
# ReDAL on image regions (ADeADA supplement B, Figure 3): alpha x entropy +
# beta x colour discontinuity (RGB differences to the 8 neighbours) +
# gamma x structure (the region's feature dispersion), then ReDAL's
# diversity-aware re-weighting over k-means clusters of the region
# features.  Weights, clusters and decay: ReDAL's S3DIS setting.  See
# configs/active_baselines/README.md.
train_cfg = dict(
    selector=dict(
        strategy=dict(
            type='ReDAL',
            seed=0,
            alpha=1.0,
            beta=0.1,
            gamma=0.05,
            num_clusters=400,
            decay_rate=0.95,
            trim_rate=None)))
