# The ResNet-50 bottleneck classifier trained with MME (Saito et al., ICCV
# 2019; SAGE Eq. 9): cosine classifier (L2-normalised embedding and weight
# rows, temperature 0.05, no bias) and minimax entropy on the unlabelled
# target stream, lambda 0.1, through a gradient reversal layer between the
# 256-d embedding and the classifier.  Supervised part: S + T ('st'), as
# SAGE's Omega_MME and LADA's/CLUE's MME solvers.  The train dataloader must
# provide an 'unlabeled' stream.
# SET head.num_classes for your dataset (see resnet50_bottleneck_cls.py).
_base_ = ['./resnet50_bottleneck_cls.py']
model = dict(
    head=dict(
        type='CosineBottleneckClsHead',
        temperature=0.05,
        normalize_weight=True),
    regularizers=[dict(type='MMERegularizer', loss_weight=0.1, grl_coeff=1.0)])
