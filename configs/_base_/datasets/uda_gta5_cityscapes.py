# GTA5 -> Cityscapes unsupervised domain adaptation input: every training
# item is a labelled GTA5 sample plus an UNLABELLED Cityscapes train image
# (SourceTargetDataset + multi_stream_collate).  The target pipeline has no
# LoadAnnotations, so no target ground truth is ever read during the
# warm-up (the target samples carry no gt_sem_seg; AdversarialEncoderDecoder
# then reports tgt.* losses as zero).  Cityscapes train images are resized
# to 1024x512, i.e. the whole image is the 512x1024 crop (AdaptSegNet's
# target size).  Validation: Cityscapes val, 19-class mIoU.
_base_ = ['./gta5.py', './cityscapes_target.py']
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
        source=_base_.gta5_train_dataset,
        target=cityscapes_uda_dataset))
