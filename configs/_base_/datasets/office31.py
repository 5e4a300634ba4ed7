# Office-31 (31 classes): domains amazon (2817 images), dslr (498), webcam
# (795).  Layout (Transfer-Learning-Library lists; see Office31Dataset):
#   data/office31/{amazon,dslr,webcam}/images/<class>/frame_0001.jpg
#   data/office31/image_list/{amazon,dslr,webcam}.txt   ("<path> <label>")
# Pipelines of LADA/SDM: train = resize 256x256, random 224 crop, flip;
# test = resize 256x256, centre 224 crop.  Per domain a training dataset
# (train pipeline) and an evaluation dataset (test pipeline, same list: the
# transductive protocol of LADA/SDM, test list = train list).  A
# source -> target config picks them, e.g. for A -> W:
#   _base_ = ['../_base_/datasets/office31.py', ...]
#   val_dataloader = dict(batch_size=64, num_workers=4,
#       sampler=dict(type='DefaultSampler', shuffle=False),
#       dataset=_base_.office31_webcam_test)
#   val_evaluator = _base_.office31_evaluator
# (the multi-stream train loader takes _base_.office31_amazon_train as
# source and _base_.office31_webcam_train as target).
office31_type = 'Office31Dataset'
office31_root = 'data/office31'
office31_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=224),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
office31_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmcv.CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
office31_amazon_train = dict(
    type=office31_type,
    data_root=office31_root,
    ann_file='image_list/amazon.txt',
    pipeline=office31_train_pipeline)
office31_amazon_test = dict(
    office31_amazon_train, pipeline=office31_test_pipeline, test_mode=True)
office31_dslr_train = dict(
    type=office31_type,
    data_root=office31_root,
    ann_file='image_list/dslr.txt',
    pipeline=office31_train_pipeline)
office31_dslr_test = dict(
    office31_dslr_train, pipeline=office31_test_pipeline, test_mode=True)
office31_webcam_train = dict(
    type=office31_type,
    data_root=office31_root,
    ann_file='image_list/webcam.txt',
    pipeline=office31_train_pipeline)
office31_webcam_test = dict(
    office31_webcam_train, pipeline=office31_test_pipeline, test_mode=True)
office31_evaluator = dict(type='ClsAccuracyMetric')
