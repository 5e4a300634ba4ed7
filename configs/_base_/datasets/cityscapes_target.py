# Cityscapes as the target domain of GTA5 -> Cityscapes.
# Train images (the active-learning pool / unlabelled target) are resized to
# 1024x512; validation predicts at 1024x512 and is scored against the
# full-resolution labels (LoadAnnotations after Resize, mmseg convention).
# cityscapes_train_pipeline loads the ground truth: an active-DA config must
# mask it with the label store right after LoadAnnotations (index 2) so that
# no unselected label leaks.
cityscapes_type = 'CityscapesDataset'
cityscapes_root = 'data/cityscapes'
cityscapes_scale = (1024, 512)  # (w, h)
cityscapes_crop_size = (512, 1024)  # (h, w)
cityscapes_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=cityscapes_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=cityscapes_crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
cityscapes_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=cityscapes_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
cityscapes_train_dataset = dict(
    type=cityscapes_type,
    data_root=cityscapes_root,
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=cityscapes_train_pipeline)
cityscapes_val_dataset = dict(
    type=cityscapes_type,
    data_root=cityscapes_root,
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=cityscapes_test_pipeline)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=cityscapes_val_dataset)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
