# SAGE + TSF on the digits pair (`make demo-cls`): the class-level
# domain discriminator of TSF (Eq. 2/10) trained on source and unlabelled
# target through a gradient reversal layer, and SAGE's selection from its
# gradients (Eq. 3-6); configs/sage/README.md.
_base_ = '../../_base_/cls_tasks/demo-digits.py'
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
            unlabeled=dict(
                type='UnlabeledDataset', dataset=_base_.demo_cls_target))))
train_cfg = dict(
    selector=dict(
        strategy=dict(type='SAGE', diversity='farthest', pop=True, seed=0)))
