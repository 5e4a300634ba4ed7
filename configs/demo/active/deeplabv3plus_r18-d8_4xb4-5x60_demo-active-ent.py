# Active rounds on the built-in synthetic pair from the source-only demo
# model (`make demo` runs it); 5 rounds x 1% of the target pixels.
_base_ = '../../_base_/seg_tasks/demo-active-gta5-cityscapes.py'
train_cfg = dict(selector=dict(strategy=dict(type='Entropy', seed=0)))
