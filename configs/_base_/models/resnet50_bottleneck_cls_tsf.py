# The ResNet-50 bottleneck classifier with TSF (SAGE Eq. 2, 10): a
# class-level discriminator 256 -> 1024 -> 1024 -> C (C sigmoids,
# d_c = P(source | class c); ReLU, dropout 0.5) on the embedding z behind a
# gradient reversal layer (DANN ramp), conditioned by the source label and
# the (detached) target softmax; it serves SAGE's 'disc_grad' and 'domain'.
# The train dataloader must provide an 'unlabeled' target stream.
# SET head.num_classes AND the regulariser's num_classes, e.g.
#   model = dict(head=dict(num_classes=126),
#                regularizers=[dict(_base_.tsf_regularizer,
#                                   num_classes=126)])
_base_ = ['./resnet50_bottleneck_cls.py']
tsf_regularizer = dict(
    type='TSFRegularizer',
    num_classes=31,
    discriminator=dict(
        type='MLPDiscriminator',
        in_channels=256,
        hidden_channels=1024,
        num_layers=2,
        dropout_ratio=0.5),
    loss_weight=1.0,
    grl_coeff=1.0,
    grl_schedule='dann')
model = dict(regularizers=[tsf_regularizer])
