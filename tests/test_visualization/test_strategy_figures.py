"""The strategy round figure is chosen by the strategy's ``figure``."""
import numpy as np
import pytest

import mmseg_ada  # noqa: F401  (registers the strategies)
from mmseg_ada.active.pool import Selection, UnitPool
from mmseg_ada.active.strategies import ADeADA, CoreSet, Entropy
from mmseg_ada.visualization import (STRATEGY_FIGURES, draw_strategy_figure,
                                     register_strategy_figure)


def test_every_builtin_figure_name_has_a_drawer():
    from mmseg_ada.active import strategies
    for name in strategies.__all__:
        cls = getattr(strategies, name)
        if isinstance(cls, type):
            assert cls.figure in STRATEGY_FIGURES, (name, cls.figure)
    assert ADeADA.figure == 'adeada' and CoreSet.figure == 'embedding'
    assert Entropy.figure == 'classes'


def _spy(monkeypatch, name):
    calls = []
    monkeypatch.setitem(STRATEGY_FIGURES, name, lambda *a: calls.append(a))
    return calls


def test_dispatch_by_the_figure_attribute(monkeypatch):
    pool = UnitPool(
        image_index=np.arange(3),
        unit_id=np.zeros(3),
        cost=np.ones(3, np.int64),
        kind='image')
    sel = Selection(np.arange(2), dict(spent=2))
    for strategy, name in ((Entropy(), 'classes'), (ADeADA(), 'adeada'),
                           (CoreSet(), 'embedding')):
        calls = _spy(monkeypatch, name)
        draw_strategy_figure(strategy, sel, pool, 'x.png', ['a'])
        assert calls == [(strategy, sel, pool, 'x.png', ['a'])]


def test_embedding_figure_falls_back_without_features(tmp_path, monkeypatch):
    calls = _spy(monkeypatch, 'classes')
    from mmseg_ada.visualization import embedding
    monkeypatch.setattr(embedding, 'draw_class_figure',
                        lambda *a: calls.append(a))
    pool = UnitPool(
        image_index=np.arange(3),
        unit_id=np.zeros(3),
        cost=np.ones(3, np.int64),
        kind='image')
    sel = Selection(np.arange(1), dict(spent=1))
    draw_strategy_figure(CoreSet(), sel, pool, str(tmp_path / 'a.png'))
    assert len(calls) == 1


def test_unknown_figure_and_duplicate_registration():

    class Odd(Entropy):
        figure = 'no-such-figure'

    with pytest.raises(KeyError, match='no such strategy figure'):
        draw_strategy_figure(Odd(), Selection.empty(), None, 'x.png')
    with pytest.raises(KeyError, match='registered already'):
        register_strategy_figure('classes')(lambda *a: None)
