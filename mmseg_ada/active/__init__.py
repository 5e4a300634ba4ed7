"""The active-learning core: pure algorithms on arrays and tensors.

Units and pools (:mod:`.pool`), budgets (:mod:`.schedule`), label stores
(:mod:`.stores`), oracles (:mod:`.oracles`), unit kinds (:mod:`.units`),
the decisions of online purchases (:mod:`.online`; the engine runs them
across ranks and writes their log), regions (:mod:`.regions`) and their
cache (:mod:`.region_cache`), pooling, the strategies (:mod:`.strategies`),
the math they share (:mod:`.functional`) and ADeADA's budgets, densities
and GMM (:mod:`.adeada`).  Nothing here imports another package of
``mmseg_ada`` except :mod:`mmseg_ada.registry` and :mod:`mmseg_ada.utils`,
and nothing here draws: the figures are :mod:`mmseg_ada.visualization`'s
(``tests/test_active/test_no_drawing.py`` checks it).
"""
from . import oracles, stores, strategies, units  # noqa: F401
from .pool import UNIT_KINDS, Selection, UnitPool, take_within_budget
from .schedule import RoundSchedule, round_budgets
from .stores import (BaseLabelStore, ImageLabelStore, MaskLabelStore,
                     StoreLockedError)
from .strategies import BaseStrategy

__all__ = [
    'UNIT_KINDS', 'UnitPool', 'Selection', 'take_within_budget',
    'RoundSchedule', 'round_budgets', 'BaseLabelStore', 'MaskLabelStore',
    'ImageLabelStore', 'StoreLockedError', 'BaseStrategy'
]
