"""Base of the strategies that pick units on an embedding of the pool."""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np

from ..functional import check_budget
from ..pool import Selection, UnitPool
from .base import BaseStrategy

__all__ = ['EmbeddingStrategy', 'Picked', 'check_first']

#: What :meth:`EmbeddingStrategy.pick` returns: the bought rows of the
#: pool, in pick order, and the facts of the round report.
Picked = Tuple[np.ndarray, Dict[str, Any]]


def check_first(first: str, who: str) -> str:
    """``first`` if it names how seeding starts (``'max_norm'``: the
    largest embedding, ``'random'``: a seeded draw), else a ValueError
    naming the strategy ``who``."""
    if first not in ('max_norm', 'random'):
        raise ValueError(f"{who}: first must be 'max_norm' or 'random', "
                         f'got {first!r}')
    return first


class EmbeddingStrategy(BaseStrategy):
    """A strategy that picks images on an embedding (BADGE, CLUE, Core-Set,
    LAS, SAGE; the region variants of BADGE and CLUE pick regions).

    The default :meth:`select` (LAS and SAGE have their own) validates the
    budget and the unit kind, takes the candidates (``cost > 0``) and the
    number ``k`` of them the budget buys at one unit each, and buys what
    :meth:`pick` returns; the report's ``info`` starts with ``spent`` and
    ``num_candidates``.  The round figure is a PCA of ``pool.feature`` with
    the picks.
    """

    unit_kinds = ('image', )
    figure = 'embedding'

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Buy what :meth:`pick` picks among the candidates.

        Returns:
            Selection: the picks; ``info`` has the money spent, the number
            of candidates and the facts of :meth:`pick`.
        """
        budget = check_budget(budget)
        cand, k = self.candidates(pool, budget)
        if k == 0:
            return Selection.empty()
        index, info = self.pick(pool, cand, k, budget, round_idx)
        return Selection.bought(
            pool, index, num_candidates=int(cand.size), **info)

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """The rows to buy, within ``budget``, and the facts of the pick.

        Args:
            pool: the pool.
            cand: its candidate rows (``cost > 0``), ``k >= 1`` of them.
            k: ``min(budget, len(cand))``.
            budget: what may be spent.
            round_idx: the round (seeds the generators).

        Returns:
            tuple: ``int64`` rows of ``pool`` in pick order and a dict.
        """
        raise NotImplementedError
