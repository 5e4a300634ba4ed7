# The ResNet-50 bottleneck classifier with DANN (Ganin et al.; SAGE Eq. 1),
# the adaptation of the AADA baseline: a binary domain discriminator
# 256 -> 1024 -> 1024 -> 1 (ReLU, dropout 0.5) on the embedding behind a
# gradient reversal layer whose coefficient ramps 0 -> 1 over training
# (2 / (1 + exp(-10 p)) - 1); d = P(source), served to AADA as 'domain'.
# The train dataloader must provide an 'unlabeled' target stream.
# SET head.num_classes for your dataset (see resnet50_bottleneck_cls.py).
_base_ = ['./resnet50_bottleneck_cls.py', './dann_regularizer.py']
model = dict(regularizers=[_base_.dann_regularizer])
