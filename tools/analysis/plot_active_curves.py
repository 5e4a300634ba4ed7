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


def format_table(rounds_by_run: dict) -> str:
    """A text table: one row per round, mIoU (and % labelled) per run."""
    labels = list(rounds_by_run)
    n = max((len(r) for r in rounds_by_run.values()), default=0)
    head = f"{'round':>5} | " + ' | '.join(f'{lb:>18}' for lb in labels)
    lines = [head, '-' * len(head)]
    for k in range(n):
        cells = []
        for lb in labels:
            rows = rounds_by_run[lb]
            if k < len(rows):
                r = rows[k]
                miou = r.get('miou')
                m = '   -' if miou is None else f'{miou:5.2f}'
                cells.append(f"{m} @ {100 * r['labeled_fraction']:5.2f}%")
            else:
                cells.append('')
            cells[-1] = f'{cells[-1]:>18}'
        lines.append(f'{k + 1:>5} | ' + ' | '.join(cells))
    lines.append('(mIoU on the target val split @ % of target pixels '
                 'labelled)')
    return '\n'.join(lines)


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
    print(format_table({k: read_rounds(v) for k, v in runs.items()}))
    print('wrote', plot_curves(runs, args.out, title=args.title,
                               baseline=args.full_supervision))


if __name__ == '__main__':
    main()
