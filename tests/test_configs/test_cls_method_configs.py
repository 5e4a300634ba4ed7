"""Every LADA / SDM / SAGE / AADA config builds and trains.

Each config is loaded as tools/train.py loads it, switched to offline init
and a tiny ResNet, pointed at miniature image lists in the real layouts
(file names repeat across class folders, as in the real datasets; the
SAGE halves written by the split tool), with 32 px
images, batches of 4, one round of 2 images starting after the first epoch
(or iteration), and trained: selection with the config's strategy, then
steps with its streams, losses and hooks.
"""
import glob
import os.path as osp
import time

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmseg_ada.datasets.domainnet import (DOMAINNET126_CLASSES,
                                          DOMAINNET_CLASSES)
from mmseg_ada.datasets.office31 import OFFICE31_CLASSES
from mmseg_ada.datasets.office_home import OFFICE_HOME_CLASSES
from mmseg_ada.datasets.split_list import split_image_list
from mmseg_ada.datasets.visda import VISDA_CLASSES
from tests.cls_fixtures import make_domain
from tests.test_models.cls_utils import TINY_BACKBONE
from tests.utils import REPO

pytestmark = pytest.mark.usefixtures('frozen_gc', 'one_thread')

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'lada', '**', '*.py'),
              recursive=True) +
    glob.glob(osp.join(REPO, 'configs', 'sdm', '**', '*.py'), recursive=True) +
    glob.glob(osp.join(REPO, 'configs', 'sage', '**', '*.py'), recursive=True)
    + glob.glob(osp.join(REPO, 'configs', 'cls_baselines', 'aada_*.py')))
IDS = [osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS]
LABELS = (0, 1, 2)


def _domain(root, fmt, lst, classes, seed, halves=False):
    make_domain(root, fmt, lst, classes, labels=LABELS, per_class=4, seed=seed)
    if halves:
        split_image_list(osp.join(root, lst), seed=0)


@pytest.fixture(scope='module')
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp('cls_method_data')
    out = {}
    r = out['Office31Dataset'] = str(base / 'office31')
    for d, name in enumerate(('amazon', 'webcam')):
        _domain(
            r,
            name + '/images/{cls}/frame_{i:04d}',
            f'image_list/{name}.txt',
            OFFICE31_CLASSES,
            d,
            halves=True)
    r = out['OfficeHomeDataset'] = str(base / 'office_home')
    for d, name in enumerate(('Art', 'Clipart')):
        _domain(r, name + '/{cls}/{i:05d}', f'image_list/{name}.txt',
                OFFICE_HOME_CLASSES, 10 + d)
    r = out['VisDADataset'] = str(base / 'visda')
    for d, name in enumerate(('train', 'validation')):
        _domain(
            r,
            name + '/{cls}/{i:05d}',
            f'image_list/{name}.txt',
            VISDA_CLASSES,
            20 + d,
            halves=True)
    r = out['DomainNetDataset'] = str(base / 'domainnet')
    for d, name in enumerate(('real', 'clipart')):
        for split in ('train', 'test'):
            _domain(r, name + '/{cls}/' + f'{name}_{split}_' + '{cls}_{i}',
                    f'{name}_{split}.txt', DOMAINNET_CLASSES, 30 + d)
        _domain(
            r,
            name + '/{cls}/' + f'{name}_126_' + '{cls}_{i}',
            f'image_list_126/labeled_source_images_{name}.txt',
            DOMAINNET126_CLASSES,
            40 + d,
            halves=True)
    return out


def _walk(node, fn):
    if isinstance(node, dict):
        fn(node)
        for v in list(node.values()):
            _walk(v, fn)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _walk(v, fn)


def _tiny(cfg, roots, work):
    """Offline, tiny, fast version of ``cfg`` (in place)."""
    # yapf-formatting the config text (dumped, logged, put in every
    # checkpoint) would be most of the run time (as in test_configs_build)
    object.__setattr__(cfg, '_format_python_code', False)

    def fix(node):
        if node.get('type') in roots and 'data_root' in node:
            node['data_root'] = roots[node['type']]
        if 'num_workers' in node:
            node['num_workers'] = 0
            node['persistent_workers'] = False
        if 'batch_size' in node:
            node['batch_size'] = 4
        if node.get('type') == 'mmcv.Resize':
            w, h = node['scale']
            node['scale'] = (32, 32) if h == w else (32, h)
        if node.get('crop_size') == 224:
            node['crop_size'] = 24

    _walk(cfg._cfg_dict, fix)
    cfg.model.backbone = dict(TINY_BACKBONE)
    cfg.model.head.in_channels = 64
    loop = cfg.train_cfg
    loop.num_rounds = 1
    loop.budget = dict(per_round=2)
    loop.checkpoint_every_epoch = False
    if 'round_epochs' in loop:
        loop.max_epochs, loop.round_epochs = 2, [1]
    else:
        loop.max_iters, loop.round_iters, loop.val_interval = 3, [1], None
    loop.selector.draw = False
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work)
    cfg.experiment_name = f'{osp.basename(str(work))}_{time.time_ns()}'
    cfg.log_level = 'ERROR'
    cfg.randomness = dict(seed=0)
    return cfg


def test_every_method_config_is_covered():
    names = {osp.basename(p) for p in CONFIGS}
    assert len(CONFIGS) == 7 + 5 + 6 + 4
    for method in ('las-ft', 'las-mme', 'las-raa', 'las-laa', 'sdm-ag', 'sage',
                   'sage-mme', 'aada'):
        assert any(n.startswith(method + '_') for n in names), method


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds_and_trains(path, roots, tmp_path):
    cfg = Config.fromfile(path)
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and 'resnet50' in init.checkpoint
    num_classes = cfg.model.head.num_classes
    for reg in cfg.model.get('regularizers', []):
        if reg.type == 'TSFRegularizer':
            assert reg.num_classes == num_classes
    runner = Runner.from_cfg(_tiny(cfg, roots, tmp_path))
    runner.train()
    from mmseg_ada.active.stores import ImageLabelStore
    store = ImageLabelStore(str(tmp_path), readonly=True)
    assert len(store.labeled_ids()) == 2
    hub = runner.message_hub
    assert hub.get_scalar('train/loss') is not None
    model = runner.model
    name = osp.basename(path)
    if '_1xb' in name and ('las-raa' in name or 'las-laa' in name):
        ds = runner.train_loop.dataloader.dataset
        assert type(ds).__name__ == 'PAADataset'
        assert ds.mode == name.split('_')[0][-3:]
        assert hub.get_scalar('train/paa_anchors').current() >= 2
    if name.startswith('sdm'):
        assert type(model.head.loss_module).__name__ == 'SDMLoss'
        assert hub.get_scalar('train/src.loss') is not None
    if name.startswith(('sage', 'aada')):
        assert hub.get_scalar('train/tgt.loss') is not None
        key = 'train/tsf.loss_adv' if name.startswith('sage') else \
            'train/dann.loss_adv'
        assert hub.get_scalar(key) is not None


@pytest.mark.parametrize('method', ['lada', 'sdm', 'sage'])
def test_metafile_lists_every_config_with_the_papers_numbers(method):
    import yaml
    folder = osp.join(REPO, 'configs', method)
    with open(osp.join(folder, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    listed = {m['Config'] for m in meta['Models']}
    present = {
        osp.relpath(p, REPO)
        for p in glob.glob(osp.join(folder, '**', '*.py'), recursive=True)
    }
    assert listed == present
    assert all(m['Reproduced'] is False and m['Metadata']['Protocol']
               for m in meta['Models'])
    with open(osp.join(folder, 'README.md')) as f:
        readme = f.read()
    numbers = dict(
        lada=[75.3, 78.2, 84.9, 84.2, 94.1, 93.1, 59.4],
        sdm=[73.1, 92.0],
        sage=[71.7])[method]
    means = [
        m['Results'][0]['Metrics'].get('Top 1 Accuracy (benchmark mean)')
        for m in meta['Models']
    ]
    for x in numbers:
        assert x in means and f'{x}' in readme, x
    for path in present:
        assert osp.basename(path) in readme, path


def test_baseline_metafile_and_readme_list_every_config_with_its_number():
    import yaml
    folder = osp.join(REPO, 'configs', 'cls_baselines')
    with open(osp.join(folder, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    present = {
        osp.relpath(p, REPO)
        for p in glob.glob(osp.join(folder, '*.py'))
    }
    assert {m['Config'] for m in meta['Models']} == present
    assert len(present) == 8 * 4
    with open(osp.join(folder, 'README.md')) as f:
        rows = [ln for ln in f.read().splitlines() if ln.startswith('| [')]
    for m in meta['Models']:
        assert m['Reproduced'] is False and m['Metadata']['Protocol']
        (row, ) = [r for r in rows if f"[{m['Name']}.py]" in r]
        results = m.get('Results')
        if results:  # Office-Home Ar->Cl / Office-31 A->W of LADA / SDM
            top1 = results[0]['Metrics']['Top 1 Accuracy']
            assert f'{top1:.1f} (' in row, (m['Name'], row)
        else:
            assert row.rstrip().endswith('| - |'), row
    # LADA Table 1 (Ar->Cl, ft w/ CE) BADGE and Table 3 (A->W) RAN
    by_name = {m['Name']: m for m in meta['Models']}
    assert by_name['badge_r50_1xb32-40e_office-home-art-clipart']['Results'][
        0]['Metrics']['Top 1 Accuracy'] == 63.4
    assert by_name['rand_r50_1xb32-40e_office31-amazon-webcam']['Results'][0][
        'Metrics']['Top 1 Accuracy'] == 87.6


def test_budget_rounding_ceil_in_sdm_configs_only():
    """Issue 17 (1a): SDM's configs buy 1 % of the target per round rounded
    up (the released logs: 8 of Webcam's 795, 5 of DSLR's 498); every other
    classification config keeps the floor (no ``rounding`` key)."""
    from mmseg_ada.active.schedule import round_budgets
    paths = sorted(
        glob.glob(
            osp.join(REPO, 'configs', '*', '**', '*.py'), recursive=True))
    paths = [
        p for p in paths
        if osp.relpath(p, osp.join(REPO, 'configs')).split(osp.sep)[0] in (
            'lada', 'sdm', 'sage', 'cls_baselines', 'demo')
    ]
    seen = dict(sdm=0, other=0)
    for path in paths:
        cfg = Config.fromfile(path)
        budget = (cfg.get('train_cfg') or {}).get('budget')
        if not budget:
            continue
        rel = osp.relpath(path, REPO)
        if rel.startswith(osp.join('configs', 'sdm')):
            assert dict(budget) == dict(per_round=0.01, rounding='ceil'), rel
            assert round_budgets(795, 5, **budget) == [8] * 5
            assert round_budgets(498, 5, **budget) == [5] * 5
            seen['sdm'] += 1
        else:
            assert 'rounding' not in budget, rel
            seen['other'] += 1
    assert seen['sdm'] == 5 and seen['other'] > 10, seen


def test_sdm_metafile_carries_best_and_final_epoch_numbers():
    """Issue 17 (1b, 1d): the paper's tables are the best of 40 per-epoch
    accuracies; the configs report the final model and compare with the
    official logs' final epoch.  Every row names the readings its config
    builds (loss form, budget rounding, query)."""
    import yaml
    with open(osp.join(REPO, 'configs', 'sdm', 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    by_name = {m['Name']: m for m in meta['Models']}
    expect = {
        'sdm-ag_r50_1xb72-40e_office-home-art-clipart':
        (61.21, 73.08, 60.41, 72.46),
        'sdm-ag_r50_1xb72-40e_office31-amazon-webcam':
        (93.46, 92.02, 92.33, 91.32),
    }
    for name, (bt, bm, ft, fm) in expect.items():
        m = by_name[name]
        met = m['Results'][0]['Metrics']
        assert met['Top 1 Accuracy (best epoch, official log)'] == bt
        assert met[
            'Top 1 Accuracy (best epoch, official logs, benchmark mean)'] == bm
        assert met['Top 1 Accuracy (final epoch)'] == ft
        assert met['Top 1 Accuracy (final epoch, benchmark mean)'] == fm
        # the paper's table rounds the best epoch; the final one is lower
        assert met['Top 1 Accuracy'] == round(bt, 1)
        assert met['Top 1 Accuracy (benchmark mean)'] == round(bm, 1)
        assert 0.5 < bm - fm < 1.2 and 0.5 < bt - ft < 1.2
        assert m['Metadata']['Compare With'] == 'Top 1 Accuracy (final epoch)'
        assert 'final model' in m['Metadata']['Protocol']
    with open(osp.join(REPO, 'configs', 'sdm', 'README.md')) as f:
        readme = f.read()
    for x in ('72.46', '91.32', '92.33', '60.41', 'final'):
        assert x in readme, x
    for m in meta['Models']:
        cfg = Config.fromfile(osp.join(REPO, m['Config']))
        readings = m['Metadata']['Readings']
        loss = cfg.model.head.loss
        for key, value in readings['loss'].items():
            assert loss.get(
                key,
                dict(detach_alpha=True).get(key)) == value, (m['Name'], key)
        assert dict(cfg.train_cfg.budget) == readings['budget']
        strategy = cfg.train_cfg.selector.strategy
        assert strategy.lam == readings['strategy']['lam']
        assert strategy.get('loss', 'margin') == readings['strategy']['loss']
        assert cfg.optim_wrapper.optimizer.lr == readings['optimizer.lr']


def test_sage_docs_say_the_paper_averages_8_seeds():
    """Issue 17 (6): each config is one run; the paper's numbers are over 8
    seeds.  The metafile's readings are the strategy each config builds."""
    import yaml
    folder = osp.join(REPO, 'configs', 'sage')
    with open(osp.join(folder, 'README.md')) as f:
        readme = f.read()
    assert 'averages 8 seeds' in readme and 'one run' in readme
    with open(osp.join(folder, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    for m in meta['Models']:
        assert 'mean of 8 seeds' in m['Metadata']['Protocol']
        strategy = Config.fromfile(osp.join(REPO,
                                            m['Config'])).train_cfg.selector
        strategy = strategy.strategy
        readings = m['Metadata']['Readings']['strategy']
        assert strategy['diversity'] == readings['diversity']
        assert strategy['pop'] == readings['pop']


def test_lada_readings_and_cited_numbers_protocols():
    """Issue 17 (5): VisDA at 10 % halves M (2.5); every LADA row names its
    config's LAS readings (the released code's unlabelled-only graph); every
    cited baseline number says whether it was obtained under the config's
    protocol (AADA: LADA's row is plain fine-tuning, the config trains DANN;
    CONF: SDM's framework)."""
    import yaml
    with open(osp.join(REPO, 'configs', 'lada', 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    for m in meta['Models']:
        cfg = Config.fromfile(osp.join(REPO, m['Config']))
        strategy = cfg.train_cfg.selector.strategy
        readings = m['Metadata']['Readings']
        for key, value in readings['strategy'].items():
            assert strategy.get(key, False) == value, (m['Name'], key)
        assert strategy.neighbours == 'unlabelled'
        assert dict(cfg.train_cfg.budget) == readings['budget']
        expect_m = {0.05: 10, 0.1: 5}[cfg.train_cfg.budget.total]
        if 'visda' in m['Name']:
            expect_m /= 2  # "we reduce the empirical value by a half"
        assert strategy.m == expect_m, m['Name']
        result = m['Results'][0]
        assert isinstance(result['Same Protocol'], bool)
        assert result['Protocol Note']
    folder = osp.join(REPO, 'configs', 'cls_baselines')
    with open(osp.join(folder, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    with open(osp.join(folder, 'README.md')) as f:
        rows = [ln for ln in f.read().splitlines() if ln.startswith('| [')]
    cited = 0
    for m in meta['Models']:
        for result in m.get('Results', []):
            cited += 1
            same = result['Same Protocol']
            differs = m['Name'].startswith(('aada', 'conf'))
            assert same is (not differs), m['Name']
            assert result['Protocol Note'].startswith(
                'differs' if differs else 'same'), m['Name']
            (row, ) = [r for r in rows if f"[{m['Name']}.py]" in r]
            assert ('**differs**' in row) is differs, row
    assert cited == 15
