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
    in two explicit steps per initialisation: the seeding by
    :func:`sklearn.cluster.kmeans_plusplus` (one ``RandomState`` drawn on
    across initialisations, as ``KMeans`` does; with ``sample_weight``,
    which scikit-learn >= 1.3 also uses in the seeding) on a float64 copy
    of ``x`` - scikit-learn's float32 path of that step re-casts the data
    chunk by chunk on every one of its ``k`` steps, 5-8x slower - then
    ``KMeans(init=centres, n_init=1)`` (Lloyd) in the precision of ``x``.
    The lowest inertia wins.

    With ``init_size`` (opt-in, default off) each seeding runs on a uniform
    draw of that many rows (without replacement, from the same
    ``RandomState`` before the seeding's own draws; their weights kept),
    as scikit-learn's ``MiniBatchKMeans(init_size=...)`` does; Lloyd still
    runs on all rows.  The seeding costs ``init_size / N`` of the full one
    (on VisDA, 554 clusters of 54k rows, 9.4 s of the 14 s), the result is
    a different clustering: ``benchmarks/query.py`` prints its inertia
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
    from sklearn.cluster import KMeans, kmeans_plusplus
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
    x64 = None if sub else x.astype(np.float64)
    rs = np.random.RandomState(int(random_state))
    best = None
    for _ in range(int(n_init)):
        xs, ws = x64, sample_weight
        if sub:
            rows = np.sort(rs.choice(n, int(init_size), replace=False))
            xs = x[rows].astype(np.float64)
            if sample_weight is not None:
                ws = np.asarray(sample_weight, dtype=np.float64)[rows]
                if not ws.sum() > 0:  # no weight drawn: unweighted seeding
                    ws = None
        init, _ = kmeans_plusplus(
            xs,
            int(k),
            sample_weight=ws,
            random_state=rs,
            n_local_trials=n_local_trials)
        km = KMeans(
            n_clusters=int(k),
            init=init.astype(x.dtype),
            n_init=1,
            max_iter=int(max_iter),
            tol=float(tol),
            random_state=int(random_state))
        km.fit(x, sample_weight=sample_weight)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    del x64
    return best.cluster_centers_, dict(
        labels=best.labels_,
        inertia=float(best.inertia_),
        n_iter=int(best.n_iter_),
        init_size=int(init_size) if sub else n)


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
