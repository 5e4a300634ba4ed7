"""ReDAL on image regions (ADeADA supplement B; Wu et al., ICCV 2021)."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import check_budget, describe, seeded_kmeans, sklearn_seed
from ..pool import Selection, UnitPool, take_within_budget
from .base import BaseStrategy

__all__ = ['ReDAL']


@STRATEGIES.register_module()
class ReDAL(BaseStrategy):
    """Region-based and diversity-aware active learning, in 2-D.

    ReDAL ("ReDAL: Region-based and Diversity-aware Active Learning for
    Point Cloud Semantic Segmentation", Wu et al., ICCV 2021) scores each
    region by ``phi = alpha H + beta C + gamma S`` and buys the best
    regions after a diversity-aware re-weighting; ADeADA's Figure 3 uses
    its 2-D adaptation ("we carefully replaced the 3D characteristics term
    as the 2D edge detection result").  The image analogues here:

    * ``H``, softmax entropy: the region's mean over its pixels of ReDAL's
      per-point entropy ``(1/C) sum_c -p_c log2 p_c`` (the pool's mean
      pixel entropy in nats ``/ (C ln 2)``);
    * ``C``, colour discontinuity: ReDAL's colour gradient (the mean
      absolute RGB difference, colours in ``[0, 1]``, between a point and
      its nearest neighbours, clipped at 0.1) with the pixel grid's 8
      neighbours as the neighbourhood, averaged over the region (the
      model's ``'image_gradient'``, see ``ADAEncoderDecoder.
      image_gradient``): the image-gradient edge evidence inside the
      region;
    * ``S``, structural complexity: ReDAL's surface variation (the
      smallest eigenvalue share of the local point covariance) has no
      counterpart on a flat pixel grid; here it is the dispersion of the
      region's feature vectors, ``1 - ||E z||^2 / E ||z||^2`` in ``[0, 1]``
      (the region mean of the feature map and of its squared norm, the
      model's ``'feature'`` and ``'feature_sq_norm'``): 0 for a region whose
      pixels the network sees alike, larger for one that straddles
      structures.

    Diversity-aware selection (ReDAL Sec. 3.3): the candidates' mean
    features are clustered by k-means into ``num_clusters`` clusters
    (seeded); walking the candidates by descending ``phi``, each one's score
    is multiplied by its cluster's current importance, which then decays by
    ``decay_rate``: the ``j``-th best region of a cluster keeps
    ``decay_rate^(j-1)`` of its score.  Regions are then bought by
    descending re-weighted score within the pixel budget.  (ReDAL's code
    re-weights the scores in their original order while the cluster labels
    follow the sorted order; the paper's procedure is implemented.)
    ``trim_rate`` clusters and re-weights only the best ``trim_rate`` share
    of the candidates (ReDAL's option for large pools; the others are then
    never bought).

    Defaults: ReDAL's S3DIS configuration (the point-cloud set with colour):
    ``alpha = 1``, ``beta = 0.1``, ``gamma = 0.05``, 400 clusters, decay
    0.95, no trimming.

    Args:
        seed: seed of the k-means and of ties.
        alpha: weight of ``H``.
        beta: weight of ``C`` (0: the image gradient is not collected).
        gamma: weight of ``S`` (0: the squared feature norm is not
            collected).
        num_clusters: k-means clusters (at most the number of candidates).
        decay_rate: importance decay per region already taken in a cluster.
        trim_rate: ``None`` or the share of best candidates kept.
        n_init: k-means initialisations.
        max_iter: Lloyd iterations at most.
    """

    unit_kinds = ('region', )
    figure = 'embedding'

    def __init__(self,
                 seed: int = 0,
                 alpha: float = 1.0,
                 beta: float = 0.1,
                 gamma: float = 0.05,
                 num_clusters: int = 400,
                 decay_rate: float = 0.95,
                 trim_rate: Optional[float] = None,
                 n_init: int = 1,
                 max_iter: int = 300,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        for name, v in (('alpha', alpha), ('beta', beta), ('gamma', gamma)):
            if not float(v) >= 0:
                raise ValueError(f'ReDAL: {name} must be >= 0, got {v}')
        if int(num_clusters) < 1:
            raise ValueError(f'ReDAL: num_clusters must be >= 1, got '
                             f'{num_clusters}')
        if not 0 < float(decay_rate) <= 1:
            raise ValueError(f'ReDAL: decay_rate must be in (0, 1], got '
                             f'{decay_rate}')
        if trim_rate is not None and not 0 < float(trim_rate) <= 1:
            raise ValueError(f'ReDAL: trim_rate must be in (0, 1], got '
                             f'{trim_rate}')
        self.alpha, self.beta, self.gamma = (float(alpha), float(beta),
                                             float(gamma))
        self.num_clusters = int(num_clusters)
        self.decay_rate = float(decay_rate)
        self.trim_rate = None if trim_rate is None else float(trim_rate)
        self.n_init = int(n_init)
        self.max_iter = int(max_iter)
        req = ['prob', 'feature']
        if self.beta > 0:
            req.append('image_gradient')
        if self.gamma > 0:
            req.append('feature_sq_norm')
        self.requires = tuple(req)

    # ------------------------------------------------------------- scores
    def terms(self, pool: UnitPool) -> Dict[str, np.ndarray]:
        """``float64 [N]`` ``'entropy'``, ``'color'`` and ``'structure'``
        (zeros for a term whose weight is 0).

        Args:
            pool: the region pool: ``prob`` (and the ``'entropy'`` stat when
                present), ``extras['image_gradient']`` when ``beta > 0``,
                ``feature`` and ``extras['feature_sq_norm']`` when
                ``gamma > 0``.

        Returns:
            dict: ``'entropy'`` (``H``, the mean entropy ``/ (C ln 2)``),
            ``'color'`` (``C``) and ``'structure'`` (``S``, in
            ``[0, 1]``), each ``float64 [N]``.
        """
        n = len(pool)
        if pool.prob is None:
            raise ValueError("ReDAL needs pool.prob (declare 'prob')")
        c = pool.prob.shape[1]
        if 'entropy' in pool.stats:
            ent = pool.stat('entropy').astype(np.float64)
        else:
            from ..uncertainty import row_uncertainty
            ent = row_uncertainty(pool.prob)['entropy'].astype(np.float64)
        out = dict(
            entropy=ent / (c * math.log(2.0)),
            color=np.zeros(n),
            structure=np.zeros(n))
        if self.beta > 0:
            out['color'] = self._column(pool, 'image_gradient')
        if self.gamma > 0:
            if pool.feature is None:
                raise ValueError("ReDAL needs pool.feature (declare "
                                 "'feature')")
            sq = self._column(pool, 'feature_sq_norm')
            mean_sq = (np.asarray(pool.feature, np.float64)**2).sum(1)
            with np.errstate(divide='ignore', invalid='ignore'):
                disp = np.where(sq > 0, 1.0 - mean_sq / sq, 0.0)
            out['structure'] = np.clip(disp, 0.0, 1.0)
        return out

    @staticmethod
    def _column(pool: UnitPool, name: str) -> np.ndarray:
        v = np.asarray(pool.extra(name), dtype=np.float64)
        if v.ndim == 2 and v.shape[1] == 1:
            v = v[:, 0]
        if v.shape != (len(pool), ):
            raise ValueError(f"ReDAL: extras[{name!r}] must be [N] or "
                             f'[N, 1], got {v.shape}')
        return v

    def score(self, pool: UnitPool) -> np.ndarray:
        """``phi = alpha H + beta C + gamma S`` per row.

        Args:
            pool: the region pool (see :meth:`terms`).

        Returns:
            np.ndarray: ``float64 [N]`` ``phi`` (before the diversity
            re-weighting of :meth:`select`).
        """
        t = self.terms(pool)
        return (self.alpha * t['entropy'] + self.beta * t['color'] +
                self.gamma * t['structure'])

    # ------------------------------------------------------------- select
    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Buy regions by diversity-re-weighted ``phi`` within ``budget``.

        Args:
            pool: the region pool.
            budget: what this round may spend, in pixels.
            round_idx: 1-based round (seeds the k-means and ties).
            **context: unused (the engine's context).

        Returns:
            Selection: picks in re-weighted order; ``info`` has the terms of
            the picks, the clusters used and the picks per cluster.
        """
        budget = check_budget(budget)
        self.check_unit_kind(pool.kind)
        if len(pool) == 0 or budget == 0:
            return Selection.empty()
        phi = self.score(pool)
        order = self.ranked(pool, phi, round_idx)  # candidates, best first
        if order.size == 0:
            return Selection.empty()
        if self.trim_rate is not None:
            order = order[:max(1, int(np.ceil(self.trim_rate * order.size)))]
        if pool.feature is None:
            raise ValueError("ReDAL needs pool.feature (declare 'feature')")
        k = min(self.num_clusters, order.size)
        x = np.asarray(pool.feature[order], dtype=np.float32)
        _, km = seeded_kmeans(
            x,
            k,
            sklearn_seed(self.rng(round_idx, 1)),
            n_init=self.n_init,
            max_iter=self.max_iter)
        labels = np.asarray(km['labels'], dtype=np.int64)
        # the j-th best region of a cluster keeps decay^(j-1) of its score
        rank_in_cluster = np.zeros(order.size, dtype=np.int64)
        seen = np.zeros(k, dtype=np.int64)
        for i, c in enumerate(labels):
            rank_in_cluster[i] = seen[c]
            seen[c] += 1
        weighted = phi[order] * self.decay_rate**rank_in_cluster
        again = order[np.lexsort((np.arange(order.size), -weighted))]
        index = take_within_budget(again, pool.cost, budget)
        terms = self.terms(pool)
        cluster_of = dict(zip(order.tolist(), labels.tolist()))
        picked = np.asarray([cluster_of[int(i)] for i in index],
                            dtype=np.int64)
        return Selection.bought(
            pool,
            index,
            num_candidates=int(pool.candidates.sum()),
            num_clusters=int(k),
            clusters_picked=int(np.unique(picked).size),
            picks_per_cluster=describe(
                np.bincount(picked, minlength=k)[np.unique(picked)]),
            entropy_picked=describe(terms['entropy'][index]),
            color_picked=describe(terms['color'][index]),
            structure_picked=describe(terms['structure'][index]),
            score_picked=describe(phi[index]))
