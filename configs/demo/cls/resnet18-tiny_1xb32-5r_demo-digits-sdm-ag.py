# SDM-AG on the digits pair (`make demo-cls`): the SDM-A margin loss (Eq. 7)
# on the source and the bought images as one stream, and the SDM-G query
# (Eq. 8-9); configs/sdm/README.md.
_base_ = [
    '../../_base_/models/resnet18-tiny_cls.py',
    '../../_base_/datasets/demo_cls_digits.py',
    '../../_base_/default_runtime_cls.py',
    '../../_base_/schedules/demo_cls_active_5r.py',
    '../../_base_/active/sdm.py',
]
randomness = dict(seed=0)
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='SDMLoss',
            margin=1.0,
            normalize=True,
            modulation=True,
            max_logit_weight=1.0,
            margin_weight=1.0,
            ce_weight=1.0,
            class_reduction='mean')))
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=dict(
                type='JointLabeledDataset',
                source=_base_.demo_cls_source,
                target=dict(
                    type='LabeledSubsetDataset',
                    dataset=_base_.demo_cls_target)))))
val_dataloader = test_dataloader = dict(dataset=_base_.demo_cls_target)
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=_base_.strategy,
        pool_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target)))
