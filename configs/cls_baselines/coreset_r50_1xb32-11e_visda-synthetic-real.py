_base_ = [
    '../_base_/cls_tasks/visda-synthetic-real.py',
    '../_base_/active/coreset.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
