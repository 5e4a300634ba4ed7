# The digits demo's protocol: 7 source-only epochs (an epoch = one pass over
# the 899 source digits = 29 iterations of 32), then 5 rounds of 18 target
# images each (2% of the target per round) at the start of epochs 7, 10,
# 13, 16 and 19 (LADA's anchor-set augmentation restarts at epoch starts, so
# every demo method uses epoch-aligned rounds), 3 epochs of 32 source + 32
# labelled target images after each query (2 after the last), 21 epochs in
# all; SGD 0.05 with a poly decay restarting at every round.
train_cfg = dict(
    type='ActiveLoop',
    max_epochs=21,
    num_rounds=5,
    round_epochs=[7, 10, 13, 16, 19],
    budget=dict(per_round=18),
    checkpoint_every_epoch=True,
    selector=dict(units=dict(type='ImageUnits'), num_overlays=4))
cls_pool_loader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        type='RestartPolyLR',
        periods=[203, 87, 87, 87, 87, 58],
        power=0.9,
        by_epoch=False)
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(type='MultiStreamDataset', primary='source'))
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='ClsAccuracyMetric')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=30, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        # interval: one epoch (ActiveLoop checkpoint_every_epoch)
        type='CheckpointHook',
        by_epoch=False,
        interval=29,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='RoundMetricHook', metric='top1_acc')]
