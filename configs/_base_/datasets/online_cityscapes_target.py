# Cityscapes as the target of online acquisition (ADA-MCU): the UNLABELLED
# train images the model buys pixels of inside its training steps
# (train_cfg.online; see configs/ada_mcu/README.md).
#
# online_target_dataset: Cityscapes train wrapped in UnlabeledDataset, which
#   strips LoadAnnotations and the label path from every training sample, so
#   no target label reaches a loss except those bought.  The oracle reads
#   the labels of bought pixels from the wrapped dataset's `seg_map_path`:
#   keep it in data_prefix.
# Pipeline: AddPixelIndex right after loading tags every pixel with its
#   index in the ORIGINAL 2048x1024 image; Resize/RandomCrop/RandomFlip move
#   that map like a label map and PackPixelIndex packs it (gt_pixel_index),
#   so a bought crop pixel is a pixel of the original image.  RandomCrop's
#   cat_max_ratio=1 (the ratio would read a label map the unlabelled target
#   does not have).  The resize to 1024x512 is FIXED: the nearest-neighbour
#   resize of the index map keeps the same grid of original pixels (every
#   second row and column) at every visit, so a pixel bought at one visit is
#   labelled at every later one, and the 512x1024 crop is the whole image
#   (AdvEnt's target size, as in the warm-up).  Only that grid can be
#   bought: budgets count its pixels (`online=dict(resolution=(512, 1024))`
#   in schedules/online_60k.py; configs/ada_mcu/README.md, "Budget").
_base_ = ['./cityscapes_target.py']
# the Cityscapes train split and the grid a purchase can name (1024x512)
cityscapes_train_images = 2975
target_train_pixels = cityscapes_train_images * 1024 * 512
cityscapes_online_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='AddPixelIndex'),
    dict(type='Resize', scale=_base_.cityscapes_scale, keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=_base_.cityscapes_crop_size,
        cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPixelIndex'),
]
online_target_dataset = dict(
    type='UnlabeledDataset',
    dataset=dict(
        type=_base_.cityscapes_type,
        data_root=_base_.cityscapes_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=cityscapes_online_pipeline))
