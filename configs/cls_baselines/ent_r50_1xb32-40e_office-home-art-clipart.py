_base_ = [
    '../_base_/cls_tasks/office-home-art-clipart.py',
    '../_base_/active/ent.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
