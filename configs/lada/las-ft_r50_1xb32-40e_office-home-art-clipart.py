# LADA Table 1: LAS + fine-tuning (Eq. 3), Office-Home Ar -> Cl, 5 % budget.
_base_ = [
    '../_base_/cls_tasks/office-home-art-clipart.py',
    '../_base_/active/las.py',
]
train_cfg = dict(selector=dict(strategy=_base_.strategy))
