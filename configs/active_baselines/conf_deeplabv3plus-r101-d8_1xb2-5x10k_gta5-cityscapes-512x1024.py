_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_gta5-cityscapes.py'
train_cfg = dict(selector=dict(strategy=dict(type='Confidence', seed=0)))
