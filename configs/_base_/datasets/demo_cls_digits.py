# The built-in classification pair (`python tools/make_demo_cls_data.py
# data/demo_cls`): 899 clean digits (source) -> 898 other digits, inverted,
# tinted, rotated and noisy (target), 32x32, 10 classes.  Transductive: the
# target pool is also the test set.
demo_cls_root = 'data/demo_cls'
demo_cls_classes = tuple(str(c) for c in range(10))
demo_cls_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackClsInputs'),
]
demo_cls_source = dict(
    type='ImageListDataset',
    data_root=demo_cls_root,
    ann_file='source.txt',
    metainfo=dict(classes=demo_cls_classes),
    pipeline=demo_cls_pipeline)
demo_cls_target = dict(demo_cls_source, ann_file='target.txt')
