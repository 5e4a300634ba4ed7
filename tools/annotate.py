"""People in the loop: export a round's picks, import the labels, status.

Usage::

    # the picks of round K (default: the last) for an annotation tool
    python tools/annotate.py export WORK_DIR [--round K] \\
        --format {labelstudio,cvat,png,list} [--out DIR] [--no-predictions] \\
        [--url-prefix PREFIX] [--document-root DIR]
    # the labels people gave, back into the run
    python tools/annotate.py import WORK_DIR --round K PATH \\
        --format {labelstudio,cvat,png,list}
    # per round: bought, exported, imported, in training, answered
    python tools/annotate.py status WORK_DIR [--json]

A run with ``oracle=dict(type='HumanOracle')`` exports every round itself
(to ``WORK_DIR/active/annotate/round_<K>/<format>/``) and stops (exit
status 75) or waits until the round is imported; ``tools/train.py ...
--resume`` then continues it.  An import replaces the round's earlier
import (never merges) and is refused once the run trains on the round.
Errors exit with status 2 and name the file, the image and the round.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmseg_ada.annotation import rounds  # noqa: E402
from mmseg_ada.annotation.answers import AnnotationImportError  # noqa: E402
from mmseg_ada.annotation.formats import FORMATS  # noqa: E402
from mmseg_ada.annotation.request import RequestError  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export active-learning picks to annotation tools and '
        'import the labels back')
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('export', help="write a round's annotation tasks")
    p.add_argument('work_dir', help='the run directory (--work-dir)')
    p.add_argument('--round', type=int, help='default: the last round')
    p.add_argument('--format', required=True, choices=sorted(FORMATS))
    p.add_argument(
        '--out', help='default: WORK_DIR/active/annotate/round_K/FORMAT')
    p.add_argument(
        '--no-predictions',
        action='store_true',
        help='export the asked regions without the model\'s classes')
    p.add_argument(
        '--url-prefix',
        default='/data/local-files/?d=',
        help='Label Studio image URLs: this prefix + the image path '
        'relative to --document-root (default: Label Studio\'s '
        'local-files serving)')
    p.add_argument(
        '--document-root',
        help='image paths in Label Studio URLs are relative to this folder '
        "(default: the folder above the target images' common folder; the "
        "export's README.txt says how to start Label Studio with it)")
    p = sub.add_parser('import', help="read a round's labels back")
    p.add_argument('work_dir')
    p.add_argument('--round', type=int, required=True)
    p.add_argument(
        'path', help='the annotation tool\'s export (file or '
        'folder)')
    p.add_argument('--format', required=True, choices=sorted(FORMATS))
    p = sub.add_parser(
        'status',
        help='every round of a run, and a check of its store and answers '
        '(exit 1 on any problem)')
    p.add_argument('work_dir')
    p.add_argument('--json', action='store_true', help='print JSON')
    p.add_argument(
        '--full',
        action='store_true',
        help='read every stamp map in the store check (default: check '
        'that they exist)')
    return parser.parse_args(argv)


def _fmt(v) -> str:
    return '-' if v is None or v == [] else (
        ', '.join(v) if isinstance(v, list) else str(v))


def status(work_dir: str, as_json: bool, full: bool) -> int:
    from mmseg_ada.active.stores.check import check_store
    rows = rounds.rounds_status(work_dir)
    problems = check_store(work_dir, read_masks=full) + \
        rounds.check_annotations(work_dir)
    if as_json:
        print(
            json.dumps(
                dict(rounds=rows, problems=[p._asdict() for p in problems]),
                indent=1))
        return 1 if problems else 0
    from prettytable import PrettyTable
    unit = rows[0]['unit_name'] if rows else 'units'
    table = PrettyTable([
        'round', 'unit', f'bought ({unit})', 'images', 'exported',
        'imported (version)', 'in training (version)', 'answered',
        'unanswered', 'dropped', 'score after the round'
    ])
    for r in rows:
        table.add_row([
            r['round'],
            _fmt(r['unit']),
            _fmt(r['bought']),
            _fmt(r['images']),
            _fmt(r['exported']),
            _fmt(r['imported']),
            _fmt(r['in_training']),
            _fmt(r['answered']),
            _fmt(r['unanswered']),
            _fmt(r['dropped'] if unit == 'pixels' else None),
            _fmt(None if r['score'] is
                 None else f'{r["score"]:.2f} {r["score_name"] or ""}'.strip())
        ])
    print(f'{work_dir}: {len(rows)} round(s) bought')
    print(table)
    waiting = [
        r['round'] for r in rows if r['request'] and r['in_training'] is None
    ]
    for k in waiting:
        r = rows[k - 1]
        if r['imported'] is None:
            print(f'round {k}: waiting for labels; import them with: python '
                  f'tools/annotate.py import {work_dir} --round {k} PATH '
                  '--format ...')
        else:
            print(f'round {k}: imported (version {r["imported"]}); the run '
                  'takes it into training when it continues (--resume)')
    if problems:
        print(f'{len(problems)} problem(s) in the store or its answers:')
        for p in problems:
            print(f'  {osp.relpath(p.path, work_dir)}: [{p.code}] '
                  f'{p.message}')
        return 1
    print('store check: OK (every mask / image id and every imported '
          'version agrees with state.json and the round reports)')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        if args.command == 'export':
            k = args.round
            if k is None:
                k = rounds.open_store(args.work_dir).last_round()
                if k == 0:
                    raise RequestError(f'{args.work_dir}: no round bought yet')
            files = rounds.export_round(
                args.work_dir,
                k,
                args.format,
                out_dir=args.out,
                predictions=not args.no_predictions,
                **(dict(
                    url_prefix=args.url_prefix,
                    document_root=args.document_root)
                   if args.format == 'labelstudio' else {}))
            out = osp.dirname(files[0]) if files else args.out
            print(f'round {k}: {len(files)} files written to {out}')
            return 0
        if args.command == 'import':
            meta = rounds.import_round(args.work_dir, args.round, args.path,
                                       args.format)
            what = 'pixels' if meta['kind'] == 'mask' else 'images'
            line = (f'round {args.round}: imported version '
                    f'{meta["version"]} from {args.path}: '
                    f'{meta["answered"]} {what} answered, '
                    f'{meta["unanswered"]} left unlabelled')
            if meta['kind'] == 'mask':
                line += (f', {meta["dropped"]} labelled pixels outside the '
                         'asked units dropped')
            print(line)
            print('continue the run with tools/train.py CONFIG --work-dir '
                  f'{args.work_dir} --resume (a waiting run goes on by '
                  'itself)')
            return 0
        return status(args.work_dir, args.json, args.full)
    except (AnnotationImportError, RequestError, FileNotFoundError,
            ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
