"""Results over seeds: run or collect N seeds of a config, mean +- sd.

Usage::

    # train seeds 0 1 2 of CONFIG (WORK_ROOT/seed_<s>, two at a time),
    # then print the table and draw WORK_ROOT/seeds.png
    python tools/analysis/seeds.py run CONFIG --work-dir WORK_ROOT \\
        [--seeds 0 1 2] [--parallel 2] [--train-args ARG ...]
    # collect runs made elsewhere: LABEL=ROOT (its seed_* folders) or
    # LABEL=DIR1,DIR2,...; several methods side by side
    python tools/analysis/seeds.py collect ENT=work_dirs/ent ADeADA=... \\
        [--out seeds.png] [--title T] [--json]

Each run is ``tools/train.py CONFIG --work-dir WORK_ROOT/seed_<s> --resume
--cfg-options randomness.seed=<s> train_cfg.selector.strategy.seed=<s>``
(the strategy's seed when the run has a selector; a finished seed is not
trained again; an interrupted one resumes).  The table has one row per
round: the labelled fraction and, per method, ``mean +- sd (n)`` of the
score each round's RoundMetricHook recorded; the figure draws the means
with a +-1 sd band, as the papers report their curves.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from mmseg_ada.engine import seed_report  # noqa: E402


def seed_dirs(spec: str) -> list:
    """``ROOT`` (its ``seed_*`` folders) or ``DIR1,DIR2,...``."""
    if ',' in spec:
        return [d for d in spec.split(',') if d]
    found = sorted(
        glob.glob(osp.join(spec, 'seed_*')),
        key=lambda p: int(p.rsplit('_', 1)[-1])
        if p.rsplit('_', 1)[-1].isdigit() else 0)
    if not found:
        raise SystemExit(f'{spec}: no seed_* folders (give LABEL=ROOT with '
                         'ROOT/seed_<s> runs, or LABEL=DIR1,DIR2,...)')
    return found


def has_selector(cfg: str) -> bool:
    """Whether the config's run selects with a strategy (its seed then
    varies with the run's; online purchases have none)."""
    from mmengine.config import Config
    train_cfg = Config.fromfile(cfg).get('train_cfg') or {}
    return bool(train_cfg.get('selector'))


def seed_options(s: int, selector: bool) -> list:
    """The ``--cfg-options`` of seed ``s``: the run's seed and, with a
    selector, the strategy's (RAND's draws and tie-breaks change too)."""
    opts = [f'randomness.seed={s}']
    if selector:
        opts.append(f'train_cfg.selector.strategy.seed={s}')
    return opts


def run_seeds(cfg, root, seeds, parallel, extra) -> list:
    """Train ``root/seed_<s>`` for every seed (the demos' runner); the
    paths given are read from the current directory."""
    from tools.run_demo import train_all
    selector = has_selector(cfg)
    train_all([(f'seed_{s}', cfg,
                ['--cfg-options'] + seed_options(s, selector) + list(extra))
               for s in seeds],
              root,
              parallel,
              cwd=os.getcwd())
    return sorted(osp.join(root, f'seed_{s}') for s in seeds)


def report(tables: dict, out: str, title: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(tables, indent=1))
    else:
        print(seed_report.format_seed_table(tables))
    if out:
        print('wrote', seed_report.plot_seed_curves(tables, out, title=title))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    r = sub.add_parser('run', help='train N seeds of a config, then collect')
    r.add_argument('config')
    r.add_argument('--work-dir', required=True)
    r.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    r.add_argument('--parallel', type=int, default=2)
    r.add_argument('--label', default=None)
    r.add_argument('--title', default=None)
    r.add_argument('--json', action='store_true')
    r.add_argument(
        '--train-args',
        nargs=argparse.REMAINDER,
        default=[],
        help='passed to tools/train.py (e.g. --cfg-options load_from=...)')
    c = sub.add_parser('collect', help='mean +- sd of runs made elsewhere')
    c.add_argument('runs', nargs='+', help='LABEL=ROOT or LABEL=D1,D2,...')
    c.add_argument('--out', default=None, help='the figure (png)')
    c.add_argument('--title', default=None)
    c.add_argument('--json', action='store_true')
    args = p.parse_args(argv)
    if args.command == 'run':
        dirs = run_seeds(args.config, args.work_dir, args.seeds, args.parallel,
                         args.train_args)
        label = args.label or osp.splitext(osp.basename(args.config))[0]
        report({label: seed_report.seed_table(dirs)},
               osp.join(args.work_dir, 'seeds.png'), args.title, args.json)
        return
    tables = {}
    for item in args.runs:
        label, _, spec = item.rpartition('=')
        label = label or osp.basename(osp.normpath(spec))
        tables[label] = seed_report.seed_table(seed_dirs(spec))
    report(tables, args.out, args.title, args.json)


if __name__ == '__main__':
    main()
