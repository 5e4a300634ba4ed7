# The ResNet-50 bottleneck classifier trained with SDM-A (Xie et al., CVPR
# 2022, Eq. 7): cross-entropy on the raw logits + the margin loss (m = 1) on
# the L2-normalised logits with the modulation factors
# alpha_i = 1 - (z_y - z_i) / m and the max-logit term -z_y (the released
# code computes alpha and then discards it; here it is applied).  Plain SDM
# (Eq. 1): loss=dict(modulation=False, max_logit_weight=0.0).
# SET head.num_classes for your dataset (see resnet50_bottleneck_cls.py).
_base_ = ['./resnet50_bottleneck_cls.py']
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
