# Image-level active rounds of LADA / SDM / CLUE on Office-31 and Office-Home
# (an epoch = one pass over the source): 40 epochs from ImageNet, a query at
# the start of epochs 10, 12, 14, 16 and 18, 5% of the target pool in all
# (round(|T| x 0.05), floor(T / 5) per round, the remainder to the last),
# 32 source + 32 labelled target images per step, one Adadelta optimiser
# for the whole run (cls_adadelta.py).  Validation at each round's end and
# at the end; the round reports hold top-1 and mean class accuracy of the
# model at that point; the final model is the one reported.
# Transductive protocol (LADA, SDM, CLUE): the target pool is also the test
# set.  A config fills the streams and the pool (the task bases in
# configs/_base_/cls_tasks/ do, for the benchmarks' usual pairs):
#   train_dataloader = dict(dataset=dict(streams=dict(
#       source=<source train>,
#       target=dict(type='LabeledSubsetDataset', dataset=<target train>))))
#   val_dataloader = dict(dataset=<target test>)
#   train_cfg = dict(selector=dict(
#       strategy=dict(type='Entropy', seed=0),
#       pool_dataloader=dict(_base_.cls_pool_loader,
#                            dataset=<target test>)))
_base_ = ['./cls_adadelta.py']
cls_selector = dict(units=dict(type='ImageUnits'), num_overlays=4)
train_cfg = dict(
    type='ActiveLoop',
    max_epochs=40,
    num_rounds=5,
    round_epochs=[10, 12, 14, 16, 18],
    budget=dict(total=0.05),
    checkpoint_every_epoch=True,
    selector=cls_selector)
cls_pool_loader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False))
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(type='MultiStreamDataset', primary='source'))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='ClsAccuracyMetric')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # interval: one epoch (ActiveLoop checkpoint_every_epoch)
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='RoundMetricHook', metric='top1_acc')]
