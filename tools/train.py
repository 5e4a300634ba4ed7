"""Train a segmentor (MMSegmentation's ``tools/train.py`` with mmseg-ada).

Usage::

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Identical to mmseg's tool, plus: ``mmseg_ada`` is imported first (registries
and the torch>=2.6 checkpoint fix), and ``--launcher pytorch`` also works on
CPU-only machines (gloo).

Exit status: 0 when training ends; 75 when a round waits for a person's
labels (``oracle=dict(type='HumanOracle')``: import them with
``tools/annotate.py import``, then run again with ``--resume``); anything
else is a failure.
"""
import argparse
import logging
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmengine.runner.checkpoint import find_latest_checkpoint  # noqa: E402
from mmseg.registry import RUNNERS  # noqa: E402

import mmseg_ada  # noqa: E402,F401  (registers modules, applies compat)
from mmseg_ada.engine import human_rounds  # noqa: E402
from mmseg_ada.utils import end_process, setup_launcher  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    setup_launcher(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    cfg.resume = args.resume
    # the active loop needs to know that --resume was asked for even when
    # no checkpoint exists yet (a label store may: it is then continued)
    cfg.resume_requested = args.resume
    if args.resume:
        # mmengine resumes from `load_from` when it is set, which would
        # restart an active run from its warm-up checkpoint.  --resume means
        # the latest checkpoint of the work dir; without one, a fresh start
        # (from load_from, if any).
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest is not None:
            cfg.load_from = None
        else:
            cfg.resume = False
            print_log(
                f'--resume: no checkpoint in {cfg.work_dir}, starting '
                'a new run',
                logger='current',
                level=logging.WARNING)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    status = 0
    try:
        runner.train()
    except human_rounds.AwaitingLabels as e:  # a round waits for a person
        status = human_rounds.awaiting_status(e)
    # every rank arrives here together (the run ended, or every rank stopped
    # for labels)
    end_process(status)


if __name__ == '__main__':
    main()
