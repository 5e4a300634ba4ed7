# The built-in synthetic GTA5 -> Cityscapes pair made by
# `python tools/make_demo_data.py data/demo` (real on-disk formats, 128x256).
demo_root = 'data/demo'
crop_size = (128, 256)
demo_scale = (256, 128)  # (w, h) as in mmseg's Resize
source_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=demo_scale,
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
target_train_pipeline = source_train_pipeline
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=demo_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
source_train_dataset = dict(
    type='GTA5Dataset',
    data_root=demo_root + '/gta5',
    pipeline=source_train_pipeline)
target_train_dataset = dict(
    type='CityscapesDataset',
    data_root=demo_root + '/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_train_pipeline)
target_val_dataset = dict(
    type='CityscapesDataset',
    data_root=demo_root + '/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(type='SourceTargetDataset', source=source_train_dataset))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=target_val_dataset)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
