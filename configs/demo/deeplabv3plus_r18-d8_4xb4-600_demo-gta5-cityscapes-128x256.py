# Source-only DeepLabV3+ on the built-in synthetic GTA5 -> Cityscapes pair:
# trains on the synthetic "GTA5" source, validates on the synthetic
# "Cityscapes" val split.  `make demo` runs it on the CPU in a few minutes.
# On the default pair of tools/make_demo_data.py (seed 0): 25.5 mIoU on the
# 80 target val images; the target-only bound (..._demo-cityscapes-128x256.py,
# same model and schedule on the labelled target train split): 65.0.
_base_ = [
    '../_base_/models/deeplabv3plus_r18-d8_tiny.py',
    '../_base_/datasets/demo_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
]
randomness = dict(seed=0)
# lr 0.05: the randomly initialised tiny model at lr 0.01 learns only the
# large classes in 600 iterations (0 IoU for pole, light, sign and person
# even on its own training domain)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=600,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=600, val_interval=600)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=600),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
