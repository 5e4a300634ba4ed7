# One region-level ADA task with ADeADA's protocol (supplement A): the
# DeepLabV2 R101 segmentor (frozen backbone BN) warmed up by AdaptSegNet on
# SYNTHIA -> Cityscapes (its checkpoint is `load_from`), 5 rounds of 1% of the
# target pixels, 10k iterations after each, and the region pools the selector
# scores (`active_pool` of the dataset base).  What is left to a top-level
# config is the strategy (configs/adeada, configs/active_baselines):
#   _base_ = '../_base_/seg_tasks/deeplabv2-r101_synthia-cityscapes.py'
#   train_cfg = dict(selector=dict(strategy=dict(type='Entropy', seed=0)))
_base_ = [
    '../models/deeplabv2_r101_frozen-bn.py',
    '../datasets/active_synthia_cityscapes.py',
    '../default_runtime.py',
    '../schedules/active_5x10k.py',
]
load_from = ('work_dirs/adaptseg_deeplabv2-r101_1xb2-100k_'
             'synthia-cityscapes-512x1024/iter_100000.pth')
randomness = dict(seed=0)
model = dict(data_preprocessor=dict(size=(512, 1024)))
train_cfg = dict(selector=_base_.active_pool)
