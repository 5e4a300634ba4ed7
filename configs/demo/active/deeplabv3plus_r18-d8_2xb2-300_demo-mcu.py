# ADA-MCU on the built-in synthetic pair from the source-only demo model:
# target pixels are bought inside the training steps (adaptive sampling of
# uncertain pixels), up to 5% of the target pixels in all (the budget of
# 5 rounds x 1% of the other demo strategies), with the multi-level
# contrastive units weighted by the DCCM.  300 iterations of 2 + 2 images.
_base_ = [
    '../../_base_/models/deeplabv3plus_r18-d8_tiny.py',
    '../../_base_/datasets/demo_online_gta5_cityscapes.py',
    '../../_base_/default_runtime.py',
]
load_from = 'work_dirs/demo/source-only/iter_600.pth'
randomness = dict(seed=0)
model = dict(
    type='MCUEncoderDecoder',
    # 40 target images, 2 per iteration: an epoch is 20 iterations
    sampler=dict(epoch_length=20),
    vis_interval=100)
train_cfg = dict(
    type='ActiveLoop',
    max_iters=300,
    online=dict(budget=0.05),
    val_interval=60)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=300,
        by_epoch=False)
]
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=60),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
custom_hooks = [dict(type='RoundMetricHook', metric='mIoU')]
