"""Plot the score (mIoU, accuracy) vs % labelled target for active runs.

Usage::

    python tools/analysis/plot_active_curves.py LABEL=WORK_DIR [...] \
        --out curves.png [--title T] [--full-supervision 73.2] \
        [--source-only 36.6]

Reads ``WORK_DIR/active/round_<k>.json`` of each run (the ADeADA Figure 3
view: the score each round's RoundMetricHook recorded) and prints the table
it plots.  A committed round without its report is an error naming the
file (the later rounds would be shown as earlier ones); ``--allow-gaps``
shows the other rounds under their own numbers and the gap as
``missing``.
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmseg_ada.engine.active_report import plot_curves  # noqa: E402
from mmseg_ada.engine.active_report import read_rounds  # noqa: E402
from mmseg_ada.engine.active_report import read_start  # noqa: E402


def format_table(rounds_by_run: dict, starts: Optional[dict] = None) -> str:
    """A text table: one row per round, score (and % labelled) per run.

    Args:
        rounds_by_run: ``{label: [round reports]}``.
        starts: ``{label: start report or None}``: the score before the
            first round (row 0).
    """
    starts = starts or {}
    labels = list(rounds_by_run)
    # rows by the round each report names (online validations: in order)
    by_round = {
        lb: {
            r.get('round', i + 1): r
            for i, r in enumerate(rows)
        }
        for lb, rows in rounds_by_run.items()
    }
    n = max((max(rows, default=0) for rows in by_round.values()), default=0)
    head = f"{'round':>5} | " + ' | '.join(f'{lb:>18}' for lb in labels)
    lines = [head, '-' * len(head)]

    def cell(r, frac):
        score = None if r is None else r.get('score')
        m = '   -' if score is None else f'{score:5.2f}'
        return f'{m} @ {100 * frac:5.2f}%'

    if any(starts.get(lb) for lb in labels):
        lines.append(f"{0:>5} | " +
                     ' | '.join(f'{cell(starts.get(lb), 0.0):>18}'
                                for lb in labels))
    for k in range(1, n + 1):
        cells = []
        for lb in labels:
            rows = by_round[lb]
            if k in rows:
                cells.append(cell(rows[k], rows[k]['labeled_fraction']))
            elif k < max(rows, default=0):
                cells.append('missing')
            else:
                cells.append('')
            cells[-1] = f'{cells[-1]:>18}'
        lines.append(f'{k:>5} | ' + ' | '.join(cells))
    first = next((r[0] for r in rounds_by_run.values() if r), {})
    unit = 'images' if first.get('unit') == 'image' else 'pixels'
    lines.append(f"({first.get('score_name', 'score')} on the validation "
                 f'split @ % of target {unit} labelled)')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('runs', nargs='+', help='LABEL=WORK_DIR (or WORK_DIR)')
    p.add_argument('--out', required=True, help='output image')
    p.add_argument('--title', default=None)
    p.add_argument(
        '--full-supervision',
        type=float,
        default=None,
        help='draw this score as a dashed line (target only)')
    p.add_argument(
        '--source-only',
        type=float,
        default=None,
        help='draw this score as a dotted line')
    p.add_argument(
        '--allow-gaps',
        action='store_true',
        help='show a run whose round reports are incomplete (the missing '
        'rounds are marked; the others keep their numbers)')
    return p.parse_args()


def main() -> None:
    args = parse_args()
    runs = {}
    for item in args.runs:
        label, _, path = item.rpartition('=')
        runs[label or osp.basename(osp.normpath(path))] = path
    rounds = {}
    for k, v in runs.items():
        try:
            rounds[k] = read_rounds(v)
        except FileNotFoundError as e:
            if not args.allow_gaps or not osp.isfile(
                    osp.join(v, 'active', 'state.json')):
                sys.exit(f'error: {e}')
            print(f'warning: {e}', file=sys.stderr)
            rounds[k] = read_rounds(v, allow_gaps=True)
    print(format_table(rounds, {k: read_start(v) for k, v in runs.items()}))
    print(
        'wrote',
        plot_curves(
            runs,
            args.out,
            title=args.title,
            baseline=args.full_supervision,
            lower=args.source_only,
            allow_gaps=args.allow_gaps))


if __name__ == '__main__':
    main()
