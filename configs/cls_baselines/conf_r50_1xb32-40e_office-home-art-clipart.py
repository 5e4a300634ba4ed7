_base_ = '../_base_/cls_tasks/office-home-art-clipart.py'
train_cfg = dict(selector=dict(strategy=dict(type='Confidence', seed=0)))
