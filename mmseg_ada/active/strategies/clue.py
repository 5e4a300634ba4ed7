"""CLUE: clustering uncertainty-weighted embeddings (Prabhu et al., 2021)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import (describe, nearest_to_centres, seeded_kmeans,
                          sklearn_seed)
from ..pool import UnitPool, take_within_budget
from ._embedding import EmbeddingStrategy, Picked

__all__ = ['CLUE']


def tempered_entropy(logits: np.ndarray, temperature: float) -> np.ndarray:
    """``float64 [N]`` entropy of ``softmax(logits / T)`` (``0 log 0 = 0``).

    Args:
        logits: ``[N, C]`` raw logits.
        temperature: ``T > 0``.
    """
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    z = z - z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    p = np.exp(logp)
    return -(p * logp).sum(1)


@STRATEGIES.register_module()
class CLUE(EmbeddingStrategy):
    """Clustering Uncertainty-weighted Embeddings.

    Each unlabelled image is weighted by the entropy of its softmax at
    temperature ``T`` (``softmax(logits / T)``, ``T = 0.1`` as the official
    code), its embedding (``pool.feature``) is clustered by weighted k-means
    into ``b`` clusters (scikit-learn ``KMeans`` with ``sample_weight``;
    scikit-learn >= 1.3 also weights the k-means++ initialisation, older
    versions did not), and the image nearest each centre is bought (a
    centre whose nearest image was taken by an earlier one takes its
    nearest untaken image).

    The reference code adds ``1e-8`` to the probabilities before the
    entropy; here ``0 log 0 = 0`` exactly.  If every weight is 0 (all
    predictions one-hot), the clustering is unweighted.

    Args:
        seed: seed of k-means (with the round).
        temperature: ``T`` applied to the logits.
        n_init: k-means initialisations (the official code ran
            scikit-learn's then default 10; 1 is scikit-learn's current
            ``'auto'`` for k-means++ and 10x faster).
        max_iter: Lloyd iterations at most.
        n_local_trials: k-means++ candidates per seeding step (``None``:
            scikit-learn's ``2 + log(b)``; 1: plain k-means++, about 3x
            faster seeding on large pools, e.g. VisDA).
        init_size: opt-in: seed k-means++ on a uniform draw of this many
            candidates (at least ``b``; scikit-learn's ``MiniBatchKMeans``
            ``init_size``), Lloyd on all of them; ``None`` (default): seed
            on all, as the official ``KMeans``.

    Speed options (all off by default; ``benchmarks/query.py`` prints
    each one's weighted inertia relative to the exact path and the share
    of picks it keeps, next to the same figures for another seed of the
    exact path).  On the VisDA pool (54k candidates, ``b = 554``) the
    exact path (~12 s on one thread) spends ~60% of its time in the
    k-means++ seeding (a float64 product of ``2 + log b`` candidates with
    all candidates per step) and most of the rest in Lloyd (22
    iterations); ``init_size = 10 b`` seeds ~10x faster and ``max_iter =
    10`` halves Lloyd (together ~4 s, inertia +0.3%, outside the
    seed-to-seed spread).  They stay off: the official code runs
    scikit-learn's ``KMeans`` on all candidates to convergence, and the
    exact path is the reference.
    """

    requires = ('prob', 'feature', 'logits')

    def __init__(self,
                 seed: int = 0,
                 temperature: float = 0.1,
                 n_init: int = 1,
                 max_iter: int = 300,
                 n_local_trials: Optional[int] = None,
                 init_size: Optional[int] = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if not float(temperature) > 0:
            raise ValueError(f'CLUE: temperature must be > 0, got '
                             f'{temperature}')
        if int(n_init) < 1:
            raise ValueError(f'CLUE: n_init must be >= 1, got {n_init}')
        self.temperature = float(temperature)
        self.n_init = int(n_init)
        self.max_iter = int(max_iter)
        self.n_local_trials = n_local_trials
        if init_size is not None and int(init_size) < 1:
            raise ValueError(f'CLUE: init_size must be >= 1, got {init_size}')
        self.init_size = None if init_size is None else int(init_size)

    def weights(self, pool: UnitPool) -> np.ndarray:
        """``float64 [N]`` the tempered entropy of every row.

        Args:
            pool: the pool; its ``extras['logits']`` (``[N, C]``, the shape
                of ``pool.prob`` when that is set) are read.

        Returns:
            np.ndarray: ``float64 [N]`` entropies of ``softmax(logits /
            T)``.
        """
        logits = np.asarray(pool.extra('logits'))
        if logits.ndim != 2 or (pool.prob is not None
                                and logits.shape != pool.prob.shape):
            raise ValueError(f"CLUE: extras['logits'] must be [N, C], got "
                             f'{logits.shape}')
        return tempered_entropy(logits, self.temperature)

    def score(self, pool: UnitPool) -> np.ndarray:
        """The weights (for reports; :meth:`select` clusters).

        Args:
            pool: the pool, as :meth:`weights`.

        Returns:
            np.ndarray: ``float64 [N]``, :meth:`weights` of ``pool``.
        """
        return self.weights(pool)

    def pick(self, pool: UnitPool, cand: np.ndarray, k: int, budget: int,
             round_idx: int) -> Picked:
        """The candidates nearest the ``k`` weighted k-means centres; the
        facts are the k-means inertia and iterations and the sizes and
        summed weights of the clusters.

        Args:
            pool: the pool (``feature`` and the weights' inputs are read).
            cand: its candidate rows (``cost > 0``).
            k: number of clusters (one pick per centre).
            budget: what may be spent (every pick that fits is kept, in
                centre order).
            round_idx: the round (seeds k-means with ``seed``).

        Returns:
            tuple: ``int64`` rows of ``pool`` in centre order and the
            facts (``weighted``, ``inertia``, ``kmeans_iterations``,
            ``cluster_sizes``, ``cluster_weights``, ``weight_picked``).
        """
        w, x, weighted = self._embedding(pool, cand)
        centres, km = self._kmeans(x, w if weighted else None, k, round_idx)
        picks = nearest_to_centres(x, centres)
        index = take_within_budget(cand[picks], pool.cost, budget)
        labels = km['labels']
        return index, dict(
            weighted=weighted,
            inertia=km['inertia'],
            kmeans_iterations=km['n_iter'],
            cluster_sizes=describe(np.bincount(labels, minlength=k)),
            cluster_weights=describe(
                np.bincount(labels, weights=w, minlength=k)),
            weight_picked=describe(w[picks]))

    def _embedding(self, pool: UnitPool,
                   cand: np.ndarray) -> Tuple[np.ndarray, np.ndarray, bool]:
        """The weights and ``float32`` features of the rows ``cand``, and
        whether any weight is positive (else k-means is unweighted)."""
        if pool.feature is None:
            raise ValueError(f'{type(self).__name__} needs pool.feature '
                             "(declare 'feature')")
        w = self.weights(pool)[cand]
        x = np.asarray(pool.feature[cand], dtype=np.float32)
        return w, x, bool(w.sum() > 0)

    def _kmeans(self, x: np.ndarray, sample_weight: Optional[np.ndarray],
                k: int, round_idx: int) -> Tuple[np.ndarray, Dict[str, Any]]:
        """:func:`~mmseg_ada.active.functional.seeded_kmeans` of ``x`` into
        ``k`` clusters, seeded by the round."""
        return seeded_kmeans(
            x,
            k,
            sklearn_seed(self.rng(round_idx)),
            n_init=self.n_init,
            sample_weight=sample_weight,
            max_iter=self.max_iter,
            n_local_trials=self.n_local_trials,
            init_size=None if self.init_size is None else max(
                self.init_size, k))
