"""LAS: LADA's local context-aware active selection (Sun et al., ICCV
2023, Sec. 3.1, Eq. 1-2)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import (cosine_knn, describe, knn_weights, l2_normalize,
                          nearest_to_centres, seeded_kmeans, sklearn_seed)
from ..pool import Selection, UnitPool, take_within_budget
from ._embedding import EmbeddingStrategy

__all__ = ['LAS']


@STRATEGIES.register_module()
class LAS(EmbeddingStrategy):
    """Local context-aware active selection.

    1. Neighbours: the ``K`` nearest target images of each image by cosine
       similarity ``s_k`` of the L2-normalised embeddings
       (``pool.feature``, the 256-d bottleneck), itself excluded; exact,
       in blocks (no ``N x N`` matrix).
    2. Eq. 1, local inconsistency ``LI(x) = -sum_k w_k p(x_k)^T p(x)``.
    3. Eq. 2, one smoothing step ``LI(x) <- LI(x) + sum_k w_k LI(x_k)``
       (simultaneous update: the right side uses the old values).
    4. The top ``(1 + M) b`` unlabelled images by ``LI`` are clustered by
       k-means (scikit-learn, seeded, explicit ``n_init``) on their
       normalised embeddings into ``b`` clusters and the image nearest each
       centre is bought.

    Paper ambiguity, the ``1/K``: Eq. 1-2 write ``-(1/K) sum_k w_k ...``
    with "normalized" weights ``w_k`` proportional to ``s_k``, but the
    paper also says ``LI ~ -p^T p`` for close neighbours, which holds only
    if the factor in front of ``p_k^T p`` sums to 1.  Default
    (``inv_k=False``): ``w_k = s_k / sum_j s_j`` and no ``1/K`` (the
    official code).  ``inv_k=True``: the literal reading, both sums also
    divided by ``K``; this changes the ranking through Eq. 2, whose
    smoothing term then weighs ``1/K`` relative to the own score.

    Which images are neighbours is not stated in the paper: default
    (``neighbours='unlabelled'``) the graph over the unlabelled images only
    (the official code, which builds it on the unlabelled target loader);
    ``'all'``: all target images of the pool, labelled ones included (they
    are target samples with predictions).

    Weights of an image whose neighbour similarities sum to <= 0 are
    uniform. Clustering collisions (two centres nearest one image) give the
    later centre its nearest untaken image.

    Args:
        seed: seed of k-means and tie-breaks (with the round).
        k: neighbours ``K`` (10; 5 on Office-31).
        m: over-sampling ratio ``M`` (10; 5 on VisDA and at 10 % budget).
        neighbours: ``'unlabelled'`` (default) or ``'all'``.
        inv_k: the literal ``1/K`` of Eq. 1-2.
        prop_iters: smoothing steps (1).
        prop_coef: factor of the smoothing term (1).
        n_init: k-means initialisations.
        block: tile side of the neighbour search.
    """

    requires = ('prob', 'feature')

    def __init__(self,
                 seed: int = 0,
                 k: int = 10,
                 m: float = 10,
                 neighbours: str = 'unlabelled',
                 inv_k: bool = False,
                 prop_iters: int = 1,
                 prop_coef: float = 1.0,
                 n_init: int = 1,
                 block: int = 2048,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if int(k) < 1:
            raise ValueError(f'LAS: k must be >= 1, got {k}')
        if float(m) < 0:
            raise ValueError(f'LAS: m must be >= 0, got {m}')
        if neighbours not in ('all', 'unlabelled'):
            raise ValueError("LAS: neighbours must be 'all' or "
                             f"'unlabelled', got {neighbours!r}")
        if int(prop_iters) < 0 or int(n_init) < 1:
            raise ValueError('LAS: prop_iters must be >= 0 and n_init >= 1,'
                             f' got {prop_iters}, {n_init}')
        self.k = int(k)
        self.m = float(m)
        self.neighbours = neighbours
        self.inv_k = bool(inv_k)
        self.prop_iters = int(prop_iters)
        self.prop_coef = float(prop_coef)
        self.n_init = int(n_init)
        self.block = int(block)

    def local_inconsistency(self, pool: UnitPool) -> Dict[str, np.ndarray]:
        """Eq. 1 and Eq. 2 on the pool's neighbour graph.

        Args:
            pool: the pool (``prob`` and ``feature`` are read); the graph
                covers its candidates (``neighbours='unlabelled'``) or all
                its rows (``'all'``), at least 2 of them.

        Returns:
            dict: ``rows`` (``int64``, the graph's rows of the pool),
            ``neighbours`` (``[n, K]`` positions in ``rows``), ``weights``
            (``[n, K]``), ``li`` (Eq. 1) and ``smoothed`` (Eq. 2), ``[n]``.
        """
        if pool.feature is None or pool.prob is None:
            raise ValueError("LAS needs pool.prob and pool.feature "
                             "(declare 'feature')")
        rows = (
            np.arange(len(pool))
            if self.neighbours == 'all' else np.flatnonzero(pool.candidates))
        n = rows.size
        if n < 2:
            raise ValueError(f'LAS needs at least 2 images for neighbours, '
                             f'got {n}')
        k = min(self.k, n - 1)
        sim, nbr = cosine_knn(
            np.asarray(pool.feature)[rows], k, block=self.block)
        w = knn_weights(sim)
        if self.inv_k:
            w = w / k
        p = np.asarray(pool.prob, dtype=np.float64)[rows]
        li = np.empty(n)
        step = max(1, (1 << 22) // max(k * p.shape[1], 1))
        for s in range(0, n, step):
            e = min(s + step, n)
            agree = np.einsum('nkc,nc->nk', p[nbr[s:e]], p[s:e])
            li[s:e] = -(w[s:e] * agree).sum(1)
        smoothed = li.copy()
        for _ in range(self.prop_iters):
            smoothed = smoothed + self.prop_coef * (w * smoothed[nbr]).sum(1)
        return dict(
            rows=rows, neighbours=nbr, weights=w, li=li, smoothed=smoothed)

    def score(self, pool: UnitPool) -> np.ndarray:
        """The smoothed ``LI`` (Eq. 2) of every row (``-inf`` off-graph).

        Args:
            pool: the pool, as :meth:`local_inconsistency`.

        Returns:
            np.ndarray: ``float64 [N]`` scores.
        """
        out = self.local_inconsistency(pool)
        score = np.full(len(pool), -np.inf)
        score[out['rows']] = out['smoothed']
        return score

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Top ``(1 + M) b`` by ``LI``, k-means into ``b``, nearest each.

        Args:
            pool: the pool (``prob`` and ``feature`` are read).
            budget: images to buy (``b``, at most the candidates).
            round_idx: the round (seeds tie-breaks and k-means with
                ``seed``).
            **context: what the engine knows besides the pool (unused).

        Returns:
            Selection: picks in centre order; ``info`` has the candidate
            count, ``K``, ``M``, the share of labelled neighbours, ``LI``
            of picks and pool, and the cluster sizes.
        """
        cand, b = self.candidates(pool, budget)
        if b == 0:
            return Selection.empty()
        out = self.local_inconsistency(pool)
        score = np.full(len(pool), -np.inf)
        score[out['rows']] = out['smoothed']
        order = self.ranked(pool, score, round_idx)
        n_top = min(int(np.ceil((1 + self.m) * b)), order.size)
        top = order[:n_top]
        info = dict(
            num_candidates=int(n_top),
            k=int(out['weights'].shape[1]),
            m=self.m)
        if n_top > b:
            emb = l2_normalize(np.asarray(pool.feature)[top])
            centres, km = seeded_kmeans(
                emb,
                b,
                sklearn_seed(self.rng(round_idx, 1)),
                n_init=self.n_init)
            picks = top[nearest_to_centres(emb, centres)]
            info.update(
                cluster_sizes=describe(np.bincount(km['labels'], minlength=b)),
                kmeans_iterations=km['n_iter'])
        else:
            picks = top
        index = take_within_budget(picks, pool.cost, budget)
        graph_rows = out['rows'][out['neighbours']]
        info.update(
            spent=int(pool.cost[index].sum()),
            labelled_neighbour_share=float(
                (pool.cost[graph_rows] == 0).mean()),
            li_picked=describe(score[index]),
            li_pool=describe(score[cand]))
        return Selection(index, info)
