# SYNTHIA -> Cityscapes active domain adaptation input (ADeADA protocol).
# Same structure as active_gta5_cityscapes.py (read it for the details):
# labelled SYNTHIA + Cityscapes train images holding bought labels; the
# source pool is all 9,400 SYNTHIA RAND-CITYSCAPES images at 1280x760.
# Validation: Cityscapes val scored with SynthiaIoUMetric (16-class mIoU and
# the 13-class mIoU*); the model predicts and buys all 19 classes.
# Source region cache:
#   python tools/precompute_regions.py data/synthia/RGB \
#       --out data/synthia/regions/slic --nproc 8
_base_ = ['./synthia.py', './active_cityscapes_target.py']
source_region_cache = 'data/synthia/regions/slic'
# trainIds of the 16 SYNTHIA classes (no terrain 9, truck 14, train 16)
synthia_classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.synthia_train_dataset,
        target=_base_.active_target_dataset))
source_pool_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.synthia_type,
        data_root=_base_.synthia_root,
        ann_file='',
        data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=_base_.synthia_scale, keep_ratio=True),
            dict(type='PackSegInputs'),
        ]))
active_pool = dict(
    units=dict(type='RegionUnits', cache=_base_.target_region_cache),
    pool_dataloader=_base_.pool_dataloader,
    source_units=dict(type='RegionUnits', cache=source_region_cache),
    source_pool_dataloader=source_pool_dataloader)
val_evaluator = dict(_delete_=True, type='SynthiaIoUMetric')
test_evaluator = val_evaluator
