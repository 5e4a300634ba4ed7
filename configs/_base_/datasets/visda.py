# VisDA-2017 classification (12 classes): synthetic 'train' (152,397
# renderings, the source) and real 'validation' (55,388 photos, the
# target).  Layout (Transfer-Learning-Library / LADA lists):
#   data/visda/{train,validation}/<class>/<file>
#   data/visda/image_list/{train,validation}.txt
# With the official lists instead (paths relative to train/):
#   dict(_base_.visda_train_train, ann_file='train/image_list.txt',
#        data_prefix=dict(img_path='train'))
# VisDA reports the mean per-class accuracy: `mean_class_acc` of the
# evaluator (per-class accuracies logged too).  Pipelines and per-domain
# datasets as in office31.py; e.g. synthetic -> real:
#   val_dataloader = dict(batch_size=64, num_workers=4,
#       sampler=dict(type='DefaultSampler', shuffle=False),
#       dataset=_base_.visda_validation_test)
#   val_evaluator = _base_.visda_evaluator
visda_type = 'VisDADataset'
visda_root = 'data/visda'
visda_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=224),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
visda_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmcv.CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
# synthetic domain
visda_train_train = dict(
    type=visda_type,
    data_root=visda_root,
    ann_file='image_list/train.txt',
    pipeline=visda_train_pipeline)
visda_train_test = dict(
    visda_train_train, pipeline=visda_test_pipeline, test_mode=True)
# real domain
visda_validation_train = dict(
    type=visda_type,
    data_root=visda_root,
    ann_file='image_list/validation.txt',
    pipeline=visda_train_pipeline)
visda_validation_test = dict(
    visda_validation_train, pipeline=visda_test_pipeline, test_mode=True)
visda_evaluator = dict(type='ClsAccuracyMetric', per_class=True)
