_base_ = '../_base_/seg_tasks/deeplabv3plus-r101-d8_synthia-cityscapes.py'
train_cfg = dict(selector=dict(strategy=dict(type='Random', seed=0)))
