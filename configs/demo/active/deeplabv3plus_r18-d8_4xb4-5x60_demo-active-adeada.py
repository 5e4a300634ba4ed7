# Active rounds on the built-in synthetic pair from the source-only demo
# model (`make demo` runs it); 5 rounds x 1% of the target pixels.
_base_ = [
    '../../_base_/models/deeplabv3plus_r18-d8_tiny_bn-eval.py',
    '../../_base_/datasets/demo_active_gta5_cityscapes.py',
    '../../_base_/default_runtime.py',
    '../../_base_/schedules/demo_active_5x60.py',
    '../../_base_/active/adeada.py',
]
load_from = 'work_dirs/demo/source-only/iter_600.pth'
randomness = dict(seed=0)
train_cfg = dict(
    _base_.active_protocol,
    selector=dict(
        _base_.active_pool,
        # tiny pools: fewer regions per mixture component than the paper's
        strategy=dict(
            _base_.strategy, density_cfg=dict(regions_per_component=20))))
