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
"""
import argparse
import time

from mmseg_ada.active.regions import (DEFAULT_PARAMS, RegionCache, find_images,
                                      precompute_regions)


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
