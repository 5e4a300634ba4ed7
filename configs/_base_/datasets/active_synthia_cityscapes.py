# SYNTHIA -> Cityscapes active domain adaptation input (ADeADA protocol).
# Same structure as active_gta5_cityscapes.py (read it for the details):
# train_dataloader = labelled SYNTHIA + Cityscapes train images holding
# bought labels (the oracle is inserted by ActiveTargetDataset);
# pool_dataloader = all Cityscapes train images, test pipeline, no labels;
# source_pool_dataloader = all 9,400 SYNTHIA RAND-CITYSCAPES images at the
# source training scale (1280x760), for ADeADA's p_S(z|c).  A subset:
# `train_cfg.source_pool_dataloader.dataset.ann_file=<stems file>`.
# Region caches:
#   python tools/precompute_regions.py data/cityscapes/leftImg8bit/train \
#       --suffix _leftImg8bit.png --out data/cityscapes/regions/train_slic \
#       --nproc 8
#   python tools/precompute_regions.py data/synthia/RGB \
#       --out data/synthia/regions/slic --nproc 8
# Validation: Cityscapes val scored with SynthiaIoUMetric (16-class mIoU and
# the 13-class mIoU*).  The model still predicts 19 classes; bought target
# labels keep all 19 Cityscapes classes.
_base_ = ['./synthia.py', './cityscapes_target_synthia_eval.py']
target_region_cache = 'data/cityscapes/regions/train_slic'
source_region_cache = 'data/synthia/regions/slic'
active_target_dataset = dict(
    type='ActiveTargetDataset',
    dataset=dict(
        type=_base_.cityscapes_type,
        data_root=_base_.cityscapes_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=_base_.cityscapes_train_pipeline))
train_dataloader = dict(
    batch_size=2,  # + up to 2 labelled target images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='source_target_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.synthia_train_dataset,
        target=active_target_dataset))
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
source_pool_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.synthia_scale, keep_ratio=True),
    dict(type='PackSegInputs'),
]
source_pool_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.synthia_type,
        data_root=_base_.synthia_root,
        ann_file='',
        pipeline=source_pool_pipeline))
