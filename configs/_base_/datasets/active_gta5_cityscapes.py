# GTA5 -> Cityscapes active domain adaptation input (ADeADA protocol).
#
# train_dataloader: every item is a labelled GTA5 sample plus a Cityscapes
#   train image that holds bought labels (SourceTargetDataset +
#   ActiveTargetDataset).  The target pipeline loads the ground truth, and
#   ActiveTargetDataset inserts the oracle (LoadActiveLabelMask) right after
#   LoadAnnotations: every pixel that was not bought becomes 255 before any
#   augmentation.  Before round 1 the target part is empty (source only).
# pool_dataloader: the unlabelled target pool the strategy scores each
#   round: all Cityscapes train images, test pipeline (1024x512), NO
#   annotations (the active loop refuses a pool that loads them).
# source_pool_dataloader: GTA5 images for the source density p_S(z|c) of
#   ADeADA (unused by RAND/ENT/CONF/MAR).  The full set (24,966 images, ~1M
#   SLIC regions) is scored every round, as in the paper's Algorithm 1.
#   Speed lever: a fixed random subset through `ann_file` (one image stem per
#   line, relative to data_root), e.g.
#     mkdir -p data/gta5/splits && ls data/gta5/images | sed 's/\.png$//' \
#       | shuf -n 5000 --random-source=<(yes) > data/gta5/splits/pool_5k.txt
#     --cfg-options train_cfg.source_pool_dataloader.dataset.ann_file=\
#       splits/pool_5k.txt
#   (a subset changes p_S, so results are no longer the paper protocol).
# Region caches (SLIC, built once by tools/precompute_regions.py; the active
# configs pass these paths to the loop):
#   python tools/precompute_regions.py data/cityscapes/leftImg8bit/train \
#       --suffix _leftImg8bit.png --out data/cityscapes/regions/train_slic \
#       --nproc 8
#   python tools/precompute_regions.py data/gta5/images \
#       --out data/gta5/regions/slic --nproc 8
# Validation: Cityscapes val, 19-class mIoU (cityscapes_target.py).
_base_ = ['./gta5.py', './cityscapes_target.py']
target_region_cache = 'data/cityscapes/regions/train_slic'
source_region_cache = 'data/gta5/regions/slic'
active_target_dataset = dict(
    type='ActiveTargetDataset',
    dataset=dict(
        type=_base_.cityscapes_type,
        data_root=_base_.cityscapes_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        # LoadAnnotations included: the oracle masks it (see above)
        pipeline=_base_.cityscapes_train_pipeline))
train_dataloader = dict(
    batch_size=2,  # + up to 2 labelled target images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='source_target_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.gta5_train_dataset,
        target=active_target_dataset))
# the unlabelled target pool: same images as the active target dataset
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
# the source pool, at the source training scale (1280x720)
source_pool_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.gta5_scale, keep_ratio=True),
    dict(type='PackSegInputs'),
]
source_pool_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.gta5_type,
        data_root=_base_.gta5_root,
        ann_file='',  # '' = every image; see the subset note above
        pipeline=source_pool_pipeline))
