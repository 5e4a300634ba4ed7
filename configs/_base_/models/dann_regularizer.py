# DANN's regulariser (Ganin et al.; SAGE Eq. 1) for the bottleneck
# classifier, on its own so that a config with another model base can add
# it: model = dict(regularizers=[_base_.dann_regularizer]).  A binary domain
# discriminator 256 -> 1024 -> 1024 -> 1 (ReLU, dropout 0.5) on the
# embedding behind a gradient reversal layer whose coefficient ramps 0 -> 1
# over training (2 / (1 + exp(-10 p)) - 1); d = P(source), served to AADA
# as 'domain'.  The train dataloader must provide an 'unlabeled' target
# stream.
dann_regularizer = dict(
    type='DANNRegularizer',
    discriminator=dict(
        type='MLPDiscriminator',
        in_channels=256,
        out_channels=1,
        hidden_channels=1024,
        num_layers=2,
        dropout_ratio=0.5),
    loss_weight=1.0,
    grl_coeff=1.0,
    grl_schedule='dann')
