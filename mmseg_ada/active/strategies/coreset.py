"""Core-Set: greedy k-centre on the embedding (Sener & Savarese, ICLR 2018).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import (DenseSqDist, describe, farthest_first, l2_normalize,
                          min_sq_dist)
from ..pool import UnitPool, take_within_budget
from ._embedding import EmbeddingStrategy, Picked

__all__ = ['CoreSet']


@STRATEGIES.register_module()
class CoreSet(EmbeddingStrategy):
    """Core-Set's greedy k-centre selection on image embeddings.

    The labelled rows of the pool (``cost == 0``) are the initial centres;
    each step buys the unlabelled image farthest (Euclidean, on
    ``pool.feature``) from its nearest centre, then makes it a centre (the
    greedy 2-approximation of Sener & Savarese, Alg. 1, as LADA's
    ``furthest_first``).  With no labelled row yet, the first centre is a
    seeded random candidate (the reference code takes row 0).

    The traversal is exact but lazy
    (:func:`~mmseg_ada.active.functional.farthest_first`): no ``N x N``
    matrix, and one pass over the embedding per 32 picks.

    Args:
        seed: seed of the first pick when nothing is labelled.
        normalize: L2-normalise the embeddings first (default ``False``,
            as the reference code).
    """

    requires = ('prob', 'feature')

    def __init__(self,
                 seed: int = 0,
                 normalize: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.normalize = bool(normalize)

    def _feature(self, pool: UnitPool) -> np.ndarray:
        if pool.feature is None:
            raise ValueError(f'{type(self).__name__} needs pool.feature '
                             "(declare 'feature' in requires)")
        f = np.asarray(pool.feature, dtype=np.float32)
        return l2_normalize(f) if self.normalize else f

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """Farthest-first traversal; the facts are the number of labelled
        centres and the covering radius at the first and the last pick.

        Args:
            pool: the pool; ``pool.feature`` is the embedding and its
                labelled rows (``cost == 0``) the initial centres.
            cand: ``int64`` candidate rows (``cost > 0``).
            k: how many centres to traverse (``min(budget, len(cand))``).
            budget: what may be spent (the picks are kept while they fit).
            round_idx: the round (seeds the first pick when nothing is
                labelled).

        Returns:
            tuple: ``int64`` rows of ``pool`` in pick order and a dict with
            ``num_labelled_centres`` and ``radius_at_picks`` (a
            :func:`~mmseg_ada.active.functional.describe` summary of the
            finite distances of the picks to their nearest centre when
            picked).
        """
        feat = self._feature(pool)
        x = feat[cand]
        labelled = np.flatnonzero(~pool.candidates)
        if labelled.size:
            init, first = min_sq_dist(x, feat[labelled]), None
        else:
            init = None
            first = int(self.rng(round_idx).integers(cand.size))
        picks, radius = farthest_first(
            DenseSqDist(x), k, first=first, init_min=init, return_dists=True)
        return take_within_budget(cand[picks], pool.cost, budget), dict(
            num_labelled_centres=int(labelled.size),
            radius_at_picks=describe(radius[np.isfinite(radius)]))
