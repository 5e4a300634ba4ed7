"""k-means into ``b`` clusters and one real row per centre (CLUE, LAS).

CLUE and LAS cluster candidates with scikit-learn's ``KMeans`` and buy,
for each centre, the candidate nearest to it.  Their reference code calls
``KMeans(n)`` without a seed (and with the library's default ``n_init``,
which changed from 10 to ``'auto'`` = 1 in scikit-learn 1.4), then resolves
collisions (two centres nearest to one row) with a loop over columns of a
``[b, N]`` argsort.  Here the seed and ``n_init`` are explicit, and each
centre in order takes its nearest row not yet taken, computed in chunks.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

__all__ = ['seeded_kmeans', 'nearest_to_centres']


def seeded_kmeans(
        x: np.ndarray,
        k: int,
        random_state: int,
        n_init: int = 1,
        sample_weight: Optional[np.ndarray] = None,
        max_iter: int = 300,
        tol: float = 1e-4,
        n_local_trials: Optional[int] = None,
        init_size: Optional[int] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
    """scikit-learn k-means with k-means++ init, seeded.

    What ``KMeans(n_clusters=k, init='k-means++', n_init=n_init,
    random_state=random_state).fit(x, sample_weight=sample_weight)`` does,
    in two explicit steps per initialisation: the seeding of
    :func:`sklearn.cluster.kmeans_plusplus` (one ``RandomState`` drawn on
    across initialisations, as ``KMeans`` does; with ``sample_weight``,
    which scikit-learn >= 1.3 also uses in the seeding) on a float64 copy
    of ``x`` - scikit-learn's float32 path of that step re-casts the data
    chunk by chunk on every one of its ``k`` steps, 5-8x slower; the same
    draws and float64 values as that function, by :class:`_Seeder`, ~40%
    faster on VisDA's 54k x 256 rows - then
    ``KMeans(init=centres, n_init=1)`` (Lloyd) in the precision of ``x``.
    The lowest inertia wins.

    With ``init_size`` (opt-in, default off) each seeding runs on a uniform
    draw of that many rows (without replacement, from the same
    ``RandomState`` before the seeding's own draws; their weights kept),
    as scikit-learn's ``MiniBatchKMeans(init_size=...)`` does; Lloyd still
    runs on all rows.  The seeding costs ``init_size / N`` of the full one
    (on VisDA, 554 clusters of 54k rows, ~60% of the exact path); the
    clustering differs: ``benchmarks/query.py`` prints its inertia
    relative to the exact path.

    Args:
        x: ``[N, D]`` rows (float32 stays float32 for Lloyd).
        k: clusters (``<= N``).
        random_state: seed of the initialisations.
        n_init: initialisations.
        sample_weight: ``[N]`` non-negative weights.
        max_iter: Lloyd iterations at most.
        tol: scikit-learn's relative tolerance.
        n_local_trials: seeding candidates per step (``None``:
            scikit-learn's ``2 + int(log(k))``, what ``KMeans`` uses; 1:
            plain k-means++, that many times fewer distance passes).
        init_size: rows the seeding runs on (``k <= init_size``; ``None``
            or ``>= N``: all rows, the exact ``KMeans`` path).

    Returns:
        tuple: ``[k, D]`` centres and facts (``labels``, ``inertia``,
        ``n_iter``, ``init_size``: the rows seeded on).
    """
    from sklearn.cluster import KMeans
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    if not 1 <= int(k) <= x.shape[0]:
        raise ValueError(f'seeded_kmeans: {k} clusters for {x.shape[0]} '
                         'rows')
    if int(n_init) < 1:
        raise ValueError(f'n_init must be >= 1, got {n_init}')
    n = x.shape[0]
    if init_size is not None and not int(k) <= int(init_size):
        raise ValueError(f'seeded_kmeans: init_size={init_size} < {k} '
                         'clusters')
    sub = init_size is not None and int(init_size) < n
    seeder = None if sub else _Seeder(x, n_local_trials, int(k))
    rs = np.random.RandomState(int(random_state))
    best = None
    for _ in range(int(n_init)):
        if sub:
            rows = np.sort(rs.choice(n, int(init_size), replace=False))
            ws = sample_weight
            if sample_weight is not None:
                ws = np.asarray(sample_weight, dtype=np.float64)[rows]
                if not ws.sum() > 0:  # no weight drawn: unweighted seeding
                    ws = None
            seeds = rows[_Seeder(x[rows], n_local_trials,
                                 int(k)).seed(int(k), rs, ws)]
        else:
            seeds = seeder.seed(int(k), rs, sample_weight)
        km = KMeans(
            n_clusters=int(k),
            init=x[seeds],
            n_init=1,
            max_iter=int(max_iter),
            tol=float(tol),
            random_state=int(random_state))
        km.fit(x, sample_weight=sample_weight)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    del seeder
    return best.cluster_centers_, dict(
        labels=best.labels_,
        inertia=float(best.inertia_),
        n_iter=int(best.n_iter_),
        init_size=int(init_size) if sub else n)


class _Seeder:
    """scikit-learn's greedy k-means++ (``kmeans_plusplus``) on the float64
    rows of ``x``, draw for draw and value for value.

    The same ``RandomState`` draws and the same float64 arithmetic as
    scikit-learn 1.x's ``_kmeans_plusplus`` (row norms by ``einsum``, the
    distances ``-2 c.x + |c|^2 + |x|^2`` clipped at 0, the potentials as a
    product with the weights), so the same seeds (the tests compare with
    ``kmeans_plusplus``), without its per-step validation and temporaries:

    * the product of the ``2 + log k`` candidates with all rows reads a
      ``[D, N]`` copy of the rows (the same BLAS product on the same
      packed operands, 20-25% faster than on the transposed ``[N, D]``
      view here); a single row (the first centre, ``n_local_trials=1``)
      keeps scikit-learn's matrix-vector product on the ``[N, D]`` rows;
    * unweighted, ``w * D^2`` is ``D^2`` itself (no product with ones).

    Args:
        x: ``[N, D]`` rows (cast to float64 once).
        n_local_trials: candidates per step (``None``: ``2 + log k``).
        k: clusters (for the default number of trials).
    """

    def __init__(self, x: np.ndarray, n_local_trials: Optional[int],
                 k: int) -> None:
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.trials = (2 + int(np.log(k))
                       if n_local_trials is None else int(n_local_trials))
        if self.trials < 1:
            raise ValueError('n_local_trials must be >= 1, got '
                             f'{n_local_trials}')
        self.sq = np.einsum('ij,ij->i', self.x, self.x)  # row_norms
        self.xt = None
        if self.trials > 1:  # [D, N], transposed in cache-sized blocks
            n, step = x.shape[0], 128
            self.xt = np.empty((x.shape[1], n))
            for s in range(0, n, step):
                self.xt[:, s:s + step] = x[s:s + step].T

    def _sq_dist(self, c: np.ndarray) -> np.ndarray:
        """``[m, N]`` sklearn's ``_euclidean_distances(c, x, squared)``."""
        d = c @ (self.x.T if self.xt is None or c.shape[0] == 1 else self.xt)
        d *= -2.0
        d += np.einsum('ij,ij->i', c, c)[:, None]
        d += self.sq[None, :]
        np.maximum(d, 0.0, out=d)
        return d

    def seed(self, k: int, rs: np.random.RandomState,
             sample_weight: Optional[np.ndarray]) -> np.ndarray:
        """``int64 [k]`` the rows chosen, drawing on ``rs``."""
        n = self.x.shape[0]
        unit = sample_weight is None
        w = (
            np.ones(n) if unit else np.asarray(
                sample_weight, dtype=np.float64).reshape(-1))
        out = np.full(k, -1, dtype=np.int64)
        out[0] = rs.choice(n, p=w / w.sum())
        closest = self._sq_dist(self.x[out[0]][None])  # [1, N]
        pot = closest @ w
        mass = np.empty(n)
        wcol = w.reshape(-1, 1)
        for c in range(1, k):
            draws = rs.uniform(size=self.trials) * pot
            np.cumsum(closest if unit else w * closest, out=mass)
            cand = np.searchsorted(mass, draws)
            np.clip(cand, None, n - 1, out=cand)
            d = self._sq_dist(self.x[cand])
            np.minimum(closest, d, out=d)
            cand_pot = d @ wcol
            j = np.argmin(cand_pot)
            pot = cand_pot[j]
            closest = d[j]
            out[c] = cand[j]
        return out


def nearest_to_centres(x: np.ndarray,
                       centres: np.ndarray,
                       block: int = 4096) -> np.ndarray:
    """One distinct row of ``x`` per centre: its nearest not yet taken.

    Centres are served in order; a centre whose nearest row was taken by an
    earlier one gets its nearest untaken row.

    Args:
        x: ``[N, D]`` rows.
        centres: ``[k, D]`` centres, ``k <= N``.
        block: rows per chunk of the ``[block, k]`` distance tiles.

    Returns:
        ``int64 [k]`` distinct rows of ``x``, in centre order.
    """
    x = np.asarray(x)
    c = np.asarray(centres, dtype=np.float64)
    n, k = x.shape[0], c.shape[0]
    if k > n:
        raise ValueError(f'nearest_to_centres: {k} centres for {n} rows')
    csq = np.einsum('ij,ij->i', c, c)

    def sq_dist(s, e, cols):  # [e - s, len(cols)] in float64
        xs = x[s:e].astype(np.float64)
        return (np.einsum('ij,ij->i', xs, xs)[:, None] + csq[cols][None] -
                2.0 * (xs @ c[cols].T))

    best_d = np.full(k, np.inf)
    best_i = np.zeros(k, dtype=np.int64)
    every = np.arange(k)
    for s in range(0, n, block):
        d = sq_dist(s, min(s + block, n), every)
        j = d.argmin(0)
        dj = d[j, every]
        better = dj < best_d
        best_d[better] = dj[better]
        best_i[better] = j[better] + s
    out = np.empty(k, dtype=np.int64)
    taken = np.zeros(n, dtype=bool)
    for ci in range(k):
        row = int(best_i[ci])
        if taken[row]:  # rare: this centre's nearest untaken row
            d = np.concatenate([
                sq_dist(s, min(s + block, n), [ci])[:, 0]
                for s in range(0, n, block)
            ])
            d[taken] = np.inf
            row = int(np.argmin(d))
        out[ci] = row
        taken[row] = True
    return out
