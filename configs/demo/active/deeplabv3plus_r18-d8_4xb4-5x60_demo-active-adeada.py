# Active rounds on the built-in synthetic pair from the source-only demo
# model (`make demo` runs it); 5 rounds x 1% of the target pixels.
_base_ = '../../_base_/seg_tasks/demo-active-gta5-cityscapes.py'
# tiny pools: fewer regions per mixture component than the paper's
train_cfg = dict(
    selector=dict(
        strategy=dict(
            type='ADeADA',
            alpha=1.0,
            beta=1.0,
            policy='half',
            category_balance=True,
            sigma='log10',
            uncertainty='entropy',
            seed=0,
            density_cfg=dict(regions_per_component=20))))
