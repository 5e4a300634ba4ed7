# Optimisation of the adversarial UDA warm-up (AdaptSegNet [Tsai et al.,
# CVPR'18] / ADVENT [Vu et al., CVPR'19]; ADeADA supplement A: "SGD, initial
# lr 2.5e-4, decay 0.9, adversarial training for about 100k steps").
# Two optimisers, built by ADAAdversarialOptimWrapperConstructor for
# AdversarialEncoderDecoder:
#   segmentor:     SGD lr 2.5e-4, momentum 0.9, wd 5e-4, heads at 10x (as in
#                  da_sgd_poly.py), poly 0.9 to 0;
#   discriminator: Adam lr 1e-4, betas (0.9, 0.99), poly 0.9 to 0
#                  (both papers' discriminator recipe).
# Distributed runs need the wrapper that routes both passes through DDP
# (model_wrapper_cfg below; it is ignored by single-process runs).
# A config that changes the length must restate `train_cfg.max_iters` and
# both scheduler lists.  `--amp`: set `type='AmpOptimWrapper'` in each of
# optim_wrapper.segmentor / optim_wrapper.discriminator instead (the tool's
# flag expects a single wrapper).
max_iters = 100000
val_interval = 5000
checkpoint_interval = 5000
optim_wrapper = dict(
    constructor='ADAAdversarialOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
        clip_grad=None,
        paramwise_cfg=dict(
            custom_keys={
                'decode_head': dict(lr_mult=10.),
                'auxiliary_head': dict(lr_mult=10.),
            })),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)),
        clip_grad=None))
param_scheduler = dict(
    segmentor=[
        dict(
            type='PolyLR',
            eta_min=0.,
            power=0.9,
            begin=0,
            end=max_iters,
            by_epoch=False)
    ],
    discriminator=[
        dict(
            type='PolyLR',
            eta_min=0.,
            power=0.9,
            begin=0,
            end=max_iters,
            by_epoch=False)
    ])
model_wrapper_cfg = dict(
    type='ADAAdversarialDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True)
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=checkpoint_interval,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
