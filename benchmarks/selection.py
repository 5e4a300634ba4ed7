"""Cost of one selection round beyond the model's forward passes.

One round of the real selector (:class:`mmseg_ada.engine.ActiveSelector`:
collect -> select -> commit -> report) on synthetic street-like images at
Cityscapes resolution (2048x1024 maps, 1024x512 network input) with the
tiny demo DeepLabV3+, for ENT and for ADeADA (which also scores a source
pool and fits the class densities).  The selector times each phase; the
forward pass over the pools is loading the images plus running the model,
and the overhead is everything else (pooling per region, gathering, density
fits and ranking, the commit, the report).  Pooling runs in a worker thread
beside the forward pass of the next image: ``pool`` is its time, ``wait``
the time the selector waited for it::

    overhead = (total - load - forward) / (load + forward)

Usage::

    python benchmarks/selection.py [--images 16] [--quick]

The model is initialised from seed 0, so every run buys the same pixels:
a digest of the stamp maps after the two rounds is printed to compare
runs (and code versions).

Last line: ``overhead: <x>%`` (ADeADA's, the strategy with the most work
besides the forward pass; ENT's is printed above it).
"""
import argparse
import hashlib
import os
import os.path as osp
import sys
import tempfile
import time

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_CFG = osp.join(REPO, 'configs', '_base_', 'models',
                     'deeplabv3plus_r18-d8_tiny.py')


def _street(rng, h, w):
    """A street-like image: sky, buildings, road, noise."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:h // 3] = (200, 170, 120)
    img[h // 3:2 * h // 3] = rng.integers(60, 160, 3)
    img[2 * h // 3:] = (90, 90, 90)
    for _ in range(12):
        y, x = rng.integers(0, h - 64), rng.integers(0, w - 64)
        img[y:y + rng.integers(16, 64), x:x + rng.integers(16, 64)] = \
            rng.integers(0, 256, 3)
    noise = rng.normal(0, 8, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def make_data(root, n, seed=0):
    """``n`` Cityscapes-layout target images with labels, ``n`` source."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        city = f'city{i % 4}'
        stem = f'{city}_{i:06d}_000019'
        d_img = osp.join(root, 'cityscapes', 'leftImg8bit', 'train', city)
        d_gt = osp.join(root, 'cityscapes', 'gtFine', 'train', city)
        os.makedirs(d_img, exist_ok=True)
        os.makedirs(d_gt, exist_ok=True)
        img = _street(rng, 1024, 2048)
        cv2.imwrite(osp.join(d_img, stem + '_leftImg8bit.png'), img)
        gt = (img[..., 0] // 14).astype(np.uint8) % 19
        cv2.imwrite(osp.join(d_gt, stem + '_gtFine_labelTrainIds.png'), gt)
        d_src = osp.join(root, 'source')
        os.makedirs(d_src, exist_ok=True)
        cv2.imwrite(osp.join(d_src, f'{i:05d}.png'), _street(rng, 720, 1280))


def build(root, strategy):
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    import mmseg_ada  # noqa: F401
    from mmseg_ada.active.oracles import GroundTruthOracle
    from mmseg_ada.active.region_cache import RegionCache
    from mmseg_ada.active.units import PoolItem
    from mmseg_ada.engine import ActiveSelector
    from tools.precompute_regions import find_images, precompute_regions
    register_all_modules(init_default_scope=True)
    tgt_cache = osp.join(root, 'regions', 'target')
    src_cache = osp.join(root, 'regions', 'source')
    for src, cache, suffix in ((osp.join(root, 'cityscapes', 'leftImg8bit',
                                         'train'), tgt_cache,
                                '_leftImg8bit.png'), (osp.join(root, 'source'),
                                                      src_cache, '.png')):
        if not osp.isfile(osp.join(cache, 'meta.json')):
            precompute_regions(
                find_images(src, suffix), RegionCache(cache, 'slic'), nproc=2)
    pool_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1024, 512), keep_ratio=True),
        dict(type='PackSegInputs')
    ]
    target = dict(
        type='CityscapesDataset',
        data_root=osp.join(root, 'cityscapes'),
        data_prefix=dict(img_path='leftImg8bit/train', seg_map_path=''),
        pipeline=pool_pipeline)
    loader = dict(
        batch_size=1,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=target)
    source = dict(
        batch_size=1,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(
            type='BaseSegDataset',
            data_root=root,
            data_prefix=dict(img_path='source'),
            img_suffix='.png',
            pipeline=pool_pipeline))
    selector = ActiveSelector(
        strategy=strategy,
        units=dict(type='RegionUnits', cache=tgt_cache),
        pool_dataloader=loader,
        source_units=dict(type='RegionUnits', cache=src_cache),
        source_pool_dataloader=source)
    cfg = Config.fromfile(MODEL_CFG)
    import torch
    torch.manual_seed(0)  # the same model (so the same picks) every run
    model = MODELS.build(cfg.model)
    model.eval()

    class _Runner:
        pass

    runner = _Runner()
    runner.model = model
    runner.build_dataloader = Runner.build_dataloader
    gt_ds = Runner.build_dataloader(
        dict(
            loader,
            dataset=dict(
                target,
                data_prefix=dict(
                    img_path='leftImg8bit/train',
                    seg_map_path='gtFine/train')))).dataset
    items = []
    for i in range(len(gt_ds)):
        p = gt_ds.get_data_info(i)['img_path']
        items.append(
            PoolItem(i,
                     osp.basename(p)[:-len('_leftImg8bit.png')], (1024, 2048),
                     p))
    selector.setup(runner, items,
                   GroundTruthOracle().bind(gt_ds), gt_ds.metainfo['classes'],
                   lambda p: osp.basename(p)[:-len('_leftImg8bit.png')])
    return selector, items


def run(root, strategy, work):
    """Rounds 1 and 2; round 1 also pays one-off costs (imports, loaders),
    so round 2 is the steady state that is reported."""
    from mmseg_ada.active.stores import MaskLabelStore
    selector, items = build(root, strategy)
    store = MaskLabelStore(work, dict(benchmark=strategy['type']))
    budget = int(0.01 * len(items) * 1024 * 2048)
    out = []
    for k in (1, 2):
        t0 = time.perf_counter()
        selector.run_round(k, budget, store, num_rounds=5, iteration=0)
        selector.wait()  # pictures: drawn while training would go on
        sec = dict(selector.last_seconds)
        sec['wall'] = time.perf_counter() - t0
        out.append(sec)
    # what was bought: every labelled pixel's round, over the two rounds
    h = hashlib.sha1()
    for stem in store.labeled_stems():
        h.update(stem.encode())
        h.update(store.round_map(stem, (1024, 2048)).tobytes())
    out[-1]['digest'] = h.hexdigest()[:12]
    store.close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', type=int, default=16)
    p.add_argument('--quick', action='store_true', help='4 images')
    p.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    n = 4 if args.quick else args.images
    with tempfile.TemporaryDirectory() as tmp:
        print(f'making {n} target + {n} source images ...', flush=True)
        make_data(tmp, n)
        rows = {}
        for name, strategy in (('ENT', dict(type='Entropy')),
                               ('ADeADA',
                                dict(
                                    type='ADeADA',
                                    seed=0,
                                    density_cfg=dict(
                                        regions_per_component=20)))):
            first, second = run(tmp, strategy, osp.join(tmp, f'work_{name}'))
            rows[f'{name} r1'] = first
            rows[name] = second
        keys = ('load', 'forward', 'pool', 'wait', 'gather', 'select',
                'commit', 'report', 'total')
        for sec in rows.values():
            sec['wait'] = sec.get('pool_wait', 0.0)
        print(f"\n{'':10} " + ' '.join(f'{k:>7}' for k in keys) + ' overhead')
        for name, sec in rows.items():
            fwd = sec.get('forward', 0.0) + sec.get('load', 0.0)
            ov = 100.0 * (sec['total'] - fwd) / fwd
            sec['overhead'] = ov
            print(f'{name:10} ' + ' '.join(f"{sec.get(k, 0.0):7.2f}"
                                           for k in keys) + f' {ov:7.1f}%')
        print('(seconds on this machine; forward = every model pass over '
              'the target and source pools; r1 = the first round, with '
              'one-off imports and loader start-up; the others are round 2)')
        print('stamp maps after 2 rounds (sha1): ' +
              ', '.join(f"{k} {rows[k]['digest']}" for k in ('ENT', 'ADeADA')))
        print(f"overhead ENT: {rows['ENT']['overhead']:.1f}%")
        print(f"overhead: {rows['ADeADA']['overhead']:.1f}%")


if __name__ == '__main__':
    main()
