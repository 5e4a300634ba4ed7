"""Plot mIoU vs % labelled target pixels for several active runs.

Usage::

    python tools/analysis/plot_active_curves.py LABEL=WORK_DIR [...] \
        --out curves.png [--title T] [--full-supervision 73.2]

Reads ``WORK_DIR/active/round_<k>.json`` of each run (the ADeADA Figure 3
view) and prints the table it plots.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from mmseg_ada.engine.active_report import plot_curves, read_rounds  # noqa


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help='LABEL=WORK_DIR (or WORK_DIR)')
    p.add_argument('--out', required=True, help='output image')
    p.add_argument('--title', default=None)
    p.add_argument('--full-supervision', type=float, default=None,
                   help='draw this mIoU as a dashed line')
    return p.parse_args()


def main() -> None:
    args = parse_args()
    runs = {}
    for item in args.runs:
        label, _, path = item.rpartition('=')
        runs[label or osp.basename(osp.normpath(path))] = path
    for label, path in runs.items():
        print(f'{label}:')
        for r in read_rounds(path):
            miou = r.get('miou')
            print(f"  round {r['round']}: {100 * r['labeled_fraction']:.2f}% "
                  f"labelled, mIoU {'-' if miou is None else f'{miou:.2f}'}")
    print('wrote', plot_curves(runs, args.out, title=args.title,
                               baseline=args.full_supervision))


if __name__ == '__main__':
    main()
