# The ResNet-50 bottleneck classifier trained with SDM-A ("Learning
# Distinctive Margin toward Active Domain Adaptation", Eq. 7) in the
# released code's form (form='released': the hinge and the max-logit term
# -z_y on L2-normalised logits, the hinge sum / C, alpha discarded), the
# loss behind the paper's numbers.  Eq. 7 as written (form='paper': raw
# logits, sum_{i != y} alpha_i [m - z_y + z_i]_+ - z_y) has no lower bound:
# -z_y drives the logits up without limit, and the demo's SDM-AG reached NaN
# in its first epoch (configs/sdm/README.md).  Plain SDM (Eq. 1, bounded):
# loss=dict(form='released', modulation=False, max_logit_weight=0.0).
# SET head.num_classes for your dataset (see resnet50_bottleneck_cls.py).
_base_ = ['./resnet50_bottleneck_cls.py']
model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='SDMLoss',
            form='released',
            margin=1.0,
            modulation=True,
            max_logit_weight=1.0,
            margin_weight=1.0,
            ce_weight=1.0)))
