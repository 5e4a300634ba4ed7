# SAGE + TSF on the digits pair (`make demo-cls`): the class-level
# domain discriminator of TSF (Eq. 2/10) trained on source and unlabelled
# target through a gradient reversal layer, and SAGE's selection from its
# gradients (Eq. 3-6); configs/sage/README.md.
_base_ = [
    '../../_base_/models/resnet18-tiny_cls.py',
    '../../_base_/datasets/demo_cls_digits.py',
    '../../_base_/default_runtime_cls.py',
    '../../_base_/schedules/demo_cls_active_5r.py',
    '../../_base_/active/sage.py',
]
randomness = dict(seed=0)
model = dict(regularizers=[
    dict(
        type='TSFRegularizer',
        num_classes=10,
        discriminator=dict(
            type='MLPDiscriminator',
            in_channels=64,
            hidden_channels=256,
            num_layers=2,
            dropout_ratio=0.5),
        loss_weight=1.0,
        grl_coeff=1.0,
        grl_schedule='dann')
])
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            source=_base_.demo_cls_source,
            target=dict(
                type='LabeledSubsetDataset', dataset=_base_.demo_cls_target),
            unlabeled=dict(
                type='UnlabeledDataset', dataset=_base_.demo_cls_target))))
val_dataloader = test_dataloader = dict(dataset=_base_.demo_cls_target)
train_cfg = dict(
    _base_.cls_active_protocol,
    selector=dict(
        _base_.cls_selector,
        strategy=_base_.strategy,
        pool_dataloader=dict(
            _base_.cls_pool_loader, dataset=_base_.demo_cls_target)))
