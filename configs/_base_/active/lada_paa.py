# LADA's progressive anchor-set augmentation (RAA / LAA, Sec. 3.2; see
# configs/lada/README.md).  The train dataset is a PAADataset:
#   train_dataloader = dict(
#       sampler=_base_.paa_sampler,
#       dataset=dict(_delete_=True, type='PAADataset', source=<source>,
#           target=dict(type='LabeledSubsetDataset',
#                       dataset=dict(<target>,
#                                    pipeline=_base_.paa_anchor_pipeline)),
#           proposal_pipeline=_base_.paa_proposal_pipeline,
#           mode='laa' (or 'raa'), k=10))
#   custom_hooks = _base_.custom_hooks + [dict(_base_.paa_hook,
#       bank_dataloader=dict(_base_.cls_pool_loader, dataset=<pool>))]
# Anchors (bought or pseudo-labelled target images) are trained on the mixed
# view of Eq. 5: beta x + (1 - beta) RandAugment(x), beta ~ Beta(0.2, 0.2);
# LADA's code: weak = resize 256 x 256 + random 224 crop (no flip), strong =
# RandAugment(1, 2.0) + shorter side 256 + flip + random 224 crop.
# Proposals (one per anchor) use the weak view; confident ones (>= 0.9) that
# pass the class-balancing rejection (Eq. 4) join the set after each pass.
paa_weak_view = [
    dict(type='mmcv.Resize', scale=(256, 256), keep_ratio=False),
    dict(type='ClsRandomCrop', crop_size=224),
]
paa_strong_view = [
    dict(type='RandAugment', num_ops=1, magnitude=2.0, magnitude_max=30),
    dict(type='mmcv.Resize', scale=(256, 100000), keep_ratio=True),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ClsRandomCrop', crop_size=224),
]
paa_anchor_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MixWeakStrong',
        weak=paa_weak_view,
        strong=paa_strong_view,
        alpha=0.2),
    dict(type='PackClsInputs'),
]
paa_proposal_pipeline = [dict(type='LoadImageFromFile')
                         ] + paa_weak_view + [dict(type='PackClsInputs')]
paa_sampler = dict(type='PositionedRoundSampler', shuffle=True)
paa_hook = dict(type='PAAHook', threshold=0.9)
