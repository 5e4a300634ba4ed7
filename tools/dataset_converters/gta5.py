#!/usr/bin/env python
"""Convert GTA5 labels to Cityscapes trainIds for mmseg_ada.

Writes ``labels/<stem>_labelTrainIds.png`` next to every original label,
in parallel, resumably and atomically, and lists unusable pairs in
``ROOT/broken_pairs.txt`` (the dataset leaves them out).  A label whose size
differs from its image is resized to the image size with nearest neighbour
and reported.  See ``tools/dataset_converters/_convert.py``.

Example::

    python tools/dataset_converters/gta5.py data/gta5 --nproc 8
"""
import argparse
import sys

# the shared converter core, next to this script (its folder is
# sys.path[0] when the script runs)
from _convert import convert_gta5


def parse_args(argv=None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Convert GTA5 palette labels (Cityscapes label ids) to '
        '19-class trainIds: ROOT/labels/<stem>_labelTrainIds.png.')
    parser.add_argument(
        'root', help='GTA5 root holding images/*.png and labels/*.png')
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
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the converter; returns the exit status."""
    args = parse_args(argv)
    try:
        convert_gta5(
            args.root,
            nproc=args.nproc,
            check_images=not args.no_check_images,
            force=args.force)
    except (FileNotFoundError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
