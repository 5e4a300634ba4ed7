# AADA (Su et al., WACV 2020): DANN + importance-weighted entropy.
_base_ = [
    '../_base_/cls_tasks/domainnet-real-clipart.py',
    '../_base_/models/dann_regularizer.py',
]
model = dict(regularizers=[_base_.dann_regularizer])
train_dataloader = dict(
    dataset=dict(
        streams=dict(
            unlabeled=dict(type='UnlabeledDataset', dataset=_base_.target))))
train_cfg = dict(selector=dict(strategy=dict(type='AADA', seed=0)))
