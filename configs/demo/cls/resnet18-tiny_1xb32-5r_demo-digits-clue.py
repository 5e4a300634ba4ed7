# Image-level active rounds on the built-in digits pair (`make demo-cls`).
_base_ = [
    '../../_base_/cls_tasks/demo-digits.py',
    '../../_base_/active/clue.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
