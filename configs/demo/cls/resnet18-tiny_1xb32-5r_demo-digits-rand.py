# Image-level active rounds on the built-in digits pair (`make demo-cls`).
_base_ = '../../_base_/cls_tasks/demo-digits.py'
train_cfg = dict(selector=dict(strategy=dict(type='Random', seed=0)))
