"""Issue 18: one declaration of what a strategy may require.

``mmseg_ada.active.requirements`` says who serves every name (the model, a
model constant, the engine) and for which unit kinds; the strategies, the
selector, both models and every unit kind use it.  Pixel units pass the
required outputs through, and their figure shows what was bought.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_ada.active.pool import UNIT_KINDS, Selection
from mmseg_ada.active.requirements import (REQUIREMENTS, check_requires,
                                           requirement_names)
from mmseg_ada.active.strategies import BaseStrategy, Entropy
from mmseg_ada.active.strategies.base import (ENGINE_REQUIREMENTS,
                                              MODEL_CONSTANTS)
from mmseg_ada.active.units import PixelUnits, PoolItem
from mmseg_ada.active.units.pixel_units import values_at_pixels
from mmseg_ada.registry import STRATEGIES
from mmseg_ada.visualization import draw_strategy_figure

H, W = 6, 8


def _strategies():
    """Every registered strategy, built with its defaults, plus the
    variants whose ``requires`` depends on the arguments."""
    out = []
    for name, cls in sorted(STRATEGIES.module_dict.items()):
        out.append((name, cls.requires, cls.unit_kinds))
        out.append((name, cls().requires, cls.unit_kinds))
    return out


@pytest.mark.parametrize('name,requires,kinds', _strategies())
def test_declaration_covers_every_builtin_requirement(name, requires, kinds):
    assert requires, name
    for req in requires:
        assert req in REQUIREMENTS, (name, req)
        # a name the strategy's unit kinds can get
        assert set(kinds) & set(REQUIREMENTS[req].kinds), (name, req)
    for kind in kinds:  # what the selector checks when it is built
        check_requires(requires, name, kind)


def test_declaration_table_is_consistent():
    for name, req in REQUIREMENTS.items():
        assert req.name == name and req.description
        assert req.server in ('model', 'constant', 'engine')
        assert set(req.kinds) <= set(UNIT_KINDS)
    # the strategies' and the classifier's views are the table's
    assert ENGINE_REQUIREMENTS == ('source_pool', )
    assert set(MODEL_CONSTANTS) == set(requirement_names('constant'))
    from mmseg_ada.models.classifiers.ada_image_classifier import \
        ADAImageClassifier
    assert ADAImageClassifier.ACTIVE_CONSTANTS == MODEL_CONSTANTS
    # every registered regulariser's selection output is declared
    from mmseg.registry import MODELS

    from mmseg_ada.models.regularizers import BaseClsRegularizer
    for key, cls in MODELS.module_dict.items():
        if isinstance(cls, type) and issubclass(cls, BaseClsRegularizer):
            for out in cls.active_outputs:
                assert 'image' in REQUIREMENTS[out].kinds, (key, out)


def test_docs_table_lists_every_declared_name():
    import os.path as osp
    doc = osp.join(
        osp.dirname(__file__), '..', '..', 'docs', 'strategy_requirements.md')
    with open(doc, encoding='utf-8') as f:
        rows = {
            line.split('|')[1].strip().strip('`'): line.split('|')[2].strip()
            for line in f if line.startswith('| `')
        }
    assert rows == {n: r.server for n, r in REQUIREMENTS.items()}


def test_strategy_splits_its_requires_by_server():

    class Mixed(BaseStrategy):
        requires = ('prob', 'feature', 'classifier_temperature', 'source_pool',
                    'classifier_weight', 'prob')

    s = Mixed()
    assert s.model_requires == ('prob', 'feature')
    assert s.constant_requires == ('classifier_temperature',
                                   'classifier_weight')


def _selector(strategy, units):
    from mmseg_ada.engine.selector import ActiveSelector
    return ActiveSelector(
        strategy=strategy,
        units=units,
        pool_dataloader=dict(dataset=dict(pipeline=[])))


def test_unknown_requirement_is_refused_when_the_selector_is_built():
    name = 'Issue18UnknownRequirement'

    @STRATEGIES.register_module(force=True)
    class Issue18UnknownRequirement(BaseStrategy):
        requires = ('prob', 'edge_map')

    Unknown = Issue18UnknownRequirement

    try:
        with pytest.raises(ValueError) as err:
            _selector(dict(type=name), dict(type='ImageUnits'))
        msg = str(err.value)
        assert f'strategy {name}' in msg and "'edge_map'" in msg
        assert 'known names' in msg
        assert all(repr(k) in msg for k in REQUIREMENTS)
        # a declared name that no model serves for the unit kind
        Unknown.requires = ('prob', 'logits')
        with pytest.raises(ValueError, match="for 'pixel' units"):
            _selector(dict(type=name), dict(type='PixelUnits'))
        # what is declared passes
        Unknown.requires = ('prob', 'aux_prob')
        sel = _selector(dict(type=name), dict(type='PixelUnits'))
        assert sel.strategy.model_requires == ('prob', 'aux_prob')
    finally:
        STRATEGIES.module_dict.pop(name, None)


def test_models_explain_undeclared_or_misplaced_names():
    from mmseg_ada.models.classifiers.ada_image_classifier import \
        ADAImageClassifier
    cls = ADAImageClassifier.__new__(ADAImageClassifier)
    torch.nn.Module.__init__(cls)
    cls.regularizers = torch.nn.ModuleList()
    msg = str(cls._unserved_error(['aux_prob', 'edge_map']))
    assert "'aux_prob' is an output of models for ['region', 'pixel']" in msg
    assert "'edge_map' is not a declared requirement" in msg


class _AuxScore(BaseStrategy):
    """A pixel strategy ranking on the auxiliary head's entropy."""

    requires = ('prob', 'aux_prob', 'feature')

    def pixel_score(self, prob, rng=None):
        return np.ones(prob.shape[1:], np.float64)  # every pixel a candidate

    def score(self, pool):
        aux = pool.extra('aux_prob')
        return -(aux * np.log(aux)).sum(1)


def _maps(seed=0):
    g = torch.Generator().manual_seed(seed)
    prob = torch.rand(3, H // 2, W // 2, generator=g).softmax(0)
    aux = torch.rand(3, H // 2, W // 2, generator=g).mul(4).softmax(0)
    feat = torch.randn(5, H // 3, W // 4, generator=g)
    return prob, aux, feat


def _pixel_pool(units, strategy, outputs, budget):
    items = [PoolItem(0, 'im0', (H, W))]
    units.setup(items)
    return units.collect(items[0], outputs, None, strategy, 1, budget)


@pytest.mark.parametrize('size', [(H, W), (H // 2, W // 2), (4, 3)])
def test_values_at_pixels_match_the_upsampled_map(size):
    m = torch.randn(4, *size, generator=torch.Generator().manual_seed(1))
    pixels = np.array([0, 3, 9, W - 1, H * W - 1, H * W - W, 17])
    full = F.interpolate(
        m[None], size=(H, W), mode='bilinear', align_corners=False)[0]
    ref = full.reshape(4, -1)[:, torch.from_numpy(pixels)].t().numpy()
    np.testing.assert_allclose(
        values_at_pixels(m, pixels, H, W), ref, rtol=1e-5, atol=1e-6)


def test_pixel_units_pass_through_what_was_required():
    """PixelUnits used to drop every output but ``prob``: a pixel strategy
    requiring ``'aux_prob'`` got it thrown away and an error telling it to
    declare what it had declared."""
    prob, aux, feat = _maps()
    strategy = _AuxScore()
    outputs = dict(prob=prob, aux_prob=aux, feature=feat)
    pool = _pixel_pool(PixelUnits(), strategy, outputs, budget=H * W)
    assert len(pool) == H * W and pool.prob is None
    up = F.interpolate(
        aux[None], size=(H, W), mode='bilinear', align_corners=False)[0]
    np.testing.assert_allclose(
        pool.extra('aux_prob'),
        up.reshape(3, -1)[:, torch.from_numpy(pool.unit_id)].t().numpy(),
        rtol=1e-5,
        atol=1e-6)
    upf = F.interpolate(
        feat[None], size=(H, W), mode='bilinear', align_corners=False)[0]
    np.testing.assert_allclose(
        pool.feature,
        upf.reshape(5, -1)[:, torch.from_numpy(pool.unit_id)].t().numpy(),
        rtol=1e-5,
        atol=1e-5)
    # the strategy ranks on it: the 5 most uncertain auxiliary pixels
    sel = strategy.select(pool, 5, 1, image_pixels=np.array([H * W]))
    ent = -(up * up.log()).sum(0).reshape(-1).numpy()
    assert sorted(pool.unit_id[sel.index].tolist()) == sorted(
        np.argsort(-ent)[:5].tolist())
    # the predicted class is still the main head's
    np.testing.assert_array_equal(
        pool.extras['pred_class'],
        F.interpolate(
            prob[None], size=(H, W), mode='bilinear', align_corners=False)
        [0].argmax(0).reshape(-1).numpy()[pool.unit_id])


def test_pixel_units_without_extras_are_unchanged():
    prob, _, _ = _maps(2)
    entropy = Entropy()
    pool = _pixel_pool(PixelUnits(), entropy, dict(prob=prob), budget=10)
    assert pool.feature is None and set(pool.extras) == {'pred_class'}
    kept = _pixel_pool(
        PixelUnits(keep_prob=True), entropy, dict(prob=prob), budget=10)
    np.testing.assert_array_equal(pool.unit_id, kept.unit_id)
    np.testing.assert_array_equal(pool.stats['score'], kept.stats['score'])


@pytest.mark.parametrize('keep_prob', [False, True])
def test_pixel_figure_shows_what_was_bought(tmp_path, monkeypatch, keep_prob):
    """Without ``keep_prob`` the pixel figure said 'nothing bought' under a
    title saying 10 were."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    drawn = dict(text=[], bars=[], title=[])
    bar, text, suptitle = Axes.bar, Axes.text, Figure.suptitle

    def spy_bar(ax, x, height, *a, **k):
        drawn['bars'].append(np.asarray(height).tolist())
        return bar(ax, x, height, *a, **k)

    def spy_text(ax, x, y, s, *a, **k):
        drawn['text'].append(s)
        return text(ax, x, y, s, *a, **k)

    def spy_title(fig, t, *a, **k):
        drawn['title'].append(t)
        return suptitle(fig, t, *a, **k)

    monkeypatch.setattr(Axes, 'bar', spy_bar)
    monkeypatch.setattr(Axes, 'text', spy_text)
    monkeypatch.setattr(Figure, 'suptitle', spy_title)
    prob, _, _ = _maps(3)
    entropy = Entropy()
    pool = _pixel_pool(
        PixelUnits(keep_prob=keep_prob), entropy, dict(prob=prob), budget=10)
    sel = entropy.select(pool, 10, 1, image_pixels=np.array([H * W]))
    assert sel.index.size == 10
    out = tmp_path / 'fig.png'
    draw_strategy_figure(entropy, sel, pool, str(out), ['road', 'car', 'sky'])
    assert out.is_file()
    assert drawn['title'] == ['Entropy: 10 pixels, 10 spent']
    assert 'nothing bought' not in drawn['text']
    want = np.bincount(pool.extras['pred_class'][sel.index], minlength=3)
    assert drawn['bars'] == [want.tolist(), want.astype(float).tolist()]


def test_figure_without_any_class_says_what_was_bought(tmp_path, monkeypatch):
    from mmseg_ada.active.pool import UnitPool
    pool = UnitPool(
        image_index=np.zeros(4, np.int64),
        unit_id=np.arange(4),
        cost=np.ones(4, np.int64),
        kind='pixel')
    texts = []
    from matplotlib.axes import Axes
    text = Axes.text

    def spy_text(ax, x, y, s, *a, **k):
        texts.append(s)
        return text(ax, x, y, s, *a, **k)

    monkeypatch.setattr(Axes, 'text', spy_text)
    sel = Selection(np.arange(3), dict(spent=3))
    draw_strategy_figure(Entropy(), sel, pool, str(tmp_path / 'a.png'))
    assert texts and all(t.startswith('3 bought') for t in texts)
    draw_strategy_figure(Entropy(), Selection.empty(), pool,
                         str(tmp_path / 'b.png'))
    assert texts[-1] == 'nothing bought'


@pytest.mark.parametrize('model_path,key', [
    ('mmseg_ada.models.segmentors.ada_encoder_decoder.ADAEncoderDecoder',
     'model.discriminator'),
    ('mmseg_ada.models.classifiers.ada_image_classifier.ADAImageClassifier',
     'model.regularizers'),
])
def test_refusal_names_the_model_key_that_serves_it(model_path, key):
    """Issue 16: the selector's refusal of AADA said "change the model
    (e.g. its regularisers)" also for segmentors, which take
    model.discriminator: it names the key of the model at hand."""
    import importlib
    from types import SimpleNamespace
    module, name = model_path.rsplit('.', 1)
    model_cls = getattr(importlib.import_module(module), name)

    class Model:
        ACTIVE_CONFIG_KEYS = model_cls.ACTIVE_CONFIG_KEYS

        def check_active_requires(self, requires):
            raise KeyError(f'it cannot serve {list(requires)}')

    units = 'RegionUnits' if 'segmentors' in module else 'ImageUnits'
    sel = _selector(
        dict(type='RegionAADA' if units == 'RegionUnits' else 'AADA'),
        dict(type=units, cache='nowhere') if units == 'RegionUnits' else dict(
            type=units))
    sel.runner = SimpleNamespace(model=Model())
    with pytest.raises(ValueError) as err:
        sel.check_requirements()
    msg = str(err.value)
    assert 'AADA (train_cfg' in msg and f'change the model (e.g. {key}' in msg
    other = ('model.regularizers'
             if key == 'model.discriminator' else 'model.discriminator')
    assert other not in msg and 'regularisers' not in msg
