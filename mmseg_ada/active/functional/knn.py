"""Exact k nearest neighbours by cosine similarity, in tiles.

The similarity matrix of a pool is never held: the rows are cut into blocks
of ``block`` rows; each tile product ``X_i X_j^T`` (``j >= i``) is computed
once and serves both orientations (its rows for the rows of block ``i``,
its columns for the rows of block ``j``), and each row keeps a running
top-k.  A diagonal tile ``X_i X_i^T`` is symmetric: only its strips (of
``block / 8`` rows, at least 128) from the diagonal rightwards are
multiplied, the entries below are their transposes.  Peak memory is
``O(block^2 + N k)``; the products are about half of the ``N x N`` ones
(on Office-Home, 4.3k rows in tiles of 2,048, full diagonal tiles made
them a third more).

Selecting from a tile costs less than a ``topk`` over it (which, on a
``[2048, 2048]`` tile, takes as long as the product itself): the tile's
entries are cut into groups of ``group`` (interleaved: group ``q`` of a
length-``L`` line holds positions ``q, q + L/g, ...``, so the group maxima
are one contiguous ``amax`` in either orientation), and

* a row that has no ``k`` neighbours yet takes its ``k`` groups of largest
  maxima (at most ``k`` groups can hold an entry at least the line's
  ``k``-th value) and the top ``k`` of their entries;
* a row that has takes the entries of the groups whose maximum beats its
  current ``k``-th similarity (few, after the first tiles) and merges.

Both are exact.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

__all__ = ['l2_normalize', 'cosine_knn', 'knn_weights']

_NEG = -float('inf')


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """``float32`` rows of ``x`` divided by their L2 norm (0 rows stay 0).

    Args:
        x: ``[N, D]`` rows.
        eps: norms below ``eps`` are treated as ``eps``.

    Returns:
        ``float32 [N, D]`` (a new array).
    """
    import torch
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f'expected an [N, D] array, got shape {x.shape}')
    t = torch.from_numpy(np.ascontiguousarray(x))
    return torch.nn.functional.normalize(t, dim=1, eps=eps).numpy()


def cosine_knn(x: np.ndarray,
               k: int,
               exclude_self: bool = True,
               block: int = 2048,
               normalize: bool = True,
               group: int = 16) -> Tuple[np.ndarray, np.ndarray]:
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
        group: entries per group of the tile selection (see the module).

    Returns:
        tuple: ``float32 [N, k]`` similarities, descending, and ``int64
        [N, k]`` the neighbours' rows.
    """
    import torch
    x = l2_normalize(x) if normalize else np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f'cosine_knn: x must be [N, D], got {x.shape}')
    if not np.isfinite(x).all():
        raise ValueError('cosine_knn: the embeddings hold NaN or inf values')
    n = x.shape[0]
    k = int(k)
    limit = n - 1 if exclude_self else n
    if not 1 <= k <= limit:
        raise ValueError(f'cosine_knn: k={k} needs 1 <= k <= {limit} '
                         f'for {n} rows')
    block = max(int(block), k)
    sub_block = max(128, block // 8 // 64 * 64)
    xt = torch.from_numpy(np.ascontiguousarray(x))
    best_v = torch.full((n, k), _NEG, dtype=torch.float32)
    best_i = torch.full((n, k), -1, dtype=torch.int64)
    starts = list(range(0, n, block))
    for bi, s in enumerate(starts):
        e = min(s + block, n)
        xi = xt[s:e]
        for t in starts[bi:]:
            f = min(t + block, n)
            if s == t:
                sim = _diagonal_product(xi, sub_block)
            else:
                sim = _block_product(xi, xt[t:f])
            if s == t and exclude_self:
                sim.fill_diagonal_(_NEG)
            _update(best_v, best_i, s, t, sim, False, k, group, normalize)
            if t != s:  # the same tile, seen from the rows of block j
                _update(best_v, best_i, t, s, sim, True, k, group, normalize)
    order = torch.argsort(best_v, dim=1, descending=True, stable=True)
    return (torch.gather(best_v, 1,
                         order).numpy(), torch.gather(best_i, 1,
                                                      order).numpy())


def _merge(best_v, best_i, new_v, new_i, k):
    """Running top-k: keep the ``k`` largest of ``best`` and ``new``."""
    import torch
    v = torch.cat([best_v, new_v], dim=1)
    i = torch.cat([best_i, new_i], dim=1)
    top_v, pos = torch.topk(v, k, dim=1)
    return top_v, torch.gather(i, 1, pos)


def _update(best_v, best_i, r0, c0, sim, transposed, k, group, bounded):
    """Merge one orientation of a tile into the running top-k.

    Args:
        best_v, best_i: ``[N, k]`` running similarities / indices.
        r0: first global row of the rows updated.
        c0: first global index of the candidates (the other side).
        sim: ``[B, W]`` tile (rows of block ``i`` x rows of block ``j``).
        transposed: update the tile's columns (rows ``r0 ..`` are its
            columns and the candidates its rows) instead of its rows.
        k: neighbours.
        group: entries per group.
        bounded: similarities lie in ``[-1, 1]`` (cosines), so one sort on
            the key ``4 row - value`` orders by row, then value descending.
    """
    import torch
    B, W = sim.shape
    R, L = (W, B) if transposed else (B, W)  # rows updated, line length
    q = -(-L // group)  # groups per line
    lp = q * group
    if transposed:
        pad = sim if lp == L else torch.nn.functional.pad(
            sim, (0, 0, 0, lp - L), value=_NEG)
        gmax = pad.reshape(group, q, W).amax(0).T.contiguous()  # [R, q]
        stride_pos, stride_row = W, 1  # flat index = pos * W + row
    else:
        pad = sim if lp == W else torch.nn.functional.pad(
            sim, (0, lp - W), value=_NEG)
        gmax = pad.reshape(B, group, q).amax(1)  # [R, q]
        stride_pos, stride_row = 1, lp  # flat index = row * lp + pos
    flat = pad.reshape(-1)
    offsets = torch.arange(group) * q  # member m of group g: pos g + m q
    rows = slice(r0, r0 + R)
    thr = best_v[rows, k - 1]

    def gather(row_idx, grp):  # [P], [P] -> values, global ids [P, group]
        pos = grp[:, None] + offsets[None, :]
        vals = flat[pos * stride_pos + row_idx[:, None] * stride_row]
        ids = torch.where(pos < L, pos + c0, torch.full_like(pos, -1))
        return vals, ids

    if bool(torch.isinf(thr).any()):  # some rows have no k neighbours yet
        if q <= k:
            dense = pad.T if transposed else pad
            v, pos = torch.topk(dense[:, :L], min(k, L), dim=1)
            cand_v, cand_i = v, pos + c0
        else:
            _, top_g = torch.topk(gmax, k, dim=1, sorted=False)  # [R, k]
            r_idx = torch.arange(R).repeat_interleave(k)
            vals, ids = gather(r_idx, top_g.reshape(-1))
            vals, ids = vals.view(R, k * group), ids.view(R, k * group)
            v, p = torch.topk(vals, k, dim=1, sorted=False)
            cand_v, cand_i = v, torch.gather(ids, 1, p)
        best_v[rows], best_i[rows] = _merge(best_v[rows], best_i[rows], cand_v,
                                            cand_i, k)
        return
    r_idx, g_idx = torch.nonzero(gmax > thr[:, None], as_tuple=True)
    if r_idx.numel() == 0:
        return
    vals, ids = gather(r_idx, g_idx)  # [P, group]
    hit = vals > thr[r_idx][:, None]  # only these can enter a top-k
    if not bool(hit.any()):
        return
    cand_r = r_idx[:, None].expand(-1, group)[hit]
    touched = torch.unique(cand_r)  # sorted, not empty
    # candidates and the touched rows' current lists, by (row, -value)
    all_r = torch.cat([cand_r, touched.repeat_interleave(k)])
    all_v = torch.cat([vals[hit], best_v[r0 + touched].reshape(-1)])
    all_i = torch.cat([ids[hit], best_i[r0 + touched].reshape(-1)])
    if bounded:
        order = torch.argsort(
            4.0 * all_r.double() - all_v.double(), stable=True)
    else:
        order = torch.argsort(all_v, descending=True, stable=True)
        order = order[torch.argsort(all_r[order], stable=True)]
    counts = torch.bincount(all_r, minlength=R)[touched]
    starts = torch.cumsum(counts, 0) - counts
    keep = (starts[:, None] + torch.arange(k)[None, :]).reshape(-1)
    best_v[r0 + touched] = all_v[order[keep]].view(-1, k)
    best_i[r0 + touched] = all_i[order[keep]].view(-1, k)


#: Tiles whose sides are both at least this long are multiplied with
#: ``b``'s rows padded to a multiple of :data:`_PAD_COLUMNS` (see
#: :func:`_block_product`).
_PAD_MIN = 64
_PAD_COLUMNS = 8


def _block_product(a, b):
    """``a @ b.T`` of one tile (a seam for tests that watch tile sizes).

    torch's float32 GEMM (MKL) ran 30-45% slower here when the product's
    column count (``b``'s rows) is not a multiple of 8: 60-66 against
    85-95 GFLOP/s on one core for ``[1024, 2048] x [2048, N]``, ``N``
    2,049, 2,305 or 2,309 against 2,048, 2,056 or 2,304.  A tile of at
    least :data:`_PAD_MIN` rows and columns is therefore multiplied with
    ``b`` padded by zero rows to a multiple of :data:`_PAD_COLUMNS`, and
    the padding's columns are dropped (a view).  The entries are the
    same dot products in the same order: ``tests/test_active/
    test_query_speed_paths.py`` compares them bit for bit with the plain
    product (smaller tiles, where MKL may take other code paths, are not
    padded).
    """
    import torch
    m, n = a.shape[0], b.shape[0]
    extra = -n % _PAD_COLUMNS
    if extra == 0 or min(m, n) < _PAD_MIN:
        return a @ b.T
    padded = torch.nn.functional.pad(b, (0, 0, 0, extra))  # zero rows
    return (a @ padded.T)[:, :n]


def _diagonal_product(a, sub):
    """``a @ a.T`` of a diagonal tile from its upper strips only.

    The tile is symmetric: strips of ``sub`` rows (the last one takes the
    remainder, so every strip has ``sub`` to ``2 sub - 1`` rows) are
    multiplied with the columns from their own first row on, and the
    entries below the strips are their transposes: about half of the
    products of the full tile.  Each entry is the same dot product as in
    the full tile (the tests compare the two bit for bit); tiles shorter
    than ``2 sub`` are multiplied whole (a BLAS may round a product of a
    few rows differently).
    """
    import torch
    n = a.shape[0]
    if n < 2 * sub:
        return _block_product(a, a)
    out = torch.empty((n, n), dtype=a.dtype)
    starts = list(range(0, n - sub + 1, sub))
    for s, e in zip(starts, starts[1:] + [n]):
        row = _block_product(a[s:e], a[s:])  # [e - s, n - s]
        out[s:e, s:] = row
        out[e:, s:e] = row[:, e - s:].T
    return out


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
