# Cityscapes as the target of active domain adaptation: the labelled subset,
# the unlabelled pool, the target region cache.
#
# active_target_dataset: the Cityscapes train images that hold bought labels
#   (LabeledSubsetDataset).  The dataset puts the oracle's transform
#   (LoadBoughtLabels) in LoadAnnotations' place: the bought pixels get the
#   oracle's labels (the ground truth, or a person's), every other pixel
#   255, before any augmentation.  Empty before round 1 (source-only
#   batches).
# pool_dataloader: the unlabelled target pool the strategy scores each
#   round: all Cityscapes train images, test pipeline (1024x512), NO
#   annotations (the selector refuses a pool that loads them).
# Region cache (SLIC, built once):
#   python tools/precompute_regions.py data/cityscapes/leftImg8bit/train \
#       --suffix _leftImg8bit.png --out data/cityscapes/regions/train_slic \
#       --nproc 8
_base_ = ['./cityscapes_target.py']
target_region_cache = 'data/cityscapes/regions/train_slic'
active_target_dataset = dict(
    type='LabeledSubsetDataset', dataset=_base_.cityscapes_train_dataset)
pool_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.cityscapes_scale, keep_ratio=True),
    dict(type='PackSegInputs'),
]
pool_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.cityscapes_type,
        data_root=_base_.cityscapes_root,
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path=''),
        pipeline=pool_pipeline))
