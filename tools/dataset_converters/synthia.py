#!/usr/bin/env python
"""Convert SYNTHIA RAND-CITYSCAPES labels to Cityscapes trainIds.

Reads the 16-bit 3-channel ``GT/LABELS/*.png`` (class id in the R channel)
and writes ``GT/LABELS/<stem>_labelTrainIds.png`` (uint8, 19-class trainId
space, 16 classes used), in parallel, resumably and atomically; unusable
pairs are listed in ``ROOT/broken_pairs.txt`` (the dataset leaves them out).
See ``tools/dataset_converters/_convert.py``.

Example::

    python tools/dataset_converters/synthia.py data/synthia --nproc 8
"""
import argparse
import sys

# the shared converter core, next to this script (its folder is
# sys.path[0] when the script runs)
from _convert import convert_synthia


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Convert SYNTHIA RAND-CITYSCAPES 16-bit labels to '
        '19-class trainIds: ROOT/GT/LABELS/<stem>_labelTrainIds.png.')
    parser.add_argument(
        'root', help='SYNTHIA root holding RGB/*.png and GT/LABELS/*.png')
    parser.add_argument(
        '--nproc', type=int, default=1, help='worker processes (default 1)')
    parser.add_argument(
        '--no-check-images',
        action='store_true',
        help='do not fully decode every image to detect corrupt ones '
        '(faster; only the header is read)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='reconvert labels whose output is already up to date')
    parser.add_argument(
        '--lanemarking-as-road',
        action='store_true',
        help='map lanemarking (22) to road instead of ignore (255, the '
        'default of the common DA code bases)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the converter; returns the exit status."""
    args = parse_args(argv)
    try:
        convert_synthia(
            args.root,
            nproc=args.nproc,
            check_images=not args.no_check_images,
            force=args.force,
            lanemarking_as_road=args.lanemarking_as_road)
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
