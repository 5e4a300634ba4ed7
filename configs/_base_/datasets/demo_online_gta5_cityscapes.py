# Online acquisition (ADA-MCU) on the built-in synthetic pair: labelled
# source + UNLABELLED target crops that carry the index of their pixels in
# the original image (AddPixelIndex / PackPixelIndex), so the pixels the
# model buys are pixels of the original images whatever the augmentation.
_base_ = ['./demo_gta5_cityscapes.py']
target_online_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AddPixelIndex'),
    dict(
        type='RandomResize',
        scale=_base_.demo_scale,
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPixelIndex'),
]
train_dataloader = dict(
    batch_size=2,  # + 2 target images: the paper's 2 + 2
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.source_train_dataset,
        target=dict(
            type='UnlabeledDataset',
            dataset=dict(
                _base_.target_train_dataset,
                pipeline=target_online_pipeline))))
