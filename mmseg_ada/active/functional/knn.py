"""Exact k nearest neighbours by cosine similarity, in blocks.

The similarity matrix of a pool is never held: the rows are cut into square
blocks ``[block, block]``; each block product ``X_i X_j^T`` (``j >= i``) is
computed once and serves both orientations (the top-k of its rows for the
rows of ``i``, the top-k of its columns for the rows of ``j``), and each
row keeps a running top-k merged block by block.  Peak memory is
``O(block^2 + N k)``; the matrix products are half of the ``N x N`` ones.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

__all__ = ['l2_normalize', 'cosine_knn', 'knn_weights']


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """``float32`` rows of ``x`` divided by their L2 norm (0 rows stay 0).

    Args:
        x: ``[N, D]`` rows.
        eps: norms below ``eps`` are treated as ``eps``.

    Returns:
        ``float32 [N, D]``.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f'expected an [N, D] array, got shape {x.shape}')
    norm = np.sqrt(np.einsum('ij,ij->i', x, x, dtype=np.float64))
    return (x / np.maximum(norm, eps)[:, None]).astype(np.float32)


def _merge(best_v, best_i, new_v, new_i, k):
    """Running top-k: keep the ``k`` largest of ``best`` and ``new``."""
    import torch
    v = torch.cat([best_v, new_v], dim=1)
    i = torch.cat([best_i, new_i], dim=1)
    top_v, pos = torch.topk(v, k, dim=1)
    return top_v, torch.gather(i, 1, pos)


def cosine_knn(x: np.ndarray,
               k: int,
               exclude_self: bool = True,
               block: int = 2048,
               normalize: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` most cosine-similar rows of every row of ``x``.

    Exact (no approximation), computed in ``[block, block]`` tiles so no
    ``N x N`` matrix is ever allocated.

    Args:
        x: ``[N, D]`` embeddings.
        k: neighbours per row (``1 <= k <= N - 1`` with ``exclude_self``).
        exclude_self: a row is not its own neighbour (the diagonal is
            masked by index, so exact duplicates of a row still count).
        block: tile side; memory is ``O(block^2)`` besides the output.
        normalize: L2-normalise the rows first (cosine similarity); with
            ``False`` the inner product of ``x`` as given is used.

    Returns:
        tuple: ``float32 [N, k]`` similarities, descending, and ``int64
        [N, k]`` the neighbours' rows.
    """
    import torch
    x = l2_normalize(x) if normalize else np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f'cosine_knn: x must be [N, D], got {x.shape}')
    n = x.shape[0]
    k = int(k)
    limit = n - 1 if exclude_self else n
    if not 1 <= k <= limit:
        raise ValueError(f'cosine_knn: k={k} needs 1 <= k <= {limit} '
                         f'for {n} rows')
    block = max(int(block), k)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    best_v = torch.full((n, k), -float('inf'), dtype=torch.float32)
    best_i = torch.full((n, k), -1, dtype=torch.int64)
    starts = list(range(0, n, block))
    for bi, s in enumerate(starts):
        e = min(s + block, n)
        xi = xt[s:e]
        for t in starts[bi:]:
            f = min(t + block, n)
            sim = _block_product(xi, xt[t:f])
            if s == t and exclude_self:
                sim.fill_diagonal_(-float('inf'))
            cols = torch.arange(t, f)
            kr = min(k, f - t)
            v, pos = torch.topk(sim, kr, dim=1)
            best_v[s:e], best_i[s:e] = _merge(best_v[s:e], best_i[s:e], v,
                                              cols[pos], k)
            if t != s:  # the same tile, seen from the rows of block j
                kc = min(k, e - s)
                v, pos = torch.topk(sim.T, kc, dim=1)
                rows = torch.arange(s, e)
                best_v[t:f], best_i[t:f] = _merge(best_v[t:f], best_i[t:f],
                                                  v, rows[pos], k)
    return best_v.numpy(), best_i.numpy()


def _block_product(a, b):
    """``a @ b.T`` of one tile (a seam for tests that watch tile sizes)."""
    return a @ b.T


def knn_weights(sim: np.ndarray, eps: Optional[float] = 1e-12) -> np.ndarray:
    """Similarities normalised to sum to 1 per row (``s_k / sum_j s_j``).

    Rows whose similarities sum to at most ``eps`` (neighbours orthogonal or
    opposite on balance: the normalisation is undefined) get uniform
    weights ``1 / k``.

    Args:
        sim: ``[N, k]`` similarities of each row's neighbours.
        eps: smallest usable sum.

    Returns:
        ``float64 [N, k]``.
    """
    sim = np.asarray(sim, dtype=np.float64)
    total = sim.sum(1, keepdims=True)
    ok = total > eps
    uniform = np.full_like(sim, 1.0 / max(sim.shape[1], 1))
    return np.where(ok, sim / np.where(ok, total, 1.0), uniform)

