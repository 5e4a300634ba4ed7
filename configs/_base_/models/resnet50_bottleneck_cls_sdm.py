# The ResNet-50 bottleneck classifier trained with SDM-A ("Learning
# Distinctive Margin toward Active Domain Adaptation", Eq. 7): cross-entropy
# + sum_{i != y} alpha_i [m - z_y + z_i]_+ - z_y on the raw logits, m = 1,
# alpha_i = 1 - (z_y - z_i) / m (form='paper').  The released code's loss
# (hinge and -z_y on L2-normalised logits, the hinge sum / C, alpha
# discarded): loss=dict(form='released').  Plain SDM (Eq. 1):
# loss=dict(modulation=False, max_logit_weight=0.0).
# SET head.num_classes for your dataset (see resnet50_bottleneck_cls.py).
_base_ = ['./resnet50_bottleneck_cls.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='SDMLoss',
            form='paper',
            margin=1.0,
            modulation=True,
            max_logit_weight=1.0,
            margin_weight=1.0,
            ce_weight=1.0)))
