# DomainNet (345 classes): domains clipart, infograph, painting, quickdraw,
# real, sketch, each with the official train/test lists:
#   data/domainnet/<domain>/<class>/<file>.jpg
#   data/domainnet/<domain>_{train,test}.txt
# Datasets: domainnet_<domain>_train (train list, train pipeline) and
# domainnet_<domain>_test (test list, test pipeline).
#
# The 126-class subset of MME / SAGE (domains clipart, painting, real,
# sketch): MME's lists (VisionLearningGroup/SSDA_MME data/txt/multi) copied
# to data/domainnet/image_list_126/; domainnet126_<domain> is the whole
# domain (labeled_source_images_<domain>.txt, labels 0..125, subset='126').
# Pipelines as in office31.py; e.g. real -> clipart (345 classes):
#   val_dataloader = dict(batch_size=64, num_workers=4,
#       sampler=dict(type='DefaultSampler', shuffle=False),
#       dataset=_base_.domainnet_clipart_test)
#   val_evaluator = _base_.domainnet_evaluator
domainnet_type = 'DomainNetDataset'
domainnet_root = 'data/domainnet'
domainnet_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=224),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
domainnet_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmcv.CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
domainnet_clipart_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='clipart_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_clipart_test = dict(
    domainnet_clipart_train,
    ann_file='clipart_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
domainnet_infograph_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='infograph_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_infograph_test = dict(
    domainnet_infograph_train,
    ann_file='infograph_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
domainnet_painting_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='painting_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_painting_test = dict(
    domainnet_painting_train,
    ann_file='painting_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
domainnet_quickdraw_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='quickdraw_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_quickdraw_test = dict(
    domainnet_quickdraw_train,
    ann_file='quickdraw_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
domainnet_real_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='real_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_real_test = dict(
    domainnet_real_train,
    ann_file='real_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
domainnet_sketch_train = dict(
    type=domainnet_type,
    data_root=domainnet_root,
    ann_file='sketch_train.txt',
    pipeline=domainnet_train_pipeline)
domainnet_sketch_test = dict(
    domainnet_sketch_train,
    ann_file='sketch_test.txt',
    pipeline=domainnet_test_pipeline,
    test_mode=True)
# MME / SAGE 126-class subset (whole domains; split them per protocol)
domainnet126_clipart = dict(
    type=domainnet_type,
    subset='126',
    data_root=domainnet_root,
    ann_file='image_list_126/labeled_source_images_clipart.txt',
    pipeline=domainnet_train_pipeline)
domainnet126_painting = dict(
    domainnet126_clipart,
    ann_file='image_list_126/labeled_source_images_painting.txt')
domainnet126_real = dict(
    domainnet126_clipart,
    ann_file='image_list_126/labeled_source_images_real.txt')
domainnet126_sketch = dict(
    domainnet126_clipart,
    ann_file='image_list_126/labeled_source_images_sketch.txt')
domainnet_evaluator = dict(type='ClsAccuracyMetric')
