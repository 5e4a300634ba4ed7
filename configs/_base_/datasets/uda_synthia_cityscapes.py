# SYNTHIA -> Cityscapes unsupervised domain adaptation input: labelled
# SYNTHIA RAND-CITYSCAPES samples plus UNLABELLED Cityscapes train images
# (see uda_gta5_cityscapes.py: the target pipeline loads no annotations).
# Validation: Cityscapes val scored with SynthiaIoUMetric (16-class mIoU and
# the 13-class mIoU*).
_base_ = ['./synthia.py', './cityscapes_target_synthia_eval.py']
cityscapes_uda_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.cityscapes_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.cityscapes_crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
cityscapes_uda_dataset = dict(
    type=_base_.cityscapes_type,
    data_root=_base_.cityscapes_root,
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=cityscapes_uda_pipeline)
train_dataloader = dict(
    batch_size=2,  # + 2 target images; the papers used 1 + 1
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.synthia_train_dataset,
        target=cityscapes_uda_dataset))
