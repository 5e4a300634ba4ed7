# SDM-AG on the digits pair (`make demo-cls`): the SDM-A margin loss (Eq. 7
# in the released code's form: on raw logits it reached NaN here) on the
# source and the bought images as one stream, and the SDM-G query
# (Eq. 8-9); configs/sdm/README.md.
_base_ = [
    '../../_base_/cls_tasks/demo-digits.py',
    '../../_base_/active/sdm.py',
]
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
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            _delete_=True,
            source=dict(
                type='JointLabeledDataset',
                source=_base_.demo_cls_source,
                target=dict(
                    type='LabeledSubsetDataset',
                    dataset=_base_.demo_cls_target)))))
train_cfg = dict(selector=dict(strategy=_base_.strategy))
