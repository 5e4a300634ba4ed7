# Office-Home (65 classes): domains Art (2427 images), Clipart (4365),
# Product (4439), Real_World (4357).  Layout (Transfer-Learning-Library):
#   data/office_home/{Art,Clipart,Product,Real_World}/<class>/00001.jpg
#   data/office_home/image_list/{Art,Clipart,Product,Real_World}.txt
# Labels in the order of those lists (Drill = 0, ..., Marker = 64); lists in
# alphabetical order need class_order='alphabetical' (or 'ascii'), e.g.
#   dict(_base_.office_home_Art_train, class_order='alphabetical')
# (a wrong order is reported with the first mismatching line).
# Pipelines, train/test datasets per domain and the transductive protocol as
# in office31.py; e.g. for Ar -> Cl:
#   val_dataloader = dict(batch_size=64, num_workers=4,
#       sampler=dict(type='DefaultSampler', shuffle=False),
#       dataset=_base_.office_home_Clipart_test)
#   val_evaluator = _base_.office_home_evaluator
office_home_type = 'OfficeHomeDataset'
office_home_root = 'data/office_home'
office_home_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=224),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
office_home_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='mmcv.CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
office_home_Art_train = dict(
    type=office_home_type,
    data_root=office_home_root,
    ann_file='image_list/Art.txt',
    pipeline=office_home_train_pipeline)
office_home_Art_test = dict(
    office_home_Art_train, pipeline=office_home_test_pipeline, test_mode=True)
office_home_Clipart_train = dict(
    type=office_home_type,
    data_root=office_home_root,
    ann_file='image_list/Clipart.txt',
    pipeline=office_home_train_pipeline)
office_home_Clipart_test = dict(
    office_home_Clipart_train,
    pipeline=office_home_test_pipeline,
    test_mode=True)
office_home_Product_train = dict(
    type=office_home_type,
    data_root=office_home_root,
    ann_file='image_list/Product.txt',
    pipeline=office_home_train_pipeline)
office_home_Product_test = dict(
    office_home_Product_train,
    pipeline=office_home_test_pipeline,
    test_mode=True)
office_home_Real_World_train = dict(
    type=office_home_type,
    data_root=office_home_root,
    ann_file='image_list/Real_World.txt',
    pipeline=office_home_train_pipeline)
office_home_Real_World_test = dict(
    office_home_Real_World_train,
    pipeline=office_home_test_pipeline,
    test_mode=True)
office_home_evaluator = dict(type='ClsAccuracyMetric')
