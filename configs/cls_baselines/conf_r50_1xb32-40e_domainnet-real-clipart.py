_base_ = [
    '../_base_/cls_tasks/domainnet-real-clipart.py',
    '../_base_/active/conf.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
