"""Test (and evaluate) a checkpoint (mmseg's ``tools/test.py``).

Usage::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR]
        [--show-dir DIR] [--tta] [--cfg-options ...] [--launcher ...]

``--out DIR`` writes the predictions: a PNG per image for a segmentor
(mmseg's ``IoUMetric``), ``DIR/predictions.jsonl`` for a classifier
(``ClsAccuracyMetric``); an evaluator that cannot write them is refused
before the model runs.  ``--show``/``--show-dir`` draw segmentation
predictions (``SegVisualizationHook``) and are refused for a classifier.

``mmseg_ada`` is imported first, so checkpoints written by mmengine load with
torch >= 2.6 (see ``mmseg_ada/utils/compat.py``), and ``--launcher pytorch``
works on CPU-only machines.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmseg_ada  # noqa: E402,F401
from mmseg_ada.utils import end_process, setup_launcher  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='MMSeg test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory where evaluation metrics are dumped as json')
    parser.add_argument(
        '--out',
        type=str,
        help='the directory to save output predictions for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved (under '
        'work_dir/timestamp/show_dir)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--tta', action='store_true', help='Test time augmentation')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def is_classifier(cfg: Config) -> bool:
    """Whether the config's model is an image classifier."""
    from mmseg.registry import MODELS

    from mmseg_ada.models.classifiers import ADAImageClassifier
    model_type = cfg.model.get('type') if isinstance(cfg.model, dict) else None
    cls = MODELS.get(model_type) if isinstance(model_type, str) else None
    return isinstance(cls, type) and issubclass(cls, ADAImageClassifier)


def set_output_dir(cfg: Config, out: str) -> None:
    """Point every test evaluator at ``out``; refuse one that cannot write
    predictions (its class takes no ``output_dir``)."""
    import inspect

    from mmseg.registry import METRICS
    evaluators = cfg.test_evaluator
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    for ev in evaluators:
        cls = METRICS.get(ev.get('type'))
        params = inspect.signature(cls.__init__).parameters if cls else {}
        if 'output_dir' not in params:
            raise SystemExit(
                f"--out: the test_evaluator {ev.get('type')!r} cannot write "
                'predictions (it takes no output_dir); drop --out, or use '
                'an evaluator that writes them (IoUMetric, ClsAccuracyMetric)')
        ev['output_dir'] = out
        if 'keep_results' in params or any(p.kind == p.VAR_KEYWORD
                                           for p in params.values()):
            ev['keep_results'] = True


def trigger_visualization_hook(cfg: Config,
                               args: argparse.Namespace) -> Config:
    if is_classifier(cfg):
        raise SystemExit(
            '--show/--show-dir draw segmentation predictions '
            f'(SegVisualizationHook); {cfg.model.type} is an image '
            'classifier: use --out DIR to write its predictions '
            '(DIR/predictions.jsonl)')
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks: '
            "visualization=dict(type='SegVisualizationHook')")
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def main() -> None:
    args = parse_args()
    for path, what in ((args.config, 'config file'), (args.checkpoint,
                                                      'checkpoint')):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} not found: {path}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    setup_launcher(cfg, args.launcher)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        set_output_dir(cfg, args.out)

    runner = Runner.from_cfg(cfg)
    runner.test()
    end_process(0)


if __name__ == '__main__':
    main()
