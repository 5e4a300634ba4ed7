# AdaptSegNet-style adversarial warm-up of the tiny DeepLabV3+ on the
# built-in synthetic GTA5 -> Cityscapes pair (`python tools/make_demo_data.py
# data/demo`): labelled "GTA5" source + UNLABELLED "Cityscapes" train images
# (no LoadAnnotations in the target pipeline), a small FCDiscriminator on the
# upsampled softmax of the main output, segmentor SGD + discriminator Adam,
# both with poly decay; 300 iterations, validated on "Cityscapes" val.
# ADVENT instead: --cfg-options model.adv_input=entropy
_base_ = [
    '../_base_/models/deeplabv3plus_r18-d8_tiny.py',
    '../_base_/datasets/demo_gta5_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/da_adversarial_poly_100k.py',
]
randomness = dict(seed=0)
max_iters = 300
model = dict(
    type='AdversarialEncoderDecoder',
    discriminator=dict(type='FCDiscriminator', ndf=16, negative_slope=0.2),
    adv_input='softmax',
    lambda_adv=0.001,
    source_label=0,
    target_label=1)
uda_target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=_base_.demo_scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        target=dict(
            type='CityscapesDataset',
            data_root=_base_.demo_root + '/cityscapes',
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=uda_target_pipeline)))
# the source-only demo's segmentor lr (random init), no head multiplier
optim_wrapper = dict(
    segmentor=dict(
        _delete_=True,
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
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
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
