"""The ADeADA / region-baseline experiment configs and their docs.

``configs/adeada``, ``configs/active_baselines``: the paper's protocol (5
rounds x 1%, alpha/beta per benchmark), Table 2 rows equal to
``ADEADA_ABLATIONS``, baselines that differ from ADeADA only in the
strategy, a warm-up checkpoint from the matching AdaptSegNet config,
top-level configs of a few lines, and a README and metafile that list every
config.  ``test_configs_build.py`` builds all of them.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

import mmseg_ada  # noqa: F401  (registers the strategies)
from mmseg_ada.active.strategies.adeada import ADEADA_ABLATIONS

# ------------------------------------------------------------ the configs
REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'
MAIN = {
    (model, src):
    CONFIGS / 'adeada' /
    (f'adeada_{model}_1xb2-5x10k_{src}-cityscapes-512x1024.py')
    for model in ('deeplabv2-r101', 'deeplabv3plus-r101-d8')
    for src in ('gta5', 'synthia')
}
V3P_GTA5 = MAIN[('deeplabv3plus-r101-d8', 'gta5')]


def _load(path) -> Config:
    return Config.fromfile(str(path))


@pytest.mark.parametrize('key', sorted(MAIN), ids=lambda k: '-'.join(k))
def test_main_configs_follow_the_paper(key):
    model, src = key
    cfg = _load(MAIN[key])
    t = cfg.train_cfg
    assert t.type == 'ActiveLoop'
    assert (t.num_rounds, t.budget) == (5, dict(per_round=0.01))
    assert t.max_iters == t.num_rounds * t.iters_per_round
    s = t.selector.strategy
    assert s.type == 'ADeADA' and s.policy == 'half'
    assert s.category_balance is True and s.uncertainty == 'entropy'
    assert (s.alpha, s.beta) == ((1.0, 1.0) if src == 'gta5' else (0.5, 1.0))
    if src == 'synthia':  # 7c: no terrain (9), truck (14), train (16)
        assert sorted(set(range(19)) - set(s.source_classes)) == [9, 14, 16]
    sel = t.selector
    assert sel.source_pool_dataloader.dataset.type == (
        'GTA5Dataset' if src == 'gta5' else 'SynthiaDataset')
    assert sel.source_units == dict(
        type='RegionUnits', cache=f'data/{src}/regions/slic')
    assert sel.units == dict(
        type='RegionUnits', cache='data/cityscapes/regions/train_slic')
    pool = sel.pool_dataloader
    assert pool.dataset.data_prefix.img_path == 'leftImg8bit/train'
    assert 'LoadAnnotations' not in [p['type'] for p in pool.dataset.pipeline]
    assert cfg.train_dataloader.sampler.type == 'RoundInfiniteSampler'
    assert cfg.val_evaluator.type == ('IoUMetric'
                                      if src == 'gta5' else 'SynthiaIoUMetric')
    # 7d: lr 2.5e-4 restarting with poly 0.9 inside every round
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min,
            poly.periods) == ('RestartPolyLR', 0.9, 0.,
                              [t.iters_per_round] * 5)
    assert cfg.optim_wrapper.optimizer.lr == 2.5e-4
    assert cfg.default_hooks.checkpoint.interval == t.iters_per_round
    assert dict(type='RoundMetricHook', metric='mIoU') in cfg.custom_hooks
    # warm-up: the last checkpoint of the matching AdaptSegNet config
    warm = Path(cfg.load_from)
    adapt = CONFIGS / 'adaptseg' / (warm.parent.name + '.py')
    assert adapt.is_file(), cfg.load_from
    assert model in warm.parent.name and f'_{src}-' in warm.parent.name
    assert warm.name == f'iter_{_load(adapt).train_cfg.max_iters}.pth'
    assert cfg.model.type == 'ADAEncoderDecoder'
    assert _load(adapt).model.backbone == cfg.model.backbone


def _lines(path):
    return [
        ln for ln in path.read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith('#')
    ]


def test_top_level_configs_are_a_few_lines():
    paths = list((CONFIGS / 'adeada').rglob('*.py'))
    paths += list((CONFIGS / 'active_baselines').glob('*.py'))
    for path in paths:
        assert len(_lines(path)) <= 18, path.name


def test_v2_and_v3plus_differ_only_in_the_model():
    for src in ('gta5', 'synthia'):
        v2 = _lines(MAIN[('deeplabv2-r101', src)])
        v3 = _lines(MAIN[('deeplabv3plus-r101-d8', src)])
        diff = [(a, b) for a, b in zip(v2, v3) if a != b]
        assert len(v2) == len(v3)
        # the seg_tasks base (model + its warm-up checkpoint) and the model
        assert all('models/' in a or 'adaptseg_' in a or 'seg_tasks/' in a
                   for a, _ in diff), diff
        a, b = _load(MAIN[('deeplabv2-r101',
                           src)]), _load(MAIN[('deeplabv3plus-r101-d8', src)])
        for key in ('train_cfg', 'train_dataloader', 'param_scheduler',
                    'optim_wrapper', 'default_hooks', 'custom_hooks'):
            assert a[key] == b[key], key
        assert a.model.decode_head.type == 'DeepLabV2Head'
        assert b.model.decode_head.type == 'DepthwiseSeparableASPPFeatHead'


def test_table2_rows_are_the_ablation_table():
    rows = sorted((CONFIGS / 'adeada' / 'ablations').glob('*_table2?.py'))
    assert [p.stem[-1] for p in rows] == sorted(ADEADA_ABLATIONS)
    main = _load(V3P_GTA5)
    for path in rows:
        cfg = _load(path)
        s = cfg.train_cfg.selector.strategy
        for k, v in ADEADA_ABLATIONS[path.stem[-1]].items():
            assert s[k] == v, (path.name, k)
        # only the strategy differs from the main config
        for key in ('model', 'train_dataloader', 'param_scheduler',
                    'load_from', 'optim_wrapper'):
            assert cfg[key] == main[key], (path.name, key)
        rest = {k: v for k, v in cfg.train_cfg.items() if k != 'selector'}
        assert rest == {
            k: v
            for k, v in main.train_cfg.items() if k != 'selector'
        }


def test_table5_policies():
    found = {
        p.stem.rsplit('table5-', 1)[1]: _load(p).train_cfg.selector.strategy
        for p in (CONFIGS / 'adeada' / 'policies').glob('*_table5-*.py')
    }
    assert sorted(found) == ['even', 'half', 'linear']
    assert all(s.category_balance for s in found.values())
    assert {
        k: s.policy
        for k, s in found.items()
    } == dict(
        even='even', half='half', linear='linear')
    assert (found['linear'].alpha, found['linear'].linear_step) == (1.0, 0.2)
    # "half" is the main config's strategy
    assert found['half'] == _load(V3P_GTA5).train_cfg.selector.strategy


@pytest.mark.parametrize('src', ['gta5', 'synthia'])
def test_baselines_share_the_adeada_protocol(src):
    adeada = _load(MAIN[('deeplabv3plus-r101-d8', src)])
    expected = dict(
        rand='Random',
        ent='Entropy',
        conf='Confidence',
        mar='Margin',
        badge='RegionBADGE',
        clue='RegionCLUE',
        aada='RegionAADA',
        redal='ReDAL')
    paths = sorted((CONFIGS / 'active_baselines').glob(f'*_{src}-*.py'))
    assert sorted(p.name.split('_')[0] for p in paths) == sorted(expected)
    for path in paths:
        assert '../adeada/' not in path.read_text()  # not derived from it
        cfg = _load(path)
        t = cfg.train_cfg
        assert t.selector.strategy.type == expected[path.name.split('_')[0]]
        for key in ('model', 'train_dataloader', 'val_dataloader',
                    'val_evaluator', 'param_scheduler', 'optim_wrapper',
                    'load_from', 'default_hooks', 'randomness'):
            want = adeada[key]
            if key == 'model' and path.name.startswith('aada_'):
                # + the warm-up's discriminator, frozen, for 'domain'
                want = dict(want, discriminator=dict(type='FCDiscriminator'))
            assert cfg[key] == want, (path.name, key)
        for key in ('max_iters', 'num_rounds', 'budget', 'iters_per_round'):
            assert t[key] == adeada.train_cfg[key], (path.name, key)
        for key in ('units', 'pool_dataloader'):
            assert t.selector[key] == adeada.train_cfg.selector[key]


@pytest.mark.parametrize('folder', ['adeada', 'active_baselines'])
def test_readme_and_metafile_list_every_config(folder):
    """Paper numbers live in the method's README and metafile."""
    import yaml
    root = CONFIGS / folder
    meta = yaml.safe_load((root / 'metafile.yml').read_text())
    listed = {m['Config'] for m in meta['Models']}
    found = {str(p.relative_to(REPO)) for p in root.rglob('*.py')}
    assert listed == found
    readme = (root / 'README.md').read_text()
    for m in meta['Models']:
        assert m['Results'][0]['Metrics']['mIoU'] > 0
        if folder == 'adeada' and '/' not in m['Config'].split(folder +
                                                               '/')[1]:
            assert Path(m['Config']).name in readme
    if folder == 'adeada':
        assert '| 64.03 | 67.65 | 69.86 | 70.66 | 71.25 |' in readme
        assert '| 59.53 | 67.07 | 68.99 | 70.04 | 70.62 (76.28) |' in readme
    else:
        assert '| 59.57 | 66.08 | 68.79 | 69.83 | 70.70 |' in readme
