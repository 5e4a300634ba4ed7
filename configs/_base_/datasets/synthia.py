# SYNTHIA RAND-CITYSCAPES as the labelled source domain (16 classes, in the
# 19-class Cityscapes trainId space).  Labels must be converted first:
#   python tools/dataset_converters/synthia.py data/synthia --nproc 8
# Evaluate with cityscapes_target_synthia_eval.py (16-class mIoU, mIoU13).
# A source-only config can use
#   train_dataloader = {{_base_.synthia_train_dataloader}}
synthia_type = 'SynthiaDataset'
synthia_root = 'data/synthia'
synthia_scale = (1280, 760)  # (w, h)
synthia_crop_size = (512, 1024)  # (h, w)
synthia_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=synthia_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=synthia_crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
synthia_train_dataset = dict(
    type=synthia_type,
    data_root=synthia_root,
    data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
    pipeline=synthia_train_pipeline)
synthia_train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=synthia_train_dataset)
