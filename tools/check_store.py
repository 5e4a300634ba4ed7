"""Check a run's label store: every mask / image id against its record.

Usage::

    python tools/check_store.py WORK_DIR [--quick]

Compares ``WORK_DIR/active`` with ``state.json`` and the round reports
(:func:`mmseg_ada.active.stores.check_store`): missing or unindexed stamp
maps, stamps above the committed round, pixels (images) per round against
``round_<k>.json``, missing round reports, a missing ``state.json`` next to
committed rounds' files, reports above the committed round (stale only
when ``pending.log`` shows their commit was interrupted), image ids outside
the pool, an interrupted round's ``pending.log``.  Prints a table of the
problems and exits 1 if there is any (0 when the store is consistent).
``--quick`` checks the stamp maps' existence only, without reading them.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg_ada.active.stores.check import check_store  # noqa: E402
from mmseg_ada.active.stores.check import summarize_store  # noqa: E402


def format_problems(work_dir: str, problems) -> str:
    """A two-column table: the file (relative to ``work_dir``), what is
    wrong."""
    rows = [(osp.relpath(p.path, work_dir), f'[{p.code}] {p.message}')
            for p in problems]
    width = max([len('file')] + [len(r[0]) for r in rows])
    lines = [f"{'file':<{width}} | problem", '-' * (width + 10)]
    lines += [f'{f:<{width}} | {m}' for f, m in rows]
    return '\n'.join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir', help='the run directory (holds active/)')
    p.add_argument(
        '--quick',
        action='store_true',
        help='check that the stamp maps exist, without reading them')
    args = p.parse_args()
    info = summarize_store(args.work_dir)
    problems = check_store(args.work_dir, read_masks=not args.quick)
    no_state = [
        p for p in problems if p.code in ('missing-state', 'bad-state')
    ]
    if info['kind'] is not None and no_state:
        print(f"{args.work_dir}: a {info['kind']} store without a readable "
              'state.json (its commit record)')
    elif info['kind'] is not None:
        unit = 'pixels' if info['kind'] == 'mask' else 'images'
        print(f"{args.work_dir}: a {info['kind']} store at round "
              f"{info['round']}, {info['labeled']} {unit} labelled in "
              f"{info['items']} images")
    if info['in_use_by']:
        print(f"a run is writing it now ({info['in_use_by']}): a round "
              'may be in progress')
    if not problems:
        print('OK: every file agrees with state.json and the round reports')
        return 0
    print(format_problems(args.work_dir, problems))
    print(f'{len(problems)} problem(s)')
    return 1


if __name__ == '__main__':
    sys.exit(main())
