# LADA on the digits pair (`make demo-cls`): LAS selection plus LAA, the
# progressive anchor-set augmentation (configs/lada/README.md), with the
# demo's 32x32 images (no resize or crop; the strong view is
# RandAugment(1, 2.0) mixed with the image by Eq. 5).
_base_ = [
    '../../_base_/models/resnet18-tiny_cls.py',
    '../../_base_/datasets/demo_cls_digits.py',
    '../../_base_/default_runtime_cls.py',
    '../../_base_/schedules/demo_cls_active_5r.py',
    '../../_base_/active/lada_paa.py',
]
randomness = dict(seed=0)
anchor_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MixWeakStrong',
        weak=[],
        alpha=0.2,
        strong=[
            dict(
                type='RandAugment', num_ops=1, magnitude=2.0, magnitude_max=30)
        ]),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(
    sampler=_base_.paa_sampler,
    dataset=dict(
        _delete_=True,
        type='PAADataset',
        source=_base_.demo_cls_source,
        target=dict(
            type='LabeledSubsetDataset',
            dataset=dict(_base_.demo_cls_target, pipeline=anchor_pipeline)),
        proposal_pipeline=_base_.demo_cls_pipeline,
        mode='laa',
        k=10))
val_dataloader = test_dataloader = dict(dataset=_base_.demo_cls_target)
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target))
]
train_cfg = dict(
    selector=dict(
        strategy=dict(type='LAS', k=10, m=10, neighbours='unlabelled', seed=0),
        pool_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target)))
