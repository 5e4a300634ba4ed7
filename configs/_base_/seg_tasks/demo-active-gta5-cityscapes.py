# The active demo's task (`make demo`, tools/run_demo.py): the tiny
# DeepLabV3+ R18 (backbone BN statistics kept) from the demo's source-only
# checkpoint, 5 rounds of 1% of the demo target's pixels with 60 iterations
# after each, and the region pool.  A top-level config adds the strategy
# (configs/demo/active):
#   _base_ = '../../_base_/seg_tasks/demo-active-gta5-cityscapes.py'
#   train_cfg = dict(selector=dict(strategy=dict(type='Entropy', seed=0)))
_base_ = [
    '../models/deeplabv3plus_r18-d8_tiny_bn-eval.py',
    '../datasets/demo_active_gta5_cityscapes.py',
    '../default_runtime.py',
    '../schedules/demo_active_5x60.py',
]
load_from = 'work_dirs/demo/source-only/iter_600.pth'
randomness = dict(seed=0)
train_cfg = dict(selector=_base_.active_pool)
