"""The ADA-MCU paper configs (``configs/ada_mcu``): names and numbers, the
paper's protocol, the ablation rows, the docs, and one run of the real
pipeline.

Every config here is also built on miniature data by
``test_configs_build.py`` (which discovers every config under
``configs/``); ``test_every_config_is_built_by_the_build_test`` makes sure
these are among them.
"""
import copy
import glob
import inspect
import json
import math
import os
import os.path as osp
import re
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from mmseg_ada.models.segmentors import MCU_ABLATIONS
from tests.test_configs import test_configs_build as build_test
from tests.utils import PYTHON, REPO, run_tool

CONFIG_ROOT = Path(REPO) / 'configs'
MCU_ROOT = CONFIG_ROOT / 'ada_mcu'
MAIN = sorted(MCU_ROOT.glob('*.py'))
ABLATIONS = sorted((MCU_ROOT / 'ablations').glob('*.py'))
ALL = MAIN + ABLATIONS
IDS = [str(p.relative_to(CONFIG_ROOT)) for p in ALL]

#: Cityscapes train: 2975 images, bought on the 1024x512 training grid
CITYSCAPES_TRAIN = 2975
TARGET_TRAIN_PIXELS = CITYSCAPES_TRAIN * 1024 * 512

#: The paper's numbers beside every config (Tables I, II, IV, VI).
_V2_GTA = 'ada-mcu_deeplabv2-r101_1xb2-60k_gta5-cityscapes-512x1024'
_V2_SYN = 'ada-mcu_deeplabv2-r101_1xb2-60k_synthia-cityscapes-512x1024'
_V3_GTA = 'ada-mcu_deeplabv3plus-r101-d8_1xb2-60k_gta5-cityscapes-512x1024'
PAPER = {
    f'{_V2_GTA}_1.7pct': dict(mIoU=58.7),
    f'{_V2_GTA}_3.4pct': dict(mIoU=61.6),
    f'{_V2_GTA}_6.8pct': dict(mIoU=63.9),
    f'{_V2_GTA}_16.8pct': dict(mIoU=65.8),
    f'{_V2_SYN}_1.7pct': dict(mIoU13=66.2),
    f'{_V2_SYN}_3.4pct': dict(mIoU13=69.1),
    f'{_V2_SYN}_6.8pct': dict(mIoU13=70.6),
    f'{_V2_SYN}_16.8pct': dict(mIoU13=73.1),
    f'{_V3_GTA}_5pct': dict(mIoU=66.5),
    f'{_V2_GTA}_20pct': dict(mIoU=66.7),
    f'{_V2_GTA}_20pct_al-wo-as': dict(mIoU=43.2),
    f'{_V2_GTA}_20pct_al-w-as': dict(mIoU=64.3),
    f'{_V2_GTA}_20pct_al-w-mcu-i': dict(mIoU=65.5),
    f'{_V2_GTA}_20pct_al-w-mcu-d': dict(mIoU=66.1),
    f'{_V2_GTA}_20pct_al-w-p2p': dict(mIoU=65.4),
}
#: ablation name suffix -> its row in MCU_ABLATIONS
ROWS = {
    'al-wo-as': 'al_wo_as',
    'al-w-as': 'al_w_as',
    'al-w-mcu-i': 'al_w_mcu_i',
    'al-w-mcu-d': 'al_w_mcu_d',
    'al-w-p2p': 'al_w_p2p',
}
ABLATION_MAIN = MCU_ROOT / 'ablations' / f'{_V2_GTA}_20pct.py'

NAME = re.compile(
    r'^ada-mcu_(?P<arch>deeplabv2-r101|deeplabv3plus-r101-d8)_1xb2-'
    r'(?P<iters>\d+)k_(?P<source>gta5|synthia)-cityscapes-512x1024_'
    r'(?P<pct>\d+(?:\.\d+)?)pct(?:_(?P<row>[a-z0-9-]+))?$')
HEADS = {
    'deeplabv2-r101': 'DeepLabV2Head',
    'deeplabv3plus-r101-d8': 'DepthwiseSeparableASPPFeatHead'
}
SOURCES = {'gta5': 'GTA5Dataset', 'synthia': 'SynthiaDataset'}


def _load(path) -> Config:
    return Config.fromfile(str(path))


def _merge(base, over):
    """``over`` merged into ``base`` as mmengine merges a child config."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _types(pipeline):
    return [t['type'] for t in pipeline]


# ------------------------------------------------------ names and numbers
def test_every_config_has_its_paper_number():
    assert {p.stem for p in ALL} == set(PAPER)
    assert {p.stem
            for p in ABLATIONS
            } == {f'{_V2_GTA}_20pct'} | {f'{_V2_GTA}_20pct_{s}'
                                         for s in ROWS}


def test_every_config_is_built_by_the_build_test():
    built = set(build_test.IDS)
    for rel in IDS:
        assert rel in built, rel
        assert rel not in build_test.NEEDS_EXTERNAL_DATA, rel


@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_name_matches_config(path):
    m = NAME.match(path.stem)
    assert m, f'{path.stem} does not follow the naming scheme'
    cfg = _load(path)
    # the budget of the name is the budget bought
    fraction = float(m['pct']) / 100
    assert cfg.budget_fraction == pytest.approx(fraction, abs=1e-12)
    assert cfg.target_train_pixels == TARGET_TRAIN_PIXELS
    # counted on the 1024x512 grid the online pipeline samples from
    assert cfg.train_cfg.online.budget == pytest.approx(fraction, abs=1e-12)
    assert tuple(cfg.train_cfg.online.resolution) == (512, 1024)
    # iterations, model, source, metric
    assert cfg.train_cfg.max_iters == int(m['iters']) * 1000
    assert cfg.model.decode_head.type == HEADS[m['arch']]
    assert cfg.train_dataloader.dataset.source.type == SOURCES[m['source']]
    metric = 'mIoU13' if m['source'] == 'synthia' else 'mIoU'
    assert metric in PAPER[path.stem]
    hooks = [h for h in cfg.custom_hooks if h['type'] == 'RoundMetricHook']
    assert [h['metric'] for h in hooks] == [metric]
    want = 'SynthiaIoUMetric' if m['source'] == 'synthia' else 'IoUMetric'
    assert cfg.val_evaluator.type == want == cfg.test_evaluator.type
    # the warm-up: the ADVENT config of the same model and source
    advent = f"advent_{m['arch']}_1xb2-100k_{m['source']}-cityscapes-512x1024"
    assert (CONFIG_ROOT / 'advent' / f'{advent}.py').is_file()
    assert _load(CONFIG_ROOT / 'advent' / f'{advent}.py').train_cfg.max_iters \
        == 100000
    assert cfg.load_from == f'work_dirs/{advent}/iter_100000.pth'
    # ablations sit in ablations/ and name their row
    assert (m['row'] is not None) == (
        path.stem in {f'{_V2_GTA}_20pct_{s}'
                      for s in ROWS})


# --------------------------------------------------------- the protocol
@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_paper_protocol(path):
    """Sec. IV-B: SGD 2.5e-4, momentum 0.9, weight decay 1e-4, poly 0.9,
    2 source + 2 target images; the target unlabelled, bought online."""
    cfg = _load(path)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == \
        ('SGD', 2.5e-4, 0.9, 1e-4)
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys.decode_head.lr_mult == 10. == keys.auxiliary_head.lr_mult
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min, poly.begin, poly.end,
            poly.by_epoch) == ('PolyLR', 0.9, 0., 0, cfg.train_cfg.max_iters,
                               False)
    loop = cfg.train_cfg
    assert loop.type == 'ActiveLoop' and not loop.get('num_rounds')
    # the last iteration is validated (ActiveLoop validates multiples of
    # val_interval) and checkpointed
    assert loop.max_iters % loop.val_interval == 0
    ckpt = cfg.default_hooks.checkpoint
    assert not ckpt.by_epoch and loop.max_iters % ckpt.interval == 0
    # data: 2 + 2, reseeded sampler, unlabelled target with pixel index
    loader = cfg.train_dataloader
    assert loader.batch_size == 2
    assert loader.sampler.type == 'RoundInfiniteSampler'
    assert loader.collate_fn.type == 'multi_stream_collate'
    assert loader.dataset.type == 'SourceTargetDataset'
    target = loader.dataset.target
    assert target.type == 'UnlabeledDataset'
    city = target.dataset
    assert city.type == 'CityscapesDataset'
    # the oracle reads bought labels from here
    assert city.data_prefix == dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train')
    types = _types(city.pipeline)
    assert types[:2] == ['LoadImageFromFile', 'AddPixelIndex']
    assert types[-1] == 'PackPixelIndex'
    assert 'LoadAnnotations' not in types
    (resize, ) = [t for t in city.pipeline if 'Resize' in t['type']]
    # a fixed resize: every visit sees the same grid of original pixels
    assert resize.type == 'Resize' and tuple(resize.scale) == (1024, 512)
    (crop, ) = [t for t in city.pipeline if t['type'] == 'RandomCrop']
    assert crop.cat_max_ratio == 1.0 and tuple(crop.crop_size) == (512, 1024)
    source = loader.dataset.source
    assert 'LoadAnnotations' in _types(source.pipeline)
    for name in ('val', 'test'):
        ds = cfg[f'{name}_dataloader'].dataset
        assert ds.type == 'CityscapesDataset'
        assert ds.data_prefix == dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val')
    # the model
    model = cfg.model
    assert model.type == 'MCUEncoderDecoder'
    assert model.gamma == 0.5
    assert model.get('auxiliary_head') is not None  # p_hat of Eq. 3
    assert tuple(model.data_preprocessor.size) == (512, 1024)
    sampler = model.sampler
    assert (sampler.type, sampler.decay_rate, sampler.decay) == \
        ('MCUAdaptiveSampler', 0.9, 'epoch')
    # one decay period = one pass over the target set, 2 images/iteration
    assert cfg.cityscapes_train_images == CITYSCAPES_TRAIN
    assert sampler.epoch_length == math.ceil(CITYSCAPES_TRAIN /
                                             loader.batch_size)
    # frozen backbone BN, as the warm-up it loads
    assert model.backbone.norm_cfg.requires_grad is False
    assert model.backbone.norm_eval is True


@pytest.mark.parametrize(
    'path', MAIN, ids=[str(p.relative_to(CONFIG_ROOT)) for p in MAIN])
def test_main_configs_are_the_full_model(path):
    """Tables I, II, IV: every component on, with its defaults."""
    model = _load(path).model
    assert model.contrastive == dict(type='MCUContrastiveLoss')
    assert model.dccm == dict(type='DCCM')
    assert 'pseudo' not in model.sampler
    assert 'medium_phase' not in model.sampler


def test_main_configs_differ_only_in_budget_and_benchmark():
    """Same schedule and model settings at every budget of a table."""
    groups = {}
    for path in MAIN:
        m = NAME.match(path.stem)
        groups.setdefault((m['arch'], m['source']), []).append(path)
    assert sorted(len(v) for v in groups.values()) == [1, 4, 4]
    for paths in groups.values():
        ref = _load(paths[0]).to_dict()
        for path in paths[1:]:
            cfg = _load(path).to_dict()
            diff = {
                k
                for k in ref.keys() | cfg.keys() if ref.get(k) != cfg.get(k)
            }
            assert diff == {'budget_fraction', 'train_cfg'}, (path, diff)
            ref_loop = dict(ref['train_cfg'], online=None)
            assert dict(cfg['train_cfg'], online=None) == ref_loop


# --------------------------------------------------------- the ablations
def test_every_ablation_row_has_a_config():
    assert set(ROWS.values()) == set(MCU_ABLATIONS) - {'full'}
    assert MCU_ABLATIONS['full'] == {}
    assert ABLATION_MAIN.is_file()


@pytest.mark.parametrize('suffix', sorted(ROWS))
def test_ablation_differs_only_in_its_row(suffix):
    """Tables V/VI: the 20 % full model with the model keys of one row."""
    main = _load(ABLATION_MAIN).to_dict()
    path = MCU_ROOT / 'ablations' / f'{_V2_GTA}_20pct_{suffix}.py'
    cfg = _load(path).to_dict()
    assert cfg.keys() == main.keys()
    for key in main:
        if key != 'model':
            assert cfg[key] == main[key], key
    row = MCU_ABLATIONS[ROWS[suffix]]
    assert cfg['model'] == _merge(main['model'], row)
    assert cfg['model'] != main['model']


# ---------------------------------------------------------------- docs
def _metafile():
    with open(MCU_ROOT / 'metafile.yml') as f:
        return yaml.safe_load(f)


def test_metafile_lists_every_config_with_its_numbers():
    meta = _metafile()
    (collection, ) = meta['Collections']
    assert collection['Name'] == 'ADA-MCU'
    assert collection['README'] == 'configs/ada_mcu/README.md'
    models = {m['Name']: m for m in meta['Models']}
    assert len(models) == len(meta['Models'])  # no duplicate
    assert set(models) == set(PAPER)
    for path in ALL:
        entry = models[path.stem]
        assert entry['In Collection'] == 'ADA-MCU'
        assert entry['Config'] == str(path.relative_to(REPO))
        (result, ) = entry['Results']
        assert result['Dataset'].startswith('Cityscapes')
        assert result['Metrics'] == PAPER[path.stem], path.stem
        budget = f"{NAME.match(path.stem)['pct']}%"
        assert budget in entry['Metadata']['Training Data'], path.stem
        assert entry['Reproduced'] is False


def _defaults(cls) -> dict:
    return {
        k: v.default
        for k, v in inspect.signature(cls).parameters.items()
        if v.default is not inspect.Parameter.empty
    }


def _readings(cfg: Config) -> dict:
    """The readings of the paper a config builds, as the metafile states
    them (``Metadata: Readings``): constructor arguments where the paper is
    open, the classes' defaults filled in; ``'none'`` for a part the config
    switches off."""
    from mmseg_ada.models.losses.dccm import DCCM
    from mmseg_ada.models.losses.mcu_contrastive_loss import MCUContrastiveLoss
    from mmseg_ada.models.segmentors.mcu_encoder_decoder import \
        MCUEncoderDecoder
    from mmseg_ada.models.utils.mcu_adaptive_sampler import MCUAdaptiveSampler
    seg = _defaults(MCUEncoderDecoder)
    seg.update(cfg.model)
    sampler = _defaults(MCUAdaptiveSampler)
    sampler.update(cfg.model.get('sampler') or {})
    out = {
        f'sampler.{k}': sampler[k]
        for k in ('decay', 'epoch_length', 'init_high_fraction',
                  'pseudo_start', 'pseudo', 'pseudo_ratio', 'medium_phase')
    }
    out.update(
        pseudo_label=seg['pseudo_label'], seg_reduction=seg['seg_reduction'])
    if seg['contrastive'] is None:
        out.update(contrastive='none', dccm='none')
        return out
    con = _defaults(MCUContrastiveLoss)
    con.update(seg['contrastive'])
    for k in ('normalize', 'max_anchors_per_class', 'max_samples_per_class'):
        out[f'contrastive.{k}'] = con[k]
    if seg['dccm'] is None:
        out['dccm'] = 'none'
    else:
        dccm = _defaults(DCCM)
        dccm.update(seg['dccm'])
        out['dccm.pairing'] = dccm['pairing']
    return out


@pytest.mark.parametrize('path', ALL, ids=IDS)
def test_metafile_states_the_readings_each_config_builds(path):
    """Where the paper is open (the decay period, when and how many
    pseudo-labels, hard or soft targets, loss means, embeddings, caps, the
    DCCM weight), the metafile says which reading the config uses, and it
    is the one it builds; README's "Readings" table says the same."""
    entry = {m['Name']: m for m in _metafile()['Models']}[path.stem]
    assert entry['Metadata']['Readings'] == _readings(_load(path))
    readings = entry['Metadata']['Readings']
    # the defaults the README's table states for every config
    assert readings['sampler.decay'] == 'epoch'
    assert readings['sampler.epoch_length'] == math.ceil(CITYSCAPES_TRAIN / 2)
    assert readings['sampler.pseudo_start'] == 'spent'
    text = (MCU_ROOT / 'README.md').read_text()
    assert "`sampler.decay='epoch'`" in text
    assert "`sampler.pseudo_start='spent'`" in text


def test_readme_lists_every_config_with_its_numbers():
    text = (MCU_ROOT / 'README.md').read_text()
    rows = [ln for ln in text.splitlines() if ln.startswith('|')]
    for path in ALL:
        rel = str(path.relative_to(MCU_ROOT))
        hits = [ln for ln in rows if f'({rel})' in ln]
        assert len(hits) == 1, f'{rel}: {len(hits)} table rows'
        cells = [c.strip() for c in hits[0].strip('|').split('|')]
        (number, ) = PAPER[path.stem].values()
        assert f'{number:.1f}' in cells, (rel, cells)
        pct = NAME.match(path.stem)['pct']
        assert f'{pct}%' in cells or f'{pct} %' in cells, (rel, cells)


# ------------------------------------------------------ one run, end to end
@pytest.fixture(scope='module')
def mcu_project(synthetic_da, tmp_path_factory):
    """A working dir whose data/gta5 and data/cityscapes are the miniature
    pair (the configs' own data roots)."""
    proj = tmp_path_factory.mktemp('mcu_project')
    os.makedirs(proj / 'data')
    for name in ('gta5', 'cityscapes'):
        os.symlink(osp.join(synthetic_da, name), proj / 'data' / name)
    return proj


@pytest.mark.slow
def test_main_config_trains_through_the_engine(mcu_project):
    """The GTA5 1.7 % config itself (its pipelines, loop, sampler, units and
    hooks) runs one iteration and a validation through tools/train.py on
    the miniature pair, with a narrow ResNet-18 instead of the ResNet-101
    (CPU time), no warm-up, and a budget the 6 tiny images can hold."""
    cfg_path = mcu_project / 'smoke.py'
    cfg_path.write_text(f"""
_base_ = [{str(MCU_ROOT / (_V2_GTA + '_1.7pct.py'))!r}]
load_from = None
bn = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),
    decode_head=dict(in_channels=128, channels=16, norm_cfg=bn),
    auxiliary_head=dict(in_channels=64),
    sampler=dict(epoch_length=3))
train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
# the miniature images are 64x128: count them at full resolution
train_cfg = dict(max_iters=1, val_interval=1,
                 online=dict(budget=0.05, resolution=None))
param_scheduler = [dict(type='PolyLR', eta_min=0., power=0.9, begin=0,
                        end=1, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1),
    visualization=dict(type='SegVisualizationHook', draw=False))
""")
    work = str(mcu_project / 'work_dirs' / 'smoke')
    proc = run_tool([
        PYTHON,
        osp.join(REPO, 'tools', 'train.py'),
        str(cfg_path), '--work-dir', work
    ],
                    cwd=mcu_project)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    out = proc.stdout + proc.stderr
    for key in ('loss_src', 'loss_tgt', 'loss_pseudo', 'loss_aux_src',
                'loss_con_cross_domain_p2p', 'acq_bought_frac', 'mcu_pi_high'):
        assert key + ':' in out, key
    with open(osp.join(work, 'active', 'evals.json')) as f:
        (row, ) = json.load(f)
    assert row['score_name'] == 'mIoU' and row['evaluated_at_iter'] == 1
    assert 0 < row['labeled'] <= int(0.05 * 6 * 64 * 128)
    with open(osp.join(work, 'active', 'online.jsonl')) as f:
        assert sum(json.loads(ln)['spent'] for ln in f) == row['labeled']
    # the acquisition figure of iteration 0 (model.vis_interval)
    assert glob.glob(
        osp.join(work, '*', 'vis_data', 'mcu_acquisition',
                 'mcu_acquisition_0000000.png'))
