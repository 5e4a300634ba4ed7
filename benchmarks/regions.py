"""Benchmark: precompute SLIC region maps of Cityscapes-size images.

Writes synthetic 2048x1024 PNGs (smooth gradients, discs, boxes and noise;
~3.4 MB, larger than a ~2 MB Cityscapes frame, so decoding is if
anything slower than on the real data) to a temporary directory, runs
:func:`tools.precompute_regions.precompute_regions` on them and prints the
throughput; before it, a table of the CPU time per image of each stage
(decode, segment, encode + write; 4 images in this process).  The LAST
line is ``images/s: <x>``.  32 images by default
(16 before issue 19): the worker pool's start-up (fork, first task) is a
one-off cost that a real precompute (2,975 Cityscapes, 24,966 GTA5 frames)
spreads over thousands of images (its share of a 16-image run was not
measured separately).

    python benchmarks/regions.py [--num 32] [--nproc 2] [--work-scale 0.25]
"""
import argparse
import os
import os.path as osp
import resource
import sys
import tempfile
import time
from typing import List, Tuple

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg_ada.active.region_cache import RegionCache  # noqa: E402
from mmseg_ada.active.regions import DEFAULT_PARAMS  # noqa: E402
from tools.precompute_regions import _read_rgb  # noqa: E402
from tools.precompute_regions import precompute_regions  # noqa: E402

CITYSCAPES_TRAIN = 2975


def synthetic_image(rng: np.random.Generator,
                    h: int = 1024,
                    w: int = 2048,
                    noise: float = 3.0) -> np.ndarray:
    """A street-scene-like BGR image: gradients, discs, boxes, noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([xx / w * 200, yy / h * 200, (xx + yy) / (h + w) * 255], -1)
    for _ in range(25):
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        r = rng.integers(20, 250)
        img[(xx - cx)**2 + (yy - cy)**2 < r * r] = rng.integers(0, 256, 3)
    for _ in range(15):
        x0, y0 = rng.integers(0, w - 50), rng.integers(0, h - 50)
        img[y0:y0 + rng.integers(20, 400),
            x0:x0 + rng.integers(20, 400)] = rng.integers(0, 256, 3)
    img += rng.normal(0, noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


def stage_table(paths: List[str],
                cache: RegionCache) -> List[Tuple[str, float]]:
    """CPU milliseconds per image of each stage of the precompute, in this
    process (untimed by the throughput figure; the maps go to a scratch
    cache so the timed run still computes every image).

    Args:
        paths: a few images.
        cache: the benchmark's cache (its parameters are used).

    Returns:
        list: ``(stage, ms)`` rows, the total last.
    """
    scratch = RegionCache(cache.cache_dir + '_stages', cache.method,
                          **cache.params)
    scratch.write_meta()
    cost = dict(decode=0.0, regions=0.0, save=0.0)
    for i, path in enumerate(paths):
        t0 = time.process_time()
        img = _read_rgb(path)
        t1 = time.process_time()
        region_map = scratch.compute(img)
        t2 = time.process_time()
        scratch.save(f'stage_{i}', region_map)
        t3 = time.process_time()
        cost['decode'] += t1 - t0
        cost['regions'] += t2 - t1
        cost['save'] += t3 - t2
    n = max(len(paths), 1)
    rows = [('decode (libspng / OpenCV)', cost['decode']),
            (f'{cache.method} (downsample, segment, upsample)',
             cost['regions']), ('encode + write the map', cost['save'])]
    rows.append(('total', sum(v for _, v in rows)))
    return [(name, 1000 * v / n) for name, v in rows]


def main() -> None:
    slic = DEFAULT_PARAMS['slic']
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=32)
    parser.add_argument('--nproc', type=int, default=2)
    parser.add_argument('--n-segments', type=int, default=slic['n_segments'])
    parser.add_argument(
        '--compactness', type=float, default=slic['compactness'])
    parser.add_argument('--work-scale', type=float, default=slic['work_scale'])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        base = [synthetic_image(rng) for _ in range(min(4, args.num))]
        for i in range(args.num):
            path = osp.join(tmp, 'img', f'frame_{i:04d}_leftImg8bit.png')
            # reuse a few base images with shifts: writing is not timed
            img = np.roll(base[i % len(base)], 37 * i, axis=1)
            if i == 0:
                os.makedirs(osp.dirname(path))
            cv2.imwrite(path, img)
            paths.append(path)
        cache = RegionCache(
            osp.join(tmp, 'cache'),
            'slic',
            n_segments=args.n_segments,
            compactness=args.compactness,
            work_scale=args.work_scale)
        stages = stage_table(paths[:4], cache)
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        summary = precompute_regions(
            paths, cache, nproc=args.nproc, suffix='_leftImg8bit.png')
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
    print('\nper image, one process, mean of 4 images (CPU ms):')
    print(f'  {"stage":38s} {"ms":>7s}')
    for name, ms in stages:
        print(f'  {name:38s} {ms:7.1f}')
    rate = args.num / elapsed
    cpu_per_image = cpu / args.num
    print(f'\n{args.num} images 2048x1024, nproc={args.nproc}, work_scale='
          f'{args.work_scale} ({round(1024 * args.work_scale)}x'
          f'{round(2048 * args.work_scale)}), n_segments={args.n_segments}, '
          f'compactness={args.compactness}')
    print(f"regions per image: min {summary['regions_min']}, mean "
          f"{summary['regions_mean']:.1f}, max {summary['regions_max']}")
    print(f'elapsed: {elapsed:.2f} s; projected for the {CITYSCAPES_TRAIN} '
          f'Cityscapes train images: {CITYSCAPES_TRAIN / rate / 60:.1f} min')
    print(f'CPU time per image: {cpu_per_image:.3f} s -> on {args.nproc} idle '
          f'cores: {args.nproc / cpu_per_image:.2f} images/s, '
          f'{CITYSCAPES_TRAIN * cpu_per_image / args.nproc / 60:.1f} min for '
          f'{CITYSCAPES_TRAIN} images (load average now: '
          f'{os.getloadavg()[0]:.1f})')
    print(f'images/s: {rate:.2f}')


if __name__ == '__main__':
    main()
