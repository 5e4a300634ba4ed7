"""Region-level CLUE (ADeADA supplement B; Prabhu et al., ICCV 2021)."""
from __future__ import annotations

from typing import Any

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import describe, grow_until_spent, nearest_to_centres
from ..pool import UnitPool
from ._embedding import Picked
from .clue import CLUE

__all__ = ['RegionCLUE']


def tempered_prob_entropy(prob: np.ndarray, temperature: float) -> np.ndarray:
    """``float64 [N]`` entropy of ``p^(1/T) / sum p^(1/T)`` (``0 log 0 =
    0``): the softmax of ``log p / T``, i.e. the mean softmax's entropy at
    temperature ``T`` (``T = 1``: the entropy of ``p`` itself).

    Args:
        prob: ``[N, C]`` probabilities (negative entries count as 0).
        temperature: ``T > 0``.

    Returns:
        np.ndarray: ``float64 [N]`` entropies.
    """
    p = np.clip(np.asarray(prob, dtype=np.float64), 0.0, None)
    with np.errstate(divide='ignore'):
        z = np.log(p) / float(temperature)
    z = z - z.max(1, keepdims=True)
    q = np.exp(z)
    q /= q.sum(1, keepdims=True)
    with np.errstate(divide='ignore', invalid='ignore'):
        return -np.where(q > 0, q * np.log(q), 0.0).sum(1)


@STRATEGIES.register_module()
class RegionCLUE(CLUE):
    """CLUE on regions: weighted k-means of region features.

    ADeADA's Figure 3 baseline: "we treated a region as the fundamental
    label query unit and followed the original implementation".  Each
    unlabelled region is weighted by the entropy of its mean softmax (the
    pool's ``prob``) at ``temperature`` (``softmax(log p / T)``; ``T = 1``,
    the default, is the authors' released region code: the entropy of the
    region's mean softmax, up to a constant factor, which k-means ignores;
    CLUE's own code tempers image *logits* at ``T = 0.1``, which a region
    mean of softmaxes does not have), its mean feature (``pool.feature``)
    is clustered by weighted k-means into ``k`` clusters, and the region
    nearest each centre is bought (a centre whose nearest region was taken
    takes its nearest untaken one).  Centres are served by the summed
    weight of their cluster, heaviest first, so the budget keeps the most
    uncertain clusters.

    The budget is in pixels: ``k`` starts at ``ceil(budget / mean region
    cost)`` (the released code clusters "selection count x 40" regions, the
    regions of the budget's images) and doubles (a new clustering) while
    every pick fits.

    Args:
        seed: as :class:`CLUE`.
        temperature: ``T`` applied to the log of the mean softmax.
        **kwargs: ``n_init``, ``max_iter``, ``n_local_trials``,
            ``init_size``, as :class:`CLUE`.
    """

    requires = ('prob', 'feature')
    unit_kinds = ('region', )

    def __init__(self,
                 seed: int = 0,
                 temperature: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, temperature=temperature, **kwargs)

    def weights(self, pool: UnitPool) -> np.ndarray:
        """``float64 [N]`` the tempered entropy of every row's mean
        softmax.

        Args:
            pool: the pool; its ``prob`` (``[N, C]``, each region's mean
                softmax) is read.

        Returns:
            np.ndarray: ``float64 [N]``, :func:`tempered_prob_entropy` at
            ``temperature``.
        """
        if pool.prob is None:
            raise ValueError("RegionCLUE needs pool.prob (declare 'prob')")
        return tempered_prob_entropy(pool.prob, self.temperature)

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """The regions nearest the weighted k-means centres, by cluster
        weight, within ``budget`` pixels; the facts are the number of
        clusters, the k-means inertia and iterations, and the sizes and
        summed weights of the clusters.

        Args:
            pool: the pool of regions (``prob``, ``feature``, ``cost``).
            cand: its candidate rows (``cost > 0``).
            k: unused: the number of clusters starts at ``ceil(budget /
                mean candidate cost)`` and doubles while every pick fits
                (:func:`~mmseg_ada.active.functional.grow_until_spent`).
            budget: pixels that may be spent.
            round_idx: the round (seeds k-means with ``seed``).

        Returns:
            tuple: ``int64`` rows of ``pool`` in pick order and the facts
            (``num_clusters``, ``weighted``, ``inertia``,
            ``kmeans_iterations``, ``cluster_sizes``, ``cluster_weights``,
            ``weight_picked``).
        """
        w, x, weighted = self._embedding(pool, cand)
        facts = {}

        def picks(k: int) -> np.ndarray:
            centres, km = self._kmeans(x, w if weighted else None, k,
                                       round_idx)
            mass = np.bincount(km['labels'], weights=w, minlength=k)
            served = np.lexsort((np.arange(k), -mass))
            facts.update(km, mass=mass)
            return nearest_to_centres(x, centres[served])

        rows, k = grow_until_spent(picks, pool.cost[cand], budget)
        return cand[rows], dict(
            num_clusters=int(k),
            weighted=weighted,
            inertia=facts['inertia'],
            kmeans_iterations=facts['n_iter'],
            cluster_sizes=describe(np.bincount(facts['labels'], minlength=k)),
            cluster_weights=describe(facts['mass']),
            weight_picked=describe(w[rows]))
