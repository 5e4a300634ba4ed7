_base_ = [
    '../_base_/cls_tasks/office31-amazon-webcam.py',
    '../_base_/active/mar.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
