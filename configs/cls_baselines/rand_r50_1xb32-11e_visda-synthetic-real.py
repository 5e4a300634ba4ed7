_base_ = '../_base_/cls_tasks/visda-synthetic-real.py'
train_cfg = dict(selector=dict(strategy=dict(type='Random', seed=0)))
