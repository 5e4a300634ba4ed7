# Image-level active rounds on the built-in digits pair (`make demo-cls`).
_base_ = [
    '../../_base_/models/resnet18-tiny_cls.py',
    '../../_base_/datasets/demo_cls_digits.py',
    '../../_base_/default_runtime_cls.py',
    '../../_base_/schedules/demo_cls_active_5r.py',
    '../../_base_/active/rand.py',
]
randomness = dict(seed=0)
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=_base_.demo_cls_source,
            target=dict(
                type='LabeledSubsetDataset', dataset=_base_.demo_cls_target))))
val_dataloader = test_dataloader = dict(dataset=_base_.demo_cls_target)
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=_base_.strategy,
        pool_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target)))
