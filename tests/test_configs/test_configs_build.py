"""Every experiment config under ``configs/`` builds, offline, on tiny data.

Configs are discovered with a glob (everything below ``configs/`` except
``_base_/``), so configs added later are covered without editing this file.
Each one is loaded as ``tools/train.py`` loads it, switched to offline init
(no ImageNet download), pointed at miniature on-disk datasets in the real
formats (GTA5 / SYNTHIA / Cityscapes, by dataset type), and then built the
way ``Runner.train()`` builds it, short of initialising weights, loading
checkpoints and running iterations: the runner (model, hooks), the train /
val / test loops (datasets, samplers, dataloaders, evaluators), the optim
wrapper and the parameter schedulers.  One batch of each loader goes through
the model's data preprocessor, which checks dataset, pipeline, collate
function and preprocessor against each other.  Models are built, never
run (a ResNet-101 forward pass at 512x1024 takes seconds on a CPU); to keep
the file fast (~2 s per R101 config on 2 loaded cores) conv weights are left
uninitialised, yapf formatting of the dumped config is off and the objects
alive at the start are frozen out of the garbage collector.

A config that cannot build without external data may be listed in
``NEEDS_EXTERNAL_DATA`` with the reason; it is then skipped, and the reason
is printed.  Nothing is listed today.
"""
import gc
import re
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmseg.registry import DATASETS, RUNNERS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401  (registers our modules)
from mmseg_ada.datasets import GTA5Dataset, SynthiaDataset

REPO = Path(__file__).resolve().parents[2]
CONFIG_ROOT = REPO / 'configs'
CONFIGS: List[Path] = sorted(
    p for p in CONFIG_ROOT.rglob('*.py')
    if '_base_' not in p.relative_to(CONFIG_ROOT).parts)
IDS = [str(p.relative_to(CONFIG_ROOT)) for p in CONFIGS]

#: ``{config path relative to configs/: reason}`` for configs that truly
#: need external data to build (skipped with the reason printed).
NEEDS_EXTERNAL_DATA: Dict[str, str] = {}

IGNORE_INDEX = 255


# ---------------------------------------------------------------- helpers
def walk_dicts(node: Any, fn: Callable[[dict], None]) -> None:
    """Call ``fn`` on every dict nested in ``node`` (dicts, lists, tuples),
    parents before children; ``fn`` may replace values of the dict."""
    if isinstance(node, dict):
        fn(node)
        for value in list(node.values()):
            walk_dicts(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            walk_dicts(value, fn)


def _is_pretrained(init: Any) -> bool:
    return isinstance(init, dict) and init.get('type') == 'Pretrained'


def switch_init_offline(cfg: Config) -> List[str]:
    """Drop every ``Pretrained`` init and ``pretrained=<ckpt>`` in ``cfg``.

    The command-line equivalent for the R101 configs is
    ``--cfg-options model.backbone.init_cfg=None``.  Also clears
    ``load_from`` and ``resume`` (warm-up checkpoints that do not exist
    here; the runner loads them only in ``train()`` anyway).

    Returns:
        list[str]: What was switched off, for the failure messages.
    """
    removed: List[str] = []

    def fix(node: dict) -> None:
        init = node.get('init_cfg')
        if _is_pretrained(init):
            removed.append(str(init.get('checkpoint')))
            node['init_cfg'] = None
        elif isinstance(init, (list, tuple)) and any(
                _is_pretrained(i) for i in init):
            removed.extend(
                str(i.get('checkpoint')) for i in init if _is_pretrained(i))
            node['init_cfg'] = [i for i in init if not _is_pretrained(i)]
        if isinstance(node.get('pretrained'), str):
            removed.append(node['pretrained'])
            node['pretrained'] = None

    walk_dicts(cfg._cfg_dict, fix)
    cfg.load_from = None
    cfg.resume = False
    return removed


def _dataset_class(type_: Any) -> type:
    if isinstance(type_, type):
        return type_
    with DefaultScope.overwrite_default_scope('mmseg'):
        cls = DATASETS.get(type_)
    if cls is None:
        raise KeyError(f'dataset type {type_!r} is not registered')
    return cls


def redirect_data_roots(cfg: Config, roots: Dict[str, str]) -> List[str]:
    """Point every dataset's ``data_root`` at a miniature dataset.

    The root is chosen by dataset class (subclasses included): GTA5Dataset
    -> ``roots['gta5']``, SynthiaDataset -> ``roots['synthia']``,
    CityscapesDataset -> ``roots['cityscapes']``.

    Returns:
        list[str]: The dataset types redirected.

    Raises:
        AssertionError: If a dataset with a ``data_root`` has a type with no
            miniature counterpart (add one here).
    """
    from mmseg.datasets import CityscapesDataset

    from mmseg_ada.datasets import (DomainNetDataset, ImageListDataset,
                                    Office31Dataset, OfficeHomeDataset,
                                    VisDADataset)
    table = ((GTA5Dataset, 'gta5'), (SynthiaDataset, 'synthia'),
             (CityscapesDataset, 'cityscapes'), (Office31Dataset, 'office31'),
             (OfficeHomeDataset, 'office_home'), (VisDADataset, 'visda'),
             (DomainNetDataset, 'domainnet'), (ImageListDataset, 'digits'))
    seen: List[str] = []

    def fix(node: dict) -> None:
        if 'data_root' not in node or 'type' not in node:
            return
        cls = _dataset_class(node['type'])
        for base, key in table:
            if issubclass(cls, base):
                node['data_root'] = roots[key]
                seen.append(cls.__name__)
                return
        raise AssertionError(
            f'no miniature dataset for {cls.__name__} (data_root='
            f'{node["data_root"]!r}); add its type to redirect_data_roots')

    walk_dicts(cfg._cfg_dict, fix)
    return seen


def single_process_loaders(cfg: Config) -> None:
    """Load data in the main process (no worker processes in tests)."""

    def fix(node: dict) -> None:
        if 'num_workers' in node:
            node['num_workers'] = 0
            node['persistent_workers'] = False

    walk_dicts(cfg._cfg_dict, fix)


def load_offline(path: Path, roots: Dict[str, str], work_dir: Path) -> Config:
    """Load ``path`` as tools/train.py does, ready to build offline here.

    yapf formatting of the config text is switched off (the runner renders
    the config three times: ~0.6 s each here); ``test_config_builds`` checks
    that the rendered text reloads to the same config instead.
    """
    cfg = Config.fromfile(str(path))
    # fromfile(format_python_code=False) is ignored by mmengine 0.10.7 for
    # ordinary (non-lazy) configs; deep copies keep the attribute
    object.__setattr__(cfg, '_format_python_code', False)
    switch_init_offline(cfg)
    redirect_data_roots(cfg, roots)
    single_process_loaders(cfg)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = 'build_' + re.sub(r'\W', '_', path.stem)
    cfg.log_level = 'WARNING'
    return cfg


def packed_parts(batch: Any) -> Iterator[Tuple[str, torch.Tensor, Any]]:
    """(part, inputs, data_samples) of a preprocessed batch: part ``''``
    (the labelled source / evaluation images), ``'target_'`` and
    ``'unlabeled_'`` (the other streams of a multi-stream batch, when
    there are some)."""
    if isinstance(batch, dict):
        for prefix in ('', 'target_', 'unlabeled_'):
            if prefix + 'inputs' in batch:
                yield (prefix, batch[prefix + 'inputs'],
                       batch.get(prefix + 'data_samples'))


def num_classes_of(model_cfg: dict) -> int:
    if 'head' in model_cfg:  # an image classifier
        return int(model_cfg['head']['num_classes'])
    head = model_cfg['decode_head']
    head = head[-1] if isinstance(head, (list, tuple)) else head
    return int(head['num_classes'])


def check_batch(runner: Runner, loader, training: bool, num_classes: int,
                what: str) -> None:
    """Collate one batch, run the data preprocessor, check the tensors."""
    batch = next(iter(loader))
    model = runner.model.module if hasattr(runner.model,
                                           'module') else runner.model
    with torch.no_grad():
        data = model.data_preprocessor(batch, training)
    parts = list(packed_parts(data))
    assert parts and parts[0][0] == '', \
        f'{what}: the preprocessor returned no inputs: {list(data)}'
    assert 0 < parts[0][1].shape[0] <= loader.batch_size, what
    for part, inputs, samples in parts:
        where = f'{what} {part or "main"} part'
        assert inputs.dim() == 4 and inputs.shape[1] == 3, where
        assert inputs.is_floating_point(), where
        assert samples and len(samples) == inputs.shape[0], where
        for sample in samples:
            if not isinstance(sample, SegDataSample):  # classification
                if part == 'unlabeled_':
                    assert 'gt_label' not in sample, where
                    continue
                label = int(sample.gt_label.reshape(-1)[0])
                assert 0 <= label < num_classes, f'{where}: label {label}'
                continue
            assert isinstance(sample, SegDataSample), where
            if 'gt_sem_seg' not in sample:
                # unlabelled target images (UDA) carry no label at all
                assert part == 'target_', f'{where}: no gt_sem_seg'
                continue
            gt = sample.gt_sem_seg.data
            if training:  # cropped/padded with the image
                assert tuple(gt.shape[-2:]) == tuple(inputs.shape[-2:]), \
                    where
            values = torch.unique(gt)
            bad = values[(values >= num_classes) & (values != IGNORE_INDEX)]
            assert bad.numel() == 0, (
                f'{where}: label values {bad.tolist()} outside 0..'
                f'{num_classes - 1} and {IGNORE_INDEX} (unconverted labels?)')


def optimizer_params(wrapper) -> List[torch.nn.Parameter]:
    wrappers = (
        wrapper.values()
        if isinstance(wrapper, OptimWrapperDict) else [wrapper])
    params = []
    for w in wrappers:
        assert isinstance(w, OptimWrapper)
        for group in w.optimizer.param_groups:
            params.extend(group['params'])
    return params


def _close_logger(runner: Runner) -> None:
    logger: MMLogger = runner.logger
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope='module', autouse=True)
def cheap_gc():
    """mmengine datasets run ``gc.collect()`` when built (~0.3 s each with
    torch and mmseg loaded); freezing the objects alive so far makes that
    cheap."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope='module', autouse=True)
def skip_conv_weight_init():
    """Leave conv weights uninitialised while building models here.

    Nothing in this file runs a model, and the random init of the
    ResNet-101 convolutions is over half of a model's build time (~0.8 s);
    the modules, shapes and parameters are built as usual.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.nn.modules.conv._ConvNd, 'reset_parameters',
                   lambda self: None)
        yield


@pytest.fixture(scope='module')
def data_roots(synthetic_da, synthetic_synthia_da,
               tmp_path_factory) -> Dict[str, str]:
    from tests.cls_fixtures import (make_domain, make_domainnet, make_office31,
                                    make_office_home, make_visda)
    cls = tmp_path_factory.mktemp('cls_datasets')
    digits = str(cls / 'digits')
    for d, domain in enumerate(('source', 'target')):
        make_domain(
            digits,
            domain + '/{cls}/{i:04d}',
            f'{domain}.txt', [str(c) for c in range(10)],
            labels=(0, 3, 9),
            ext='.png',
            seed=50 + d)
    return dict(
        gta5=str(Path(synthetic_da) / 'gta5'),
        cityscapes=str(Path(synthetic_da) / 'cityscapes'),
        synthia=str(Path(synthetic_synthia_da) / 'synthia'),
        office31=make_office31(str(cls / 'office31')),
        office_home=make_office_home(str(cls / 'office_home')),
        visda=make_visda(str(cls / 'visda')),
        domainnet=make_domainnet(str(cls / 'domainnet')),
        digits=digits)


# ------------------------------------------------------------------ tests
def test_discovery_finds_every_config():
    names = set(IDS)
    assert 'demo/deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-' \
        '128x256.py' in names
    for sub in ('source_only', 'target_only'):
        assert sum(i.startswith(sub + '/') for i in names) >= 2, sub
    assert not any('_base_' in i for i in names)


def test_offline_and_redirect_helpers(tmp_path):
    cfg = Config(
        dict(
            model=dict(
                backbone=dict(
                    type='ResNet',
                    init_cfg=dict(type='Pretrained', checkpoint='x://y')),
                decode_head=dict(init_cfg=[
                    dict(type='Normal', std=0.01),
                    dict(type='Pretrained', checkpoint='z')
                ]),
                pretrained='open-mmlab://r50'),
            load_from='missing.pth',
            train_dataloader=dict(
                num_workers=4,
                persistent_workers=True,
                dataset=dict(
                    type='SourceTargetDataset',
                    source=dict(type='GTA5Dataset', data_root='data/gta5'),
                    target=dict(
                        type='LabeledSubsetDataset',
                        dataset=dict(
                            type='CityscapesDataset',
                            data_root='data/cityscapes')))),
            val_dataloader=dict(
                dataset=dict(type='SynthiaDataset', data_root='data/s'))))
    removed = switch_init_offline(cfg)
    assert sorted(removed) == ['open-mmlab://r50', 'x://y', 'z']
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.decode_head.init_cfg == [dict(type='Normal', std=0.01)]
    assert cfg.model.pretrained is None and cfg.load_from is None
    roots = dict(gta5='G', cityscapes='C', synthia='S')
    seen = redirect_data_roots(cfg, roots)
    assert sorted(seen) == [
        'CityscapesDataset', 'GTA5Dataset', 'SynthiaDataset'
    ]
    ds = cfg.train_dataloader.dataset
    assert ds.source.data_root == 'G'
    assert ds.target.dataset.data_root == 'C'
    assert cfg.val_dataloader.dataset.data_root == 'S'
    single_process_loaders(cfg)
    assert cfg.train_dataloader.num_workers == 0
    assert cfg.train_dataloader.persistent_workers is False
    bad = Config(dict(d=dict(type='ADE20KDataset', data_root='data/ade')))
    with pytest.raises(AssertionError, match='ADE20KDataset'):
        redirect_data_roots(bad, roots)


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds(path, data_roots, tmp_path):
    rel = str(path.relative_to(CONFIG_ROOT))
    if rel in NEEDS_EXTERNAL_DATA:
        reason = f'{rel} needs external data: {NEEDS_EXTERNAL_DATA[rel]}'
        print(reason)
        pytest.skip(reason)
    cfg = load_offline(path, data_roots, tmp_path / 'work_dir')
    num_classes = num_classes_of(cfg.model)
    # what the runner logs, dumps and stores in checkpoints must reload
    assert Config.fromstring(cfg.pretty_text, '.py').to_dict() == \
        cfg.to_dict(), f'{rel}: the dumped config does not reload'

    runner = (
        RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg))
    try:
        model = runner.model
        if cfg.get('train_dataloader') is not None:
            # what Runner.train() builds before it initialises weights
            train_loader = runner.train_loop.dataloader
            assert len(train_loader.dataset) > 0, f'{rel}: empty train set'
            runner.optim_wrapper = runner.build_optim_wrapper(
                runner.optim_wrapper)
            if runner.param_schedulers is not None:
                runner.param_schedulers = runner.build_param_scheduler(
                    runner.param_schedulers)
            in_optim = {id(p) for p in optimizer_params(runner.optim_wrapper)}
            missing = [
                n for n, p in model.named_parameters()
                if p.requires_grad and id(p) not in in_optim
            ]
            assert not missing, f'{rel}: trainable but not optimised: ' \
                f'{missing[:5]}'
            check_batch(runner, train_loader, True, num_classes,
                        f'{rel} train')

        for name in ('val', 'test'):
            if cfg.get(f'{name}_dataloader') is None:
                continue
            loop = getattr(runner, f'{name}_loop')
            assert len(loop.dataloader.dataset) > 0, f'{rel}: empty {name}'
            assert loop.evaluator.metrics, f'{rel}: no {name} metric'
            check_batch(runner, loop.dataloader, False, num_classes,
                        f'{rel} {name}')
    finally:
        _close_logger(runner)


def _parse_name(stem: str):
    """``{algo}_{backbone}_{gpus}xb{batch}-[{rounds}x]{iters}_{data}-{h}x{w}
    [_extra]`` (mmseg's naming; ``5x10k`` = 5 active rounds of 10k
    iterations), or None when the name does not follow it."""
    m = re.match(
        r'^[^_]+_[^_]+_(?P<gpus>\d+)xb(?P<bs>\d+)-(?:(?P<rounds>\d+)x)?'
        r'(?P<iters>\d+)(?P<k>k?)_'
        r'.*?-(?P<h>\d+)x(?P<w>\d+)(_[^x]*)?$', stem)
    if m is None:
        return None
    iters = int(m['iters']) * (1000 if m['k'] else 1) * int(m['rounds'] or 1)
    return int(m['bs']), iters, (int(m['h']), int(m['w']))


def test_parse_name():
    assert _parse_name('deeplabv2_r101_1xb2-40k_gta5-cityscapes-512x1024') \
        == (2, 40000, (512, 1024))
    assert _parse_name('deeplabv3plus_r18-d8_4xb4-600_demo-gta5-'
                       'cityscapes-128x256') == (4, 600, (128, 256))
    assert _parse_name('deeplabv2_r101_1xb2-40k_cityscapes-512x1024_'
                       'synthia-eval') == (2, 40000, (512, 1024))
    assert _parse_name('adeada_deeplabv2-r101_1xb2-5x10k_gta5-cityscapes-'
                       '512x1024') == (2, 50000, (512, 1024))
    assert _parse_name('deeplabv3plus_r18-d8_4xb4-5x60_demo-active-rand') \
        is None  # no crop size in the name
    assert _parse_name('readme_like_name') is None


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_matches_its_name(path):
    """Batch per GPU, iterations and crop size are those the name states;
    the last by-iteration LR schedule ends with the run; V3+ heads get at
    least 2 images per GPU (their image-pool BN cannot train on 1)."""
    parsed = _parse_name(path.stem)
    cfg = Config.fromfile(str(path))
    loader = cfg.get('train_dataloader')
    if loader is None:
        pytest.skip('no train_dataloader')
    decode = str(cfg.model.get('decode_head', {}).get('type', ''))
    if 'DepthwiseSeparableASPP' in decode or decode.startswith('ASPP'):
        assert loader.batch_size >= 2, \
            'DeepLabV3+/ASPP image-pool BN needs >= 2 images per GPU'
    train_cfg = cfg.get('train_cfg', {})
    max_iters = train_cfg.get('max_iters')
    scheds = cfg.get('param_scheduler') or []
    scheds = [scheds] if isinstance(scheds, dict) else list(scheds)
    by_iter = [
        s for s in scheds
        if isinstance(s, dict) and not s.get('by_epoch', True)
    ]
    if max_iters is not None and by_iter and train_cfg.get(
            'type') == 'IterBasedTrainLoop':
        assert max(s.get('end', max_iters) for s in by_iter) == max_iters, \
            'param_scheduler does not end with train_cfg.max_iters ' \
            '(override both, see _base_/schedules/da_sgd_poly.py)'
    for s in by_iter:
        if s.get('type') == 'RestartPolyLR' and max_iters is not None:
            assert sum(s['periods']) == max_iters, \
                'RestartPolyLR periods do not add up to max_iters'
            if train_cfg.get('iters_per_round'):
                assert set(s['periods']) == {train_cfg['iters_per_round']}
    if parsed is None:
        return
    batch, iters, crop = parsed
    assert loader.batch_size == batch
    if max_iters is not None:
        assert max_iters == iters
    crops = []
    walk_dicts(
        loader, lambda d: crops.append(tuple(d['crop_size']))
        if d.get('type') == 'RandomCrop' else None)
    assert crops and all(c == crop for c in crops), crops
    size = cfg.model.get('data_preprocessor', {}).get('size')
    if size is not None:
        assert tuple(size) == crop, 'data_preprocessor.size != crop size'


# --------------------------------------- the source-/target-only protocol
def _load(rel: str) -> Config:
    return Config.fromfile(str(CONFIG_ROOT / rel))


SOURCE_ONLY = sorted(
    str(p.relative_to(CONFIG_ROOT))
    for p in (CONFIG_ROOT / 'source_only').glob('*.py'))
TARGET_ONLY = sorted(
    str(p.relative_to(CONFIG_ROOT))
    for p in (CONFIG_ROOT / 'target_only').glob('*.py'))


def _check_da_recipe(cfg: Config) -> None:
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == \
        ('SGD', 2.5e-4, 0.9, 5e-4)
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys.decode_head.lr_mult == 10. == keys.auxiliary_head.lr_mult
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min) == ('PolyLR', 0.9, 0.)
    # mmseg's encoder-decoder (multi-stream aware, identical on plain
    # batches), frozen backbone BN (the small-batch DA choice)
    assert cfg.model.type == 'ADAEncoderDecoder'
    assert cfg.model.data_preprocessor.type == 'MultiStreamSegDataPreProcessor'
    assert cfg.model.backbone.norm_cfg.requires_grad is False
    assert cfg.model.backbone.norm_eval is True
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    assert cfg.model.decode_head.num_classes == 19


def _val_split(cfg: Config, name: str) -> None:
    loader = cfg[f'{name}_dataloader']
    assert loader.dataset.type == 'CityscapesDataset'
    assert loader.dataset.data_prefix.img_path == 'leftImg8bit/val'
    assert loader.dataset.data_prefix.seg_map_path == 'gtFine/val'


@pytest.mark.parametrize('rel', SOURCE_ONLY)
def test_source_only_protocol(rel):
    cfg = _load(rel)
    _check_da_recipe(cfg)
    source = 'synthia' if '_synthia-' in rel else 'gta5'
    expected_type = dict(gta5='GTA5Dataset', synthia='SynthiaDataset')
    assert cfg.train_dataloader.dataset.type == expected_type[source]
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    for name in ('val', 'test'):
        _val_split(cfg, name)
        metric = cfg[f'{name}_evaluator'].type
        assert metric == ('SynthiaIoUMetric'
                          if source == 'synthia' else 'IoUMetric')


@pytest.mark.parametrize('rel', TARGET_ONLY)
def test_target_only_protocol(rel):
    cfg = _load(rel)
    _check_da_recipe(cfg)
    train = cfg.train_dataloader.dataset
    assert train.type == 'CityscapesDataset'
    assert train.data_prefix.img_path == 'leftImg8bit/train'
    assert train.data_prefix.seg_map_path == 'gtFine/train'
    for name in ('val', 'test'):
        _val_split(cfg, name)
        metric = cfg[f'{name}_evaluator'].type
        assert metric == ('SynthiaIoUMetric'
                          if rel.endswith('_synthia-eval.py') else 'IoUMetric')


@pytest.mark.parametrize(
    'rel', [r for r in TARGET_ONLY if r.endswith('_synthia-eval.py')])
def test_synthia_eval_variant_only_changes_the_metric(rel):
    variant = _load(rel)
    parent = _load(rel.replace('_synthia-eval.py', '.py'))
    for key in ('model', 'train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert variant[key] == parent[key], key
    assert parent.val_evaluator.type == 'IoUMetric'
    assert variant.val_evaluator == dict(type='SynthiaIoUMetric')
    assert variant.test_evaluator == dict(type='SynthiaIoUMetric')


def test_pairs_differ_only_in_model():
    """V2 and V3+ variants of one experiment share data and schedule."""
    for group in (SOURCE_ONLY, TARGET_ONLY):
        for rel in group:
            if not rel.split('/')[-1].startswith('deeplabv2_r101_'):
                continue
            other = rel.replace('deeplabv2_r101_', 'deeplabv3plus_r101-d8_')
            assert other in group, other
            a, b = _load(rel), _load(other)
            for key in ('train_dataloader', 'val_dataloader', 'val_evaluator',
                        'optim_wrapper', 'param_scheduler', 'train_cfg'):
                assert a[key] == b[key], (rel, key)
            assert a.model.decode_head.type != b.model.decode_head.type
