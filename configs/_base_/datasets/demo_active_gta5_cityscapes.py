# Active DA on the built-in synthetic pair: source + bought target labels.
_base_ = ['./demo_gta5_cityscapes.py']
demo_region_cache = 'data/demo/regions/cityscapes_train_slic'
target_labeled_dataset = dict(
    type='ActiveTargetDataset',
    dataset=dict(
        type='CityscapesDataset',
        data_root='data/demo/cityscapes',
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        # ActiveTargetDataset inserts LoadActiveLabelMask (the oracle)
        # right after LoadAnnotations
        pipeline={{_base_.target_train_pipeline}}))
train_dataloader = dict(
    dataset=dict(
        type='SourceTargetDataset',
        source={{_base_.source_train_dataset}},
        target=target_labeled_dataset))
# the unlabelled target pool: test pipeline, never any annotation
pool_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='PackSegInputs'),
]
pool_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CityscapesDataset',
        data_root='data/demo/cityscapes',
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path=''),
        pipeline=pool_pipeline))
