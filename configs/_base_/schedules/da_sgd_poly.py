# The optimisation recipe of the DeepLab-based domain-adaptation literature
# (AdaptSegNet, ADVENT; ADeADA supplement A for warm-up and fine-tuning):
# SGD, lr 2.5e-4, momentum 0.9, weight decay 5e-4, heads at 10x the
# backbone's lr, poly decay with power 0.9 down to 0 (mmseg's schedules
# stop at eta_min=1e-4, above this lr; the DA recipe decays to 0).
# AdaptSegNet uses one image per iteration at this lr.
# mmengine's PolyLR gives lr_t = base_lr * (1 - t / (end - 1)) ** 0.9 for
# iteration t (0-based), i.e. exactly 0 at the last iteration; AdaptSegNet's
# base_lr * (1 - t / max_iters) ** 0.9 differs by one step in the denominator.
#
# `max_iters` is substituted into `train_cfg` and `param_scheduler` when this
# file is loaded: a config that changes the length must override
# `train_cfg.max_iters` AND `param_scheduler` (a list, so restate it), e.g.
#   train_cfg = dict(max_iters=100000)
#   param_scheduler = [dict(type='PolyLR', eta_min=0., power=0.9, begin=0,
#                           end=100000, by_epoch=False)]
# ADeADA warms up (adversarially) for about 100k iterations; 40k is mmseg's
# usual single-stage length and our source-only default.
max_iters = 40000
val_interval = 4000
checkpoint_interval = 4000
base_lr = 2.5e-4
head_lr_mult = 10.
optimizer = dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=5e-4)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    clip_grad=None,
    paramwise_cfg=dict(
        custom_keys={
            'decode_head': dict(lr_mult=head_lr_mult),
            'auxiliary_head': dict(lr_mult=head_lr_mult),
        }))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=checkpoint_interval),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
