# GTA5 -> Cityscapes active domain adaptation input (ADeADA protocol).
#
# train_dataloader: every item is a labelled GTA5 sample plus a Cityscapes
#   train image holding bought labels (SourceTargetDataset over
#   active_target_dataset, see active_cityscapes_target.py); the sampler
#   restarts and reseeds at every round (RoundInfiniteSampler).
# active_pool: what the selector scores (configs/_base_/seg_tasks/ pass it to
#   train_cfg.selector): region units from the Cityscapes SLIC cache, the
#   target pool loader, and for ADeADA's p_S(z|c) the source pool: all
#   24,966 GTA5 images (~1M SLIC regions) at the source training scale,
#   scored every round as in the paper's Algorithm 1.  Speed lever: a fixed
#   random subset through `ann_file` (one stem per line, relative to
#   data_root), e.g.
#     ls data/gta5/images | sed 's/\.png$//' | shuf -n 5000 \
#       --random-source=<(yes) > data/gta5/splits/pool_5k.txt
#     --cfg-options \
#       train_cfg.selector.source_pool_dataloader.dataset.ann_file=splits/pool_5k.txt
#   (a subset changes p_S: no longer the paper's protocol).
# Source region cache:
#   python tools/precompute_regions.py data/gta5/images \
#       --out data/gta5/regions/slic --nproc 8
# Validation: Cityscapes val, 19-class mIoU.
_base_ = ['./gta5.py', './active_cityscapes_target.py']
source_region_cache = 'data/gta5/regions/slic'
train_dataloader = dict(
    batch_size=2,  # + up to 2 labelled target images
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='RoundInfiniteSampler', shuffle=True),
    collate_fn=dict(type='multi_stream_collate'),
    dataset=dict(
        type='SourceTargetDataset',
        source=_base_.gta5_train_dataset,
        target=_base_.active_target_dataset))
source_pool_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=_base_.gta5_type,
        data_root=_base_.gta5_root,
        ann_file='',  # '' = every image; see the subset note above
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=_base_.gta5_scale, keep_ratio=True),
            dict(type='PackSegInputs'),
        ]))
active_pool = dict(
    units=dict(type='RegionUnits', cache=_base_.target_region_cache),
    pool_dataloader=_base_.pool_dataloader,
    source_units=dict(type='RegionUnits', cache=source_region_cache),
    source_pool_dataloader=source_pool_dataloader)
