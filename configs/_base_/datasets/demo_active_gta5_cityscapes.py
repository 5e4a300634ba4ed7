# Active DA on the built-in synthetic pair: source + bought target labels.
# Region caches: `make demo` builds them with tools/precompute_regions.py.
_base_ = ['./demo_gta5_cityscapes.py']
demo_region_cache = 'data/demo/regions/cityscapes_train_slic'
demo_source_region_cache = 'data/demo/regions/gta5_slic'
train_dataloader = dict(
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.source_train_dataset,
        target=dict(
            type='LabeledSubsetDataset', dataset=_base_.target_train_dataset)))
# the unlabelled pools: test pipeline, never any annotation
pool_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.demo_scale, keep_ratio=True),
    dict(type='PackSegInputs'),
]
active_pool = dict(
    units=dict(type='RegionUnits', cache=demo_region_cache),
    pool_dataloader=dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='CityscapesDataset',
            data_root='data/demo/cityscapes',
            data_prefix=dict(img_path='leftImg8bit/train', seg_map_path=''),
            pipeline=pool_pipeline)),
    source_units=dict(type='RegionUnits', cache=demo_source_region_cache),
    source_pool_dataloader=dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='GTA5Dataset',
            data_root='data/demo/gta5',
            pipeline=pool_pipeline)))
