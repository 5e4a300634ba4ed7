_base_ = '../_base_/cls_tasks/domainnet-real-clipart.py'
train_cfg = dict(selector=dict(strategy=dict(type='BADGE', seed=0)))
