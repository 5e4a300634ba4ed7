# Active rounds on the built-in synthetic pair, random regions (RAND).
# Starts from the source-only demo model (`make demo`); `make demo-active`
# runs it.  3 rounds x 1% of the target pixels, 100 iterations per round.
_base_ = [
    '../../_base_/models/deeplabv3plus_r18-d8_tiny.py',
    '../../_base_/datasets/demo_active_gta5_cityscapes.py',
    '../../_base_/default_runtime.py',
]
load_from = 'work_dirs/demo/iter_600.pth'
randomness = dict(seed=0)
num_rounds = 3
iters_per_round = 100
strategy = dict(type='ActiveRandom', seed=0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = []  # constant lr during fine-tuning rounds
train_cfg = dict(
    type='ActiveIterBasedTrainLoop',
    max_iters=num_rounds * iters_per_round,
    num_rounds=num_rounds,
    iters_per_round=iters_per_round,
    budget_per_round=0.01,
    strategy=strategy,
    region_cache={{_base_.demo_region_cache}},
    pool_dataloader={{_base_.pool_dataloader}},
    num_overlays=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=iters_per_round),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
