# LADA on the digits pair (`make demo-cls`): LAS selection plus LAA, the
# progressive anchor-set augmentation (configs/lada/README.md), with the
# demo's 32x32 images (no resize or crop; the strong view is
# RandAugment(1, 2.0) mixed with the image by Eq. 5).
_base_ = [
    '../../_base_/cls_tasks/demo-digits.py',
    '../../_base_/active/lada_paa.py',
]
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
custom_hooks = _base_.custom_hooks + [
    dict(
        _base_.paa_hook,
        bank_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target))
]
train_cfg = dict(
    selector=dict(
        strategy=dict(type='LAS', k=10, m=10, neighbours='unlabelled',
                      seed=0)))
