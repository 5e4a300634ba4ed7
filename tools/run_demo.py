"""The demos: every method on a built-in synthetic pair, one table, one plot.

``python tools/run_demo.py seg`` (``make demo``), on the synthetic GTA5 ->
Cityscapes pair in the real on-disk formats (no download):

1. makes the data (``tools/make_demo_data.py``), converts the GTA5 labels,
   precomputes the SLIC regions of both domains;
2. trains the tiny DeepLabV3+ source-only (600 iterations) and, in
   parallel, target-only (the upper bound);
3. from the source-only model, runs 5 active rounds x 1% of the target
   pixels with ADeADA and RAND (60 fine-tuning iterations per round), and
   ADA-MCU buying the same 5% online during 300 iterations;
4. prints one table (the score per round per method, with source-only and
   target-only) and draws ``work_dirs/demo/curves.png``.

``python tools/run_demo.py cls`` (``make demo-cls``), on scikit-learn's
digits: clean source -> shifted target, 5 rounds of 2% of the target images
for RAN, ENT, BADGE, CLUE (plain fine-tuning), LADA (LAS + LAA), SDM-AG and
SAGE + TSF (their own training; SDM-AG's loss on the same batches of 32
source + 32 bought images as the others), at the same budget and schedule
(``--methods`` picks a subset).  ``benchmarks/real_digits.py`` runs the
same configs on a real shift (MNIST -> UCI digits) over seeds.

``python tools/run_demo.py annotate`` (``make demo-annotate``): people in
the loop.  One ADeADA round (from the seg demo's source-only model) and one
classification round, each run until it stops for labels (exit status 75),
its exported tasks labelled by a scripted stand-in through a local Label
Studio server (``make labelstudio``), the export imported, the run resumed
and finished; prints each run's status table and where a person would
click.

Two trainings run at a time (one thread each: the 2-core machine this was
made on).  Each run's logs are in its work dir; a failed run stops the demo
with its log's tail.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

PY = sys.executable
SEG_SOURCE_ONLY = ('configs/demo/deeplabv3plus_r18-d8_4xb4-600_demo-gta5-'
                   'cityscapes-128x256.py')
SEG_TARGET_ONLY = ('configs/demo/deeplabv3plus_r18-d8_4xb4-600_demo-'
                   'cityscapes-128x256.py')
SEG_ACTIVE = {
    'RAND': 'configs/demo/active/deeplabv3plus_r18-d8_4xb4-5x60_demo-'
    'active-rand.py',
    'ADeADA': 'configs/demo/active/deeplabv3plus_r18-d8_4xb4-5x60_demo-'
    'active-adeada.py',
    'ADA-MCU': 'configs/demo/active/deeplabv3plus_r18-d8_2xb2-300_demo-'
    'mcu.py',
}
# the methods that buy inside the training steps (no selector)
SEG_ONLINE = ('ADA-MCU', )
CLS = {
    'RAN': 'rand',
    'ENT': 'ent',
    'BADGE': 'badge',
    'CLUE': 'clue',
    'LAS+LAA': 'las-laa',
    'SDM-AG': 'sdm-ag',
    'SAGE+TSF': 'sage-tsf',
}
CLS_CFG = 'configs/demo/cls/resnet18-tiny_1xb32-5r_demo-digits-{}.py'
SEG_HUMAN = ('configs/demo/active/deeplabv3plus_r18-d8_4xb4-1x60_demo-'
             'active-adeada-human.py')
CLS_HUMAN = 'configs/demo/cls/resnet18-tiny_1xb32-1r_demo-digits-ent-human.py'


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHONPATH'] = os.pathsep.join([REPO, env.get('PYTHONPATH', '')])
    return env


def run(cmd: Sequence[str]) -> None:
    """Run a step in the foreground; stop the demo if it fails."""
    print('$', ' '.join(cmd), flush=True)
    res = subprocess.run(list(cmd), cwd=REPO, env=_env())
    if res.returncode:
        sys.exit(f'demo step failed ({res.returncode}): {" ".join(cmd)}')


def train_all(jobs: List[Tuple[str, str, List[str]]],
              work_root: str,
              parallel: int = 2,
              cwd: str = REPO) -> None:
    """Train ``(name, config, extra args)`` jobs, ``parallel`` at a time,
    each in ``work_root/name`` (the demos, ``tools/analysis/seeds.py`` and
    ``benchmarks/real_digits.py`` share this runner).

    A finished run (its ``done`` marker exists) is not trained again; a
    failed one stops the others and exits with its log's tail.  Relative
    paths (config, ``work_root``, options) are read from ``cwd``.
    """
    pending = list(jobs)
    running: Dict[str, Tuple[subprocess.Popen, str, float]] = {}
    while pending or running:
        while pending and len(running) < parallel:
            name, cfg, extra = pending.pop(0)
            work = osp.join(cwd, work_root, name)
            if osp.isfile(osp.join(work, 'done')):
                print(f'[{name}] already trained ({work})', flush=True)
                continue
            os.makedirs(work, exist_ok=True)
            log = osp.join(work, 'stdout.log')
            cmd = [
                PY,
                osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work,
                '--resume'
            ] + extra
            print(f'[{name}] training: {" ".join(cmd)}', flush=True)
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=_env(),
                stdout=open(log, 'w'),
                stderr=subprocess.STDOUT)
            running[name] = (proc, log, time.time())
        time.sleep(2)
        for name in list(running):
            proc, log, t0 = running[name]
            if proc.poll() is None:
                continue
            del running[name]
            if proc.returncode:
                with open(log) as f:
                    tail = f.read()[-3000:]
                for p, _, _ in running.values():
                    p.terminate()
                sys.exit(f'[{name}] failed ({proc.returncode}); the end of '
                         f'{log}:\n{tail}')
            open(osp.join(osp.dirname(log), 'done'), 'w').close()
            print(f'[{name}] done in {time.time() - t0:.0f} s', flush=True)


def _last_score(work: str, metric: str) -> float:
    """The metric of a plain run's last validation (from its scalars)."""
    import glob
    import json
    paths = sorted(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise FileNotFoundError(f'no validation log in {work}')
    score = None
    with open(paths[-1]) as f:
        for line in f:
            rec = json.loads(line)
            if metric in rec:
                score = float(rec[metric])
    if score is None:
        raise ValueError(f'{work}: no {metric} was logged')
    return score


def report(runs: Dict[str, str], out: str, title: str, lower: float,
           upper: Optional[float], metric: str) -> None:
    from mmseg_ada.engine.active_report import (plot_curves, read_rounds,
                                                read_start)
    from tools.analysis.plot_active_curves import format_table
    print()
    print(
        format_table({
            k: read_rounds(v)
            for k, v in runs.items()
        }, {
            k: read_start(v)
            for k, v in runs.items()
        }))
    line = f'source only: {lower:.2f} {metric}'
    if upper is not None:
        line += f'    target only (all target labels): {upper:.2f} {metric}'
    print(line)
    plot_curves(runs, out, title=title, baseline=upper, lower=lower)
    print(f'curves: {out}')


def seg_data(data: str = 'data/demo') -> None:
    """The synthetic pair, converted, with the SLIC regions of both
    domains."""
    run([PY, 'tools/make_demo_data.py', data])
    run([
        PY, 'tools/dataset_converters/gta5.py', f'{data}/gta5', '--nproc', '2'
    ])
    run([
        PY, 'tools/precompute_regions.py',
        f'{data}/cityscapes/leftImg8bit/train', '--suffix', '_leftImg8bit.png',
        '--out', f'{data}/regions/cityscapes_train_slic', '--nproc', '2'
    ])
    run([
        PY, 'tools/precompute_regions.py', f'{data}/gta5/images', '--out',
        f'{data}/regions/gta5_slic', '--nproc', '2'
    ])


def seed_runs(names: Sequence[str], seeds: int, root: str) -> Dict[str, list]:
    """The work dirs of each method's seeds: seed 0 in ``root/<name>`` (the
    one-seed demo's run, reused), seed ``s`` in ``root/<name>-seed<s>``."""
    return {
        n: [
            osp.join(root, n if s == 0 else f'{n}-seed{s}')
            for s in range(seeds)
        ]
        for n in names
    }


def seed_jobs(
    cfgs: Dict[str, str],
    seeds: int,
    root: str,
    extra: List[str],
    online: Sequence[str] = ()
) -> List[Tuple[str, str, List[str]]]:
    """``train_all`` jobs of every method and seed.

    Seed ``s > 0`` sets ``randomness.seed`` and, for the methods with a
    selector (all but ``online``), the strategy's ``seed`` too: RAND's
    draws and every tie-break change with the seed, not only the training.
    """
    jobs = []
    for n, dirs in seed_runs(list(cfgs), seeds, root).items():
        for s, d in enumerate(dirs):
            opts = list(extra)
            if s:
                opts.append(f'randomness.seed={s}')
                if n not in online:
                    opts.append(f'train_cfg.selector.strategy.seed={s}')
            jobs.append((osp.relpath(d, root), cfgs[n],
                         ['--cfg-options'] + opts if opts else []))
    # the first seed of every method first: a stopped demo still has one
    # complete table
    return sorted(jobs, key=lambda j: '-seed' in j[0])


def report_seeds(runs: Dict[str, list], out: str, title: str, lower: float,
                 upper: Optional[float], metric: str) -> None:
    """Mean +- sd per round over seeds, with each seed's last score."""
    from mmseg_ada.engine import seed_report
    tables = {k: seed_report.seed_table(v) for k, v in runs.items()}
    print()
    print(seed_report.format_seed_table(tables))
    for k, rows in tables.items():
        last = ', '.join(f'{v:.2f}' for v in rows[-1]['scores'])
        print(f'{k}: last round per seed {last}')
    line = f'source only: {lower:.2f} {metric}'
    if upper is not None:
        line += f'    target only (all target labels): {upper:.2f} {metric}'
    print(line)
    seed_report.plot_seed_curves(
        tables, out, title=title, baseline=upper, lower=lower)
    print(f'curves: {out}')


def demo_seg(args) -> None:
    root = args.work_dir
    seg_data()
    train_all([('source-only', SEG_SOURCE_ONLY, []),
               ('target-only', SEG_TARGET_ONLY, [])], root)
    ckpt = osp.join(root, 'source-only', 'iter_600.pth')
    cfgs = {k: v for k, v in SEG_ACTIVE.items() if k in args.methods}
    train_all(
        seed_jobs(
            cfgs, args.seeds, root, [f'load_from={ckpt}'], online=SEG_ONLINE),
        root)
    lower = _last_score(osp.join(root, 'source-only'), 'mIoU')
    upper = _last_score(osp.join(root, 'target-only'), 'mIoU')
    title = 'synthetic GTA5 -> Cityscapes'
    if args.seeds > 1:
        report_seeds(
            seed_runs(list(cfgs), args.seeds, root),
            osp.join(root, 'curves.png'), title, lower, upper, 'mIoU')
        return
    report({k: osp.join(root, k)
            for k in cfgs}, osp.join(root, 'curves.png'), title, lower, upper,
           'mIoU')


def demo_cls(args) -> None:
    data = 'data/demo_cls'
    root = args.work_dir
    run([PY, 'tools/make_demo_cls_data.py', data])
    cfgs = {n: CLS_CFG.format(CLS[n]) for n in CLS if n in args.methods}
    train_all(seed_jobs(cfgs, args.seeds, root, []), root)
    from mmseg_ada.engine.active_report import read_start
    runs = {n: osp.join(root, n) for n in cfgs}
    starts = [read_start(v) for v in runs.values()]
    lower = float(next(s['score'] for s in starts if s))
    title = 'digits -> shifted digits'
    if args.seeds > 1:
        report_seeds(
            seed_runs(list(cfgs), args.seeds, root),
            osp.join(root, 'curves.png'), title, lower, None, 'top1_acc')
        return
    report(runs, osp.join(root, 'curves.png'), title, lower, None, 'top1_acc')


def _human_round(name: str, cfg: str, work: str, server, annotator,
                 extra: List[str]) -> dict:
    """Run ``cfg`` until its round waits for labels (exit 75), label the
    round in Label Studio with the scripted stand-in, import, resume."""
    from mmseg_ada.testing.label_studio import label_round
    cmd = [PY, 'tools/train.py', cfg, '--work-dir', work] + extra
    log = osp.join(work, 'stdout.log')
    os.makedirs(work, exist_ok=True)
    print(
        f'[{name}] training until the round waits for labels: '
        f'{" ".join(cmd)}',
        flush=True)
    with open(log, 'w') as f:
        res = subprocess.run(
            cmd, cwd=REPO, env=_env(), stdout=f, stderr=subprocess.STDOUT)
    if res.returncode != 75:
        with open(log) as f:
            tail = f.read()[-3000:]
        sys.exit(f'[{name}] expected exit status 75 (waiting for labels), '
                 f'got {res.returncode}; the end of {log}:\n{tail}')
    print(
        f'[{name}] exit status 75: round 1 waits for labels in '
        f'{work}/active/annotate/round_1/',
        flush=True)
    export = osp.join(work, 'label_studio_export.json')
    info = label_round(
        server, work, 1, annotator, export, title=f'mmseg-ada demo {name}')
    print(
        f'[{name}] the stand-in labelled {info["tasks"]} tasks in Label '
        f'Studio ({info["url"]}) and exported them to {export}',
        flush=True)
    run([
        PY, 'tools/annotate.py', 'import', work, '--round', '1', export,
        '--format', 'labelstudio'
    ])
    print(f'[{name}] resuming', flush=True)
    with open(log, 'a') as f:
        res = subprocess.run(
            cmd + ['--resume'],
            cwd=REPO,
            env=_env(),
            stdout=f,
            stderr=subprocess.STDOUT)
    if res.returncode:
        sys.exit(f'[{name}] the resumed run failed ({res.returncode}): '
                 f'{log}')
    run([PY, 'tools/annotate.py', 'status', work])
    return info


def _target_oracle(cfg: str):
    """The ground truth of a config's target dataset (the stand-in's)."""
    from mmengine.config import Config
    from mmseg.utils import register_all_modules

    import mmseg_ada  # noqa: F401
    from mmseg_ada.active.oracles import GroundTruthOracle
    from mmseg_ada.datasets import LabeledSubsetDataset
    register_all_modules(init_default_scope=True)
    c = Config.fromfile(osp.join(REPO, cfg))

    def find(d):
        if isinstance(d, dict):
            if d.get('type') == 'LabeledSubsetDataset':
                return d['dataset']
            for v in d.values():
                found = find(v)
                if found is not None:
                    return found
        return None

    ds_cfg = find(c.train_dataloader.dataset.to_dict())
    ds = LabeledSubsetDataset(ds_cfg)
    return GroundTruthOracle().bind(ds.dataset, annotations=ds.annotations)


def demo_annotate(args) -> None:
    """One ADeADA round and one classification round labelled by a
    scripted stand-in through a local Label Studio server."""
    from mmseg_ada.testing.annotator import ScriptedAnnotator
    from mmseg_ada.testing.label_studio import LabelStudioServer
    root = args.work_dir
    seg_data()
    run([PY, 'tools/make_demo_cls_data.py', 'data/demo_cls'])
    source = osp.join('work_dirs', 'demo', 'source-only')
    train_all([('source-only', SEG_SOURCE_ONLY, [])], osp.dirname(source))
    ckpt = osp.join(source, 'iter_600.pth')
    for name in ('adeada', 'digits'):
        if osp.isdir(osp.join(root, name)):  # a fresh run each time
            import shutil
            shutil.rmtree(osp.join(root, name))
    server = LabelStudioServer(
        osp.join(root, 'label_studio'),
        osp.join(REPO, 'data'),
        start_timeout=420)
    print(
        'starting Label Studio (its first start sets up a database: '
        'up to a few minutes)',
        flush=True)
    with server:
        print(
            f'Label Studio is up at {server.url} (user '
            f'{server.username}, password {server.password})',
            flush=True)
        seg = _human_round('adeada', SEG_HUMAN, osp.join(root,
                                                         'adeada'), server,
                           ScriptedAnnotator(_target_oracle(SEG_HUMAN)),
                           ['--cfg-options', f'load_from={ckpt}'])
        cls = _human_round('digits', CLS_HUMAN, osp.join(root,
                                                         'digits'), server,
                           ScriptedAnnotator(_target_oracle(CLS_HUMAN)), [])
    print()
    print('Where a person would click: the server has stopped, its data '
          'stays; start it again with')
    print(f'  LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true '
          f'LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT={server.document_root} '
          f'{server.exe} start --internal-host 127.0.0.1 --port '
          f'{server.port} --data-dir {server.data_dir}')
    print(f'and log in as {server.username} / {server.password}:')
    for name, info in (('segmentation', seg), ('classification', cls)):
        print(f'  {name}: {info["url"]} -> open a task, correct the '
              'suggested labels (the brushes / the class), Submit; then '
              'Export -> JSON and `python tools/annotate.py import WORK_DIR '
              '--round K EXPORT.json --format labelstudio`')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('task', choices=['seg', 'cls', 'annotate'])
    p.add_argument(
        '--work-dir',
        default=None,
        help='default: work_dirs/demo (seg), work_dirs/demo-cls')
    p.add_argument(
        '--methods', nargs='+', default=None, help='a subset of the methods')
    p.add_argument(
        '--seeds',
        type=int,
        default=1,
        help='run the active methods with seeds 0..N-1 and report mean +- '
        'sd per round (seed 0 is the one-seed run)')
    args = p.parse_args()
    if args.seeds < 1:
        p.error(f'--seeds must be >= 1, got {args.seeds}')
    if args.task == 'annotate':
        args.work_dir = args.work_dir or 'work_dirs/demo-annotate'
        demo_annotate(args)
    elif args.task == 'seg':
        args.work_dir = args.work_dir or 'work_dirs/demo'
        args.methods = args.methods or list(SEG_ACTIVE)
        demo_seg(args)
    else:
        args.work_dir = args.work_dir or 'work_dirs/demo-cls'
        args.methods = args.methods or list(CLS)
        demo_cls(args)


if __name__ == '__main__':
    main()
