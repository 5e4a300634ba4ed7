#!/usr/bin/env python
"""Split an image list into two halves with a seed (SAGE's inductive
protocol: half of the target domain for training, half held out).

Writes ``<list stem>_s<seed>_half1.txt`` (the training / annotation pool)
and ``..._half2.txt`` (the held-out test half) beside the list, atomically;
see :func:`mmseg_ada.datasets.split_list.split_image_list`.

Example::

    python tools/dataset_converters/split_image_list.py \\
        data/domainnet/image_list_126/labeled_source_images_clipart.txt \\
        --seed 0
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_ada.datasets.split_list import split_image_list  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Split an image list (<path> <label> lines) into two '
        'disjoint halves with a seeded random permutation.')
    parser.add_argument('ann_file', help='the image list')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the permutation (default 0)')
    parser.add_argument(
        '--out-a', help='first half (default '
        '<stem>_s<seed>_half1.txt)')
    parser.add_argument(
        '--out-b', help='second half (default '
        '<stem>_s<seed>_half2.txt)')
    parser.add_argument(
        '--stratify', action='store_true', help='split every class in halves')
    parser.add_argument(
        '--force',
        action='store_true',
        help='overwrite outputs that hold another split')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the split; returns the exit status."""
    args = parse_args(argv)
    try:
        out = split_image_list(
            args.ann_file,
            seed=args.seed,
            out_a=args.out_a,
            out_b=args.out_b,
            stratify=args.stratify,
            force=args.force)
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    state = 'wrote' if out['written'] else 'up to date:'
    print(f"{state} {out['out_a']} ({out['num_a']} lines), "
          f"{out['out_b']} ({out['num_b']} lines)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
