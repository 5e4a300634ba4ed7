"""Precompute the region maps (SLIC superpixels or square grid) of images.

The maps go to a cache directory, one ``<stem>.png`` per image plus a
``meta.json`` with the parameters; the active-learning rounds read them from
there.  The run is resumable: images already in the cache are skipped.

Example (Cityscapes train split, 2 processes)::

    python tools/precompute_regions.py \\
        data/cityscapes/leftImg8bit/train --suffix _leftImg8bit.png \\
        --out data/cityscapes/regions/slic40 --nproc 2

``IMG_DIR_OR_GLOB`` may also be a glob such as
``'data/cityscapes/leftImg8bit/train/*/*_leftImg8bit.png'`` (quote it).

The batch precompute (:func:`find_images`, :func:`precompute_regions`) is
importable as ``tools.precompute_regions`` from the repository root (the
tests and benchmarks use it); the algorithms are
:mod:`mmseg_ada.active.regions` and the cache format
:mod:`mmseg_ada.active.region_cache`.
"""
import argparse
import glob
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmseg_ada.active.region_cache import RegionCache
from mmseg_ada.active.regions import DEFAULT_PARAMS
from mmseg_ada.utils.io import atomic_write_bytes

__all__ = ['find_images', 'precompute_regions', 'BROKEN_LIST', 'main']

_IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')


def _has_magic(s: str) -> bool:
    return any(c in s for c in '*?[')


def find_images(source: Union[str, Sequence[str]],
                suffix: str = '') -> List[Tuple[str, str]]:
    """Find images and name them by stem.

    Args:
        source: a directory (searched recursively), a glob pattern
            (``**`` allowed), a single file, or a list of any of these.
        suffix: file-name ending that selects images in a directory and is
            cut off to form the stem (e.g. ``'_leftImg8bit.png'``).  Empty:
            common image extensions; the stem is the name without extension.

    Returns:
        list: sorted ``(stem, path)`` pairs.
    """
    sources = [source] if isinstance(source, (str, os.PathLike)) else source
    paths: List[str] = []
    for src in sources:
        src = os.fspath(src)
        if osp.isdir(src):
            found = glob.glob(
                osp.join(glob.escape(src), '**', '*'), recursive=True)
            found = [
                p for p in found
                if osp.isfile(p) and (p.endswith(suffix) if suffix else osp.
                                      splitext(p)[1].lower() in _IMAGE_EXTS)
            ]
        elif _has_magic(src):
            found = [
                p for p in glob.glob(src, recursive=True) if osp.isfile(p)
            ]
        elif osp.isfile(src):
            found = [src]
        else:
            raise FileNotFoundError(f'no such image directory or file: {src}')
        paths.extend(found)
    if not paths:
        raise FileNotFoundError(f'no images found in {source!r}' +
                                (f' ending with {suffix!r}' if suffix else ''))
    pairs: Dict[str, str] = {}
    for p in sorted(set(paths)):
        name = osp.basename(p)
        stem = (
            name[:-len(suffix)] if suffix and name.endswith(suffix)
            and len(name) > len(suffix) else osp.splitext(name)[0])
        if stem in pairs:
            raise ValueError(f'two images share the stem {stem!r}: '
                             f'{pairs[stem]} and {p}')
        pairs[stem] = p
    return sorted(pairs.items())


def _read_png_rgb(path: str) -> Optional[np.ndarray]:
    """An 8-bit RGB PNG decoded by libspng (``pyspng``), or ``None``.

    libspng decodes a 2048x1024 PNG in ~23 ms where OpenCV's libpng takes
    ~29 ms (measured, benchmarks/regions.py's images), to the same pixels
    (PNG is lossless; tested).  Only PNGs that decode to 8-bit RGB (true
    colour, or a palette without transparency) are taken: for anything else
    (grey, alpha, 16-bit, a damaged file, or ``pyspng`` not installed)
    ``None`` sends the image to OpenCV, whose conversions
    (``IMREAD_COLOR``) define the result.
    """
    if not path.lower().endswith('.png'):
        return None
    try:
        import pyspng
    except ImportError:
        return None
    try:
        with open(path, 'rb') as f:
            img = pyspng.load(f.read())
    except Exception:  # noqa: BLE001 - OpenCV decides and names the error
        return None
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        return None
    return img


def _read_rgb(path: str) -> np.ndarray:
    """``uint8 [H, W, 3]`` RGB pixels of an image file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    img = _read_png_rgb(path)
    if img is not None:
        return img
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'unreadable or truncated image: {path}')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _precompute_one(
        task: Tuple[str, str,
                    'RegionCache']) -> Tuple[str, Optional[int], str]:
    """``(stem, regions or None, reason)``: a bad image never stops a run."""
    stem, path, cache = task
    try:
        regions = cache.save(stem, cache.compute(_read_rgb(path)))
    except (OSError, ValueError, cv2.error) as e:
        return stem, None, f'{type(e).__name__}: {e}'
    return stem, regions, ''


#: the list of images whose region map could not be made, in a cache
BROKEN_LIST = 'broken_images.txt'


def precompute_regions(images: Union[Sequence[str], Sequence[Tuple[str, str]],
                                     Dict[str, str]],
                       cache: RegionCache,
                       nproc: int = 1,
                       suffix: str = '',
                       skip_existing: bool = True) -> Dict[str, Any]:
    """Compute and store the region maps of many images, in parallel.

    Resumable: images whose map is already cached are skipped (maps are
    written atomically, so an existing file is complete).

    Args:
        images: image paths (stems from :func:`find_images` rules with
            ``suffix``), ``(stem, path)`` pairs, or a ``{stem: path}`` dict.
        cache: where to store the maps (its ``meta.json`` is written first).
        nproc: worker processes (1 = in this process).
        suffix: see :func:`find_images`; only used for plain paths.
        skip_existing: skip images already in the cache.

    Returns:
        dict: ``total``, ``computed``, ``skipped``, ``broken`` (``(stem,
        path, reason)`` of the images that could not be read: listed, with
        the reason, in ``<cache>/broken_images.txt``; the others are still
        computed, as the dataset converters do) and the min / mean / max
        number of regions of the computed maps.
    """
    if isinstance(images, dict):
        pairs = sorted(images.items())
    else:
        images = list(images)
        if images and isinstance(images[0], (tuple, list)):
            pairs = [(str(s), str(p)) for s, p in images]
        else:
            pairs = find_images(images, suffix) if images else []
    stems = [s for s, _ in pairs]
    if len(set(stems)) != len(stems):
        raise ValueError('duplicate image stems in the precompute list')
    cache.write_meta()
    todo = [(s, p) for s, p in pairs if not (skip_existing and cache.has(s))]
    tasks = [(s, p, cache) for s, p in todo]
    results: List[Tuple[str, Optional[int], str]] = []
    if tasks:
        import mmengine
        if nproc > 1:
            # Forked workers.  Do not call cv2.setNumThreads() in them: after
            # the parent used OpenCV's thread pool that call deadlocks in a
            # forked child (seen here with opencv 5.0).
            results = mmengine.track_parallel_progress(
                _precompute_one, tasks, nproc=min(nproc, len(tasks)))
        else:
            results = mmengine.track_progress(_precompute_one, tasks)
    paths = dict(pairs)
    counts = [n for _, n, _ in results if n is not None]
    broken = [(s, paths[s], why) for s, n, why in results if n is None]
    broken_path = osp.join(cache.cache_dir, BROKEN_LIST)
    if broken:
        text = ''.join(f'{p}\t{why}\n' for _, p, why in broken)
        atomic_write_bytes(broken_path, text.encode('utf-8'))
    elif tasks and osp.isfile(broken_path):
        os.unlink(broken_path)  # every image retried now reads fine
    summary: Dict[str, Any] = dict(
        total=len(pairs),
        computed=len(counts),
        skipped=len(pairs) - len(tasks),
        broken=broken)
    if counts:
        summary.update(
            regions_min=int(min(counts)),
            regions_mean=float(np.mean(counts)),
            regions_max=int(max(counts)))
    return summary


def parse_args(argv=None) -> argparse.Namespace:
    slic, grid = DEFAULT_PARAMS['slic'], DEFAULT_PARAMS['grid']
    parser = argparse.ArgumentParser(
        description='Precompute region maps of target images.')
    parser.add_argument(
        'src',
        nargs='+',
        help='image directory (searched recursively), glob '
        'or file; several allowed')
    parser.add_argument('--out', required=True, help='cache directory')
    parser.add_argument(
        '--method', choices=sorted(DEFAULT_PARAMS), default='slic')
    parser.add_argument(
        '--n-segments',
        type=int,
        default=slic['n_segments'],
        help='SLIC: approximate regions per image')
    parser.add_argument(
        '--compactness',
        type=float,
        default=slic['compactness'],
        help='SLIC compactness')
    parser.add_argument(
        '--work-scale',
        type=float,
        default=slic['work_scale'],
        help='SLIC: working resolution relative to the image')
    parser.add_argument(
        '--cell-size',
        type=int,
        default=grid['cell_size'],
        help='grid: side of a square region in pixels')
    parser.add_argument(
        '--suffix',
        default='',
        help='file-name ending that selects images and is cut '
        'off to form the stem, e.g. _leftImg8bit.png')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.method == 'slic':
        params = dict(
            n_segments=args.n_segments,
            compactness=args.compactness,
            work_scale=args.work_scale)
    else:
        params = dict(cell_size=args.cell_size)
    cache = RegionCache(args.out, args.method, **params)
    images = find_images(args.src, args.suffix)
    print(f'{len(images)} images -> {cache}')
    t0 = time.time()
    summary = precompute_regions(images, cache, nproc=args.nproc)
    elapsed = time.time() - t0
    print(f"\ncomputed {summary['computed']}, skipped {summary['skipped']} "
          f'(already cached) in {elapsed:.1f} s')
    if 'regions_mean' in summary:
        print(f"regions per image: min {summary['regions_min']}, mean "
              f"{summary['regions_mean']:.1f}, max {summary['regions_max']}")
    if summary['broken']:
        print(f"{len(summary['broken'])} image(s) could not be read (listed "
              f'in {cache.cache_dir}/broken_images.txt; leave them out of the '
              'dataset split):')
        for stem, path, why in summary['broken'][:20]:
            print(f'  {path}: {why}')
    return summary


if __name__ == '__main__':
    main()
