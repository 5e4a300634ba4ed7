"""k-means++ seeding (D^2 sampling) on a distance object, seeded.

Arthur & Vassilvitskii (2007): after the first centre, each next centre is
drawn with probability proportional to ``w_i D(x_i)^2``, ``D`` the distance
to the nearest centre chosen so far.  With ``n_local_trials > 1`` it is the
greedy variant of scikit-learn: that many candidates are drawn and the one
that lowers the potential ``sum_i w_i D(x_i)^2`` most is kept.

Only distances from every row to the new candidates are computed (``N x
n_local_trials`` per step), through a distance object of
:mod:`.distances`, so the embedding may be implicit (BADGE's outer
products).  Every draw comes from the ``np.random.Generator`` passed in.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = ['kmeanspp']


def kmeanspp(dist,
             k: int,
             rng: np.random.Generator,
             first: Optional[int] = None,
             sample_weight: Optional[np.ndarray] = None,
             n_local_trials: int = 1) -> np.ndarray:
    """Seed ``k`` centres among the rows by k-means++.

    Chosen rows are never drawn again (BADGE redraws duplicates, which is
    the same distribution).  If every unchosen row coincides with a centre
    (zero potential), the remaining picks are uniform over unchosen rows.

    Args:
        dist: distance object (``dist(rows, cols)`` squared distances,
            ``len(dist)`` rows).
        k: centres to pick (``<= len(dist)``).
        rng: the generator of every draw.
        first: the first centre (BADGE: the row of largest norm); ``None``
            draws it with probability proportional to ``sample_weight``.
        sample_weight: ``[N]`` non-negative weights (default 1).
        n_local_trials: candidates per step (1: plain k-means++;
            scikit-learn uses ``2 + int(log(k))``).

    Returns:
        ``int64 [k]`` the chosen rows, in order.
    """
    n = len(dist)
    k = int(k)
    if not 0 <= k <= n:
        raise ValueError(f'kmeanspp: k={k} but only {n} rows')
    if int(n_local_trials) < 1:
        raise ValueError(f'n_local_trials must be >= 1, got {n_local_trials}')
    unit = sample_weight is None  # w * closest is closest itself
    if unit:
        w = np.ones(n)
    else:
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if w.shape != (n, ) or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError('sample_weight must be [N] finite and >= 0, got '
                             f'shape {w.shape}')
    out = np.empty(k, dtype=np.int64)
    if k == 0:
        return out
    chosen = np.zeros(n, dtype=bool)
    if first is None:
        p = w / w.sum() if w.sum() > 0 else None
        first = int(rng.choice(n, p=p))
    if not 0 <= int(first) < n:
        raise ValueError(f'kmeanspp: first={first} out of range for {n}')
    out[0] = int(first)
    chosen[out[0]] = True
    closest = dist(None, out[:1])[:, 0]
    closest[chosen] = 0.0
    trials = int(n_local_trials)
    # Distances are clipped at 0, so a chosen row's ``closest`` (0) stays 0
    # under ``minimum``: only the newest pick is zeroed (the old loop
    # zeroed every chosen row at each step, with the same values).
    mass = np.empty(n)
    for c in range(1, k):
        np.cumsum(closest if unit else w * closest, out=mass)
        if not mass[-1] > 0:  # every unchosen row sits on a centre
            left = np.flatnonzero(~chosen)
            out[c:] = rng.choice(left, size=k - c, replace=False)
            break
        draws = rng.random(trials) * mass[-1]
        cand = np.searchsorted(mass, draws, side='right')
        cand = np.minimum(cand, n - 1)
        if trials == 1:
            best = int(cand[0])
            np.minimum(closest, dist(None, [best])[:, 0], out=closest)
        else:
            d = dist(None, cand)
            np.minimum(d, closest[:, None], out=d)
            pot = w @ d
            j = int(np.argmin(pot))
            best = int(cand[j])
            closest = d[:, j].copy()
        out[c] = best
        chosen[best] = True
        closest[best] = 0.0
    return out
