"""Squared Euclidean distances between rows of a pool, without ``N x N``.

Seeding and traversal algorithms (k-means++, farthest-first) only ever need
the distances from every row to a *few* rows (the newest centres), so they
take a distance object ``dist(rows, cols) -> [len(rows), len(cols)]``
instead of a matrix:

* :class:`DenseSqDist` - rows of an explicit ``[N, D]`` embedding;
* :class:`~.sage.SageSqDist` - SAGE embeddings, from the gradients;
* :class:`OuterSqDist` - rows ``g_i = a_i (x) z_i`` (outer products, the
  BADGE gradient embedding) that are never materialised: ``||g_i - g_j||^2
  = ||a_i||^2 ||z_i||^2 + ||a_j||^2 ||z_j||^2 - 2 (a_i . a_j)(z_i . z_j)``.

Products run in float32 (through torch) in row chunks of at most
``max_elems`` output entries; sums of norms run in float64 and results are
clipped at 0.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = ['SqDist', 'DenseSqDist', 'OuterSqDist', 'min_sq_dist']

#: Output entries per chunk (8 MB of float64).
MAX_ELEMS = 1 << 20


def _sq_norms(x) -> np.ndarray:
    """``float64 [N]`` squared row norms of a float32 tensor (BLAS-speed;
    float32 accumulation, as the products they are combined with)."""
    import torch
    return torch.linalg.vector_norm(x, dim=1).double().pow(2).numpy()


def _as_f32(x: np.ndarray, name: str) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f'{name} must be [N, D], got shape {x.shape}')
    return x


def _check_finite(sq: np.ndarray, name: str) -> np.ndarray:
    """Squared norms are finite iff the rows are (one pass fewer)."""
    if not np.isfinite(sq).all():
        raise ValueError(f'{name} holds NaN or inf values (or overflows '
                         'float32 when squared)')
    return sq


class SqDist:
    """Base of the distance objects: chunking of ``dist(rows, cols)``.

    A subclass sets ``n``, ``sq`` (``float64 [n]`` squared norms) and
    implements ``_dot(rows, cols)`` (inner products of a chunk of rows, a
    slice or indices, with the rows ``cols``).

    Args:
        max_elems: output entries per chunk of :meth:`__call__` (rows per
            chunk: ``max_elems // len(cols)``, at least 1); default
            ``MAX_ELEMS`` (``2**20``).
    """

    n: int
    sq: np.ndarray  # float64 [n] squared norms

    def __init__(self, max_elems: int = MAX_ELEMS) -> None:
        self.max_elems = int(max_elems)

    def __len__(self) -> int:
        return self.n

    def _dot(self, rows, cols):  # -> float64 [len(rows), len(cols)]
        raise NotImplementedError

    def _step(self, m: int) -> int:
        """Rows per chunk against ``m`` columns."""
        return max(1, self.max_elems // max(m, 1))

    def __call__(self, rows: Optional[np.ndarray],
                 cols: np.ndarray) -> np.ndarray:
        """``float64 [len(rows), len(cols)]`` squared distances.

        Args:
            rows: row indices, or ``None`` for all rows (in chunks).
            cols: row indices of the other side (a few centres).
        """
        cols = np.asarray(cols, dtype=np.int64).reshape(-1)
        if rows is None:
            rows_idx = None
            m = self.n
        else:
            rows_idx = np.asarray(rows, dtype=np.int64).reshape(-1)
            m = rows_idx.size
        out = np.empty((m, cols.size), dtype=np.float64)
        step = self._step(cols.size)
        for s in range(0, m, step):
            e = min(s + step, m)
            r = slice(s, e) if rows_idx is None else rows_idx[s:e]
            block = self._dot(r, cols)
            block *= -2.0
            block += self.sq[r][:, None]
            block += self.sq[cols][None, :]
            np.maximum(block, 0.0, out=out[s:e])
        return out


class DenseSqDist(SqDist):
    """Squared distances between rows of an explicit embedding.

    Args:
        x: ``[N, D]`` rows (cast to float32).
        max_elems: output entries per chunk.
    """

    def __init__(self, x: np.ndarray, max_elems: int = MAX_ELEMS) -> None:
        import torch
        super().__init__(max_elems)
        x = _as_f32(x, 'embedding')
        self.n = x.shape[0]
        #: the float32 rows (shared with the torch view).
        self.x = x
        self._x = torch.from_numpy(x)
        self.sq = _check_finite(_sq_norms(self._x), 'embedding')

    def _dot(self, rows, cols):
        xc = self._x[cols]
        return (self._x[rows] @ xc.T).double().numpy()


class OuterSqDist(SqDist):
    """Squared distances between outer products ``g_i = a_i (x) z_i``.

    ``<g_i, g_j> = (a_i . a_j)(z_i . z_j)`` (Frobenius), so no ``[N, C*D]``
    matrix is needed.

    Args:
        a: ``[N, C]`` first factors (BADGE: ``p - onehot(argmax p)``).
        z: ``[N, D]`` second factors (BADGE: the penultimate embedding).
        max_elems: output entries per chunk.
    """

    def __init__(self,
                 a: np.ndarray,
                 z: np.ndarray,
                 max_elems: int = MAX_ELEMS) -> None:
        import torch
        super().__init__(max_elems)
        a = _as_f32(a, 'first factor')
        z = _as_f32(z, 'second factor')
        if a.shape[0] != z.shape[0]:
            raise ValueError(f'factors have {a.shape[0]} and {z.shape[0]} '
                             'rows')
        self.n = a.shape[0]
        self._a = torch.from_numpy(a)
        self._z = torch.from_numpy(z)
        self.sq = _check_finite(
            _sq_norms(self._a) * _sq_norms(self._z), 'factors')

    def _dot(self, rows, cols):
        pa = (self._a[rows] @ self._a[cols].T).numpy()
        pz = (self._z[rows] @ self._z[cols].T).numpy()
        # float64 product of the float32 factors (exact, one pass)
        return np.multiply(pa, pz, dtype=np.float64)


def min_sq_dist(x: np.ndarray, y: np.ndarray, block: int = 2048) -> np.ndarray:
    """``float64 [N]``: squared distance of each row of ``x`` to the
    nearest row of ``y`` (``inf`` when ``y`` is empty).

    Computed in ``[block, block]`` tiles.

    Args:
        x: ``[N, D]``.
        y: ``[M, D]``.
        block: tile side.
    """
    import torch
    x = _as_f32(x, 'x')
    y = _as_f32(np.reshape(y, (-1, x.shape[1])), 'y')
    out = np.full(x.shape[0], np.inf)
    if y.shape[0] == 0 or x.shape[0] == 0:
        return out
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    xsq = _check_finite(_sq_norms(xt), 'x')
    ysq = _check_finite(_sq_norms(yt), 'y')
    for s in range(0, x.shape[0], block):
        e = min(s + block, x.shape[0])
        best = out[s:e]
        for t in range(0, y.shape[0], block):
            f = min(t + block, y.shape[0])
            d = (xt[s:e] @ yt[t:f].T).double().numpy()
            d *= -2.0
            d += xsq[s:e, None]
            d += ysq[None, t:f]
            np.minimum(best, d.min(1), out=best)
    return np.maximum(out, 0.0)
