# Active rounds on the built-in synthetic pair with ADeADA: class-conditional
# density ratio log p_T(z|c) / p_S(z|c) on region features (source pool:
# the synthetic GTA5 images), category-balanced density budgets and the
# half-decay density/uncertainty schedule (alpha = beta = 1).
_base_ = ['./deeplabv3plus_r18-d8_4xb4-3x100_demo-active-rand.py']
strategy = dict(
    type='ActiveADeADA', alpha=1.0, beta=1.0, policy='half',
    category_balance=True, seed=0,
    # tiny pools: fewer regions per mixture component than the paper's 100
    density_cfg=dict(backend='torch', regions_per_component=20))
source_pool_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='GTA5Dataset',
        data_root='data/demo/gta5',
        pipeline={{_base_.pool_pipeline}}))
train_cfg = dict(
    strategy=strategy,
    source_pool_dataloader=source_pool_dataloader,
    source_region_cache='data/demo/regions/gta5_slic')
