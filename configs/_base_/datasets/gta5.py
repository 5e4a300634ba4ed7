# GTA5 as the labelled source domain (19 Cityscapes classes).
# Labels must be converted first:
#   python tools/dataset_converters/gta5.py data/gta5 --nproc 8
# DA convention: resize 1914x1052 -> 1280x720, random 512x1024 (h x w) crop,
# flip, photometric distortion.  A source-only config can use
#   train_dataloader = {{_base_.gta5_train_dataloader}}
# (not defined as `train_dataloader` here so that a source+target config can
# set its own without inheriting these keys).
gta5_type = 'GTA5Dataset'
gta5_root = 'data/gta5'
gta5_scale = (1280, 720)  # (w, h)
gta5_crop_size = (512, 1024)  # (h, w)
gta5_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=gta5_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=gta5_crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
gta5_train_dataset = dict(
    type=gta5_type,
    data_root=gta5_root,
    data_prefix=dict(img_path='images', seg_map_path='labels'),
    pipeline=gta5_train_pipeline)
gta5_train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=gta5_train_dataset)
