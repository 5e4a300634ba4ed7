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
