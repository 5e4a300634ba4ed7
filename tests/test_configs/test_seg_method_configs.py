"""The segmentation method configs' docs agree with the configs: every
ADeADA config's ``metafile.yml`` entry states the readings of the paper it
uses (``Metadata: Readings``, the strategy's arguments where the paper is
open), and they are what the config builds."""
import inspect
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from mmseg_ada.active.strategies.adeada import ADeADA
from tests.utils import REPO

CONFIG_ROOT = Path(REPO) / 'configs'
ADEADA = CONFIG_ROOT / 'adeada'


def _meta(folder: Path) -> dict:
    with open(folder / 'metafile.yml') as f:
        return yaml.safe_load(f)


def _defaults(cls) -> dict:
    return {
        k: v.default
        for k, v in inspect.signature(cls).parameters.items()
        if v.default is not inspect.Parameter.empty
    }


ADEADA_MODELS = _meta(ADEADA)['Models']


def test_adeada_metafile_lists_every_config():
    present = {str(p.relative_to(REPO)) for p in ADEADA.rglob('*.py')}
    assert {m['Config'] for m in ADEADA_MODELS} == present


@pytest.mark.parametrize(
    'model', ADEADA_MODELS, ids=[m['Name'] for m in ADEADA_MODELS])
def test_adeada_readings_are_what_the_config_builds(model):
    readings = model['Metadata']['Readings']
    cfg = Config.fromfile(str(Path(REPO) / model['Config']))
    strategy = dict(_defaults(ADeADA))
    strategy.update(cfg.train_cfg.selector.strategy)
    assert strategy['type'] == 'ADeADA'
    # the points where the paper is open are all stated
    want = {
        'sigma', 'policy', 'alpha', 'beta', 'category_balance', 'kl_regions',
        'components'
    }
    if strategy['policy'] == 'linear':
        want.add('linear_step')
    assert set(readings) == want
    for key, value in readings.items():
        assert strategy[key] == value, (key, strategy[key], value)
    # the released code's sigma everywhere (Eq. 6)
    assert readings['sigma'] == 'log10'


BASELINES = CONFIG_ROOT / 'active_baselines'
#: Figure 3's region baselines added for segmentation -> strategy type
REGION_TYPES = dict(
    badge='RegionBADGE', clue='RegionCLUE', aada='RegionAADA', redal='ReDAL')
#: supplement Tables 6 (GTA5) and 7 (SYNTHIA, 16 classes): 1% and 5%
FIG3 = {
    ('badge', 'gta5'): (62.67, 70.50),
    ('redal', 'gta5'): (61.97, 68.30),
    ('aada', 'gta5'): (55.84, 66.01),
    ('clue', 'gta5'): (60.13, 67.13),
    ('badge', 'synthia'): (61.64, 71.08),
    ('redal', 'synthia'): (61.08, 71.01),
    ('aada', 'synthia'): (54.16, 67.03),
    ('clue', 'synthia'): (60.17, 68.37),
}


def test_region_baselines_have_gta5_and_synthia_configs_docs_and_numbers():
    meta = {m['Name']: m for m in _meta(BASELINES)['Models']}
    present = {p.stem for p in BASELINES.glob('*.py')}
    assert set(meta) == present
    readme = (BASELINES / 'README.md').read_text()
    for (method, src), (one, five) in FIG3.items():
        name = (f'{method}_deeplabv3plus-r101-d8_1xb2-5x10k_{src}-'
                'cityscapes-512x1024')
        assert name in present, name
        cfg = Config.fromfile(str(BASELINES / f'{name}.py'))
        strategy = cfg.train_cfg.selector.strategy
        assert strategy['type'] == REGION_TYPES[method]
        assert cfg.train_cfg.selector.units['type'] == 'RegionUnits'
        assert cfg.train_cfg.num_rounds == 5
        # AADA's 'domain': the warm-up's discriminator, loaded with it
        assert ('discriminator' in cfg.model) == (method == 'aada')
        assert cfg.load_from.startswith('work_dirs/adaptseg_deeplabv3plus')
        assert src in cfg.load_from
        entry = meta[name]
        assert entry['Results'][0]['Metrics'] == {'mIoU': five, 'mIoU@1%': one}
        assert entry['Metadata']['Readings'], name
        (row, ) = [ln for ln in readme.splitlines() if f'({name}.py)' in ln]
        assert f'{one:.2f}' in row and f'{five:.2f}' in row
    # the readings the README's table states are the strategies' defaults
    from mmseg_ada.active.strategies import ReDAL, RegionAADA, RegionCLUE
    redal = _defaults(ReDAL)
    assert (redal['alpha'], redal['beta'], redal['gamma'],
            redal['num_clusters'], redal['decay_rate']) == (1.0, 0.1, 0.05,
                                                            400, 0.95)
    assert _defaults(RegionCLUE)['temperature'] == 1.0
    assert _defaults(RegionAADA)['score'] == 'entropy_weight'
