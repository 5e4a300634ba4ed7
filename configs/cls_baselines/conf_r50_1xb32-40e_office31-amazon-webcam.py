_base_ = '../_base_/cls_tasks/office31-amazon-webcam.py'
train_cfg = dict(selector=dict(strategy=dict(type='Confidence', seed=0)))
