# TSF + MME (SAGE's DomainNet model, Table 1: TSF + Sage + Omega_MME): the
# cosine classifier and minimax entropy of resnet50_bottleneck_cls_mme.py
# plus the TSF class-level discriminator of resnet50_bottleneck_cls_tsf.py.
# SET head.num_classes AND both TSF num_classes, e.g.
#   model = dict(head=dict(num_classes=126), regularizers=[
#       _base_.mme_regularizer,
#       dict(_base_.tsf_regularizer, num_classes=126)])
_base_ = ['./resnet50_bottleneck_cls_mme.py']
mme_regularizer = dict(type='MMERegularizer', loss_weight=0.1, grl_coeff=1.0)
tsf_regularizer = dict(
    type='TSFRegularizer',
    num_classes=126,
    discriminator=dict(
        type='MLPDiscriminator',
        in_channels=256,
        hidden_channels=1024,
        num_layers=2,
        dropout_ratio=0.5),
    loss_weight=1.0,
    grl_coeff=1.0,
    grl_schedule='dann')
model = dict(regularizers=[mme_regularizer, tsf_regularizer])
