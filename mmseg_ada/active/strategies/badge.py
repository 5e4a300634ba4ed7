"""BADGE: k-means++ on last-layer gradient embeddings (Ash et al., 2020)."""
from __future__ import annotations

from typing import Any, Callable, Tuple

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import OuterSqDist, describe, kmeanspp
from ..pool import UnitPool, take_within_budget
from ._embedding import EmbeddingStrategy, Picked, check_first

__all__ = ['BADGE']


@STRATEGIES.register_module()
class BADGE(EmbeddingStrategy):
    """Batch Active learning by Diverse Gradient Embeddings.

    The gradient of the cross-entropy, under the model's own prediction
    ``y^ = argmax p``, w.r.t. the last linear layer is the outer product
    ``g = (p - onehot(y^)) (x) z`` (``z`` = ``pool.feature``, the
    classifier's input).  BADGE seeds ``b`` centres among the unlabelled
    images by k-means++ on ``g``: the first is the image of largest
    ``||g||``, each next one is drawn with probability proportional to the
    squared distance to the nearest centre (Ash et al.'s ``init_centers``).

    ``g`` is never materialised (``N x C*D``): ``||g_i - g_j||^2 = ||a_i||^2
    ||z_i||^2 + ||a_j||^2 ||z_j||^2 - 2 (a_i . a_j)(z_i . z_j)`` with ``a =
    p - onehot``, for the few centres of each step
    (:class:`~mmseg_ada.active.functional.OuterSqDist`).

    Labelled rows play no part (as in BADGE and its ADA reproductions).

    Args:
        seed: seed of the D^2 draws (with the round).
        n_local_trials: candidates per k-means++ step; 1 (default) is
            BADGE's plain D^2 sampling, ``2 + log(b)`` scikit-learn's greedy
            variant (LADA's reproduction).
        first: ``'max_norm'`` (BADGE) or ``'random'`` (uniform, seeded).
    """

    requires = ('prob', 'feature')

    def __init__(self,
                 seed: int = 0,
                 n_local_trials: int = 1,
                 first: str = 'max_norm',
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if int(n_local_trials) < 1:
            raise ValueError('BADGE: n_local_trials must be >= 1, got '
                             f'{n_local_trials}')
        self.n_local_trials = int(n_local_trials)
        self.first = check_first(first, 'BADGE')

    @staticmethod
    def gradient_factors(prob: np.ndarray,
                         feature: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The factors ``a = p - onehot(argmax p)`` and ``z`` of ``g``.

        Args:
            prob: ``[N, C]`` probabilities.
            feature: ``[N, D]`` classifier inputs.

        Returns:
            tuple: ``float32 [N, C]`` and ``float32 [N, D]``.
        """
        a = np.array(prob, dtype=np.float32)
        if a.ndim != 2 or feature is None or np.ndim(feature) != 2 or \
                len(feature) != len(a):
            raise ValueError('BADGE needs prob [N, C] and feature [N, D], '
                             f'got {np.shape(prob)} and '
                             f'{np.shape(feature)}')
        a[np.arange(len(a)), a.argmax(1)] -= 1.0
        return a, np.asarray(feature, dtype=np.float32)

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """The first ``k`` k-means++ seeds of ``g``; the facts are ``||g||``
        of the picks and of all candidates.

        Args:
            pool: the pool (``prob`` and ``feature`` are read).
            cand: its candidate rows (``cost > 0``).
            k: how many seeds to draw.
            budget: what may be spent (every pick that fits is kept, in
                seed order).
            round_idx: the round (seeds the D^2 draws with ``seed``).

        Returns:
            tuple: ``int64`` rows of ``pool`` in pick order and the facts
            ``grad_norm_picked`` and ``grad_norm_pool``.
        """
        dist, seeds = self._seeder(pool, cand, round_idx)
        picks = seeds(k)
        index = take_within_budget(cand[picks], pool.cost, budget)
        norm = np.sqrt(dist.sq)
        return index, dict(
            grad_norm_picked=describe(norm[picks]),
            grad_norm_pool=describe(norm))

    def _seeder(self, pool: UnitPool, cand: np.ndarray,
                round_idx: int) -> Tuple[OuterSqDist, Callable]:
        """The distances of the candidates' ``g`` and ``k -> `` the first
        ``k`` k-means++ seeds (rows of ``cand``), drawn afresh from the
        round's generator at every call."""
        a, z = self.gradient_factors(pool.prob[cand], pool.feature[cand])
        dist = OuterSqDist(a, z)
        first = int(np.argmax(dist.sq)) if self.first == 'max_norm' else None

        def seeds(k: int) -> np.ndarray:
            return kmeanspp(
                dist,
                k,
                self.rng(round_idx),
                first=first,
                n_local_trials=self.n_local_trials)

        return dist, seeds
