"""SAGE's embedding (Bouvier et al., "Stochastic Adversarial Gradient
Embedding for Active Domain Adaptation", Sec. 3, Eq. 3-6).

Per target sample ``x`` with representation ``z = phi(x)`` (``[D]``), class
probabilities ``h = h(x)`` (``[C]``) and class-level discriminator outputs
``d_c(z)`` (``P(source | class c)``, the paper's convention: ``d -> 1`` on
source):

* Eq. 3: ``g^c = -d log d_c(z) / dz`` (``[C, D]``, one row per class);
* Eq. 4: ``mu = E_{y ~ h}[g^y] = sum_c h_c g^c``;
* Eq. 5 (POP, per realisation ``c``): ``lambda_c = |g^c . mu| / ||mu||^2``
  and ``g~^c = g^c - lambda_c mu``: the component along ``mu`` is removed
  when ``g^c . mu >= 0`` (``g~^c`` orthogonal to ``mu``) and doubled when
  ``g^c . mu < 0``;
* Eq. 6: ``S(x) = (sqrt(h_1) g~^1, ..., sqrt(h_C) g~^C)`` flattened to
  ``[C * D]``, so ``||S(x)||^2 = E_{y ~ h} ||g~^y||^2``.

:class:`SageSqDist` gives distances between embeddings without building
them (``N x C x D``, as large as the gradients themselves): with ``s_c =
sqrt(h_c)``, ``<S(u), S(a)> = sum_c s_uc s_ac (<g_uc, g_ac> - l_ac <g_uc,
mu_a> - l_uc <mu_u, g_ac> + l_uc l_ac <mu_u, mu_a>)``, one pass over the
gradients per batch of centres.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .distances import SqDist

__all__ = [
    'expected_gradient', 'positive_orthogonal_projection', 'sage_embedding',
    'SageSqDist', 'class_disc_grad'
]


def _check(prob: np.ndarray, grad: np.ndarray) -> None:
    if grad.ndim != 3:
        raise ValueError(f"'disc_grad' must be [N, C, D], got shape "
                         f'{grad.shape}')
    if prob.ndim != 2 or prob.shape != grad.shape[:2]:
        raise ValueError(f"'prob' {prob.shape} and 'disc_grad' {grad.shape}"
                         ' disagree: disc_grad needs one row per class')


def expected_gradient(prob: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Eq. 4: ``float64 [N, D]`` ``mu = sum_c h_c g^c``.

    Args:
        prob: ``[N, C]`` class probabilities ``h(x)``.
        grad: ``[N, C, D]`` per-class gradients ``g^c``.
    """
    prob, grad = np.asarray(prob), np.asarray(grad)
    _check(prob, grad)
    return np.einsum('nc,ncd->nd', prob.astype(np.float64),
                     grad.astype(np.float64))


def positive_orthogonal_projection(grad: np.ndarray,
                                   mu: np.ndarray,
                                   eps: float = 1e-12) -> np.ndarray:
    """Eq. 5: ``float64 [N, C, D]`` ``g~^c = g^c - lambda_c mu``.

    ``lambda_c = |g^c . mu| / (||mu||^2 + eps)``; ``eps`` keeps ``mu ~ 0``
    (a sample at a local minimum of the adversarial loss) finite:
    ``lambda_c mu`` stays bounded by ``||g^c||``.

    Args:
        grad: ``[N, C, D]`` gradients ``g^c``.
        mu: ``[N, D]`` expected gradient (Eq. 4).
        eps: added to ``||mu||^2``.
    """
    g = np.asarray(grad, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    dot = np.einsum('ncd,nd->nc', g, mu)
    lam = np.abs(dot) / (np.einsum('nd,nd->n', mu, mu)[:, None] + eps)
    return g - lam[:, :, None] * mu[:, None, :]


def sage_embedding(prob: np.ndarray,
                   grad: np.ndarray,
                   pop: bool = True,
                   eps: float = 1e-12,
                   max_elems: int = 1 << 22,
                   rows: Optional[np.ndarray] = None) -> np.ndarray:
    """Eq. 6: ``float32 [n, C * D]`` SAGE embeddings ``S(x)``.

    Computed in place in the float32 output, chunks of at most
    ``max_elems`` entries, with batched products (torch): ``mu = h g``,
    ``g . mu`` and the projection ``g - lambda mu^T`` as one ``baddbmm``;
    ``lambda`` in float64.

    Args:
        prob: ``[N, C]`` class probabilities.
        grad: ``[N, C, D]`` per-class discriminator gradients (Eq. 3).
        pop: apply the positive orthogonal projection (``False``: the
            paper's "Sage without POP" ablation, ``g~ = g``).
        eps: see :func:`positive_orthogonal_projection`.
        max_elems: gradient entries per chunk.
        rows: the rows to embed (default all); ``grad`` is only read
            chunk by chunk, never copied whole.
    """
    import torch
    prob, grad = np.asarray(prob), np.asarray(grad)
    _check(prob, grad)
    _, c, d = grad.shape
    rows = (
        np.arange(grad.shape[0]) if rows is None else np.asarray(
            rows, dtype=np.int64).reshape(-1))
    n = rows.size
    out = np.empty((n, c, d), dtype=np.float32)
    step = max(1, int(max_elems) // max(c * d, 1))
    for s in range(0, n, step):
        e = min(s + step, n)
        out[s:e] = grad[rows[s:e]]
        g = torch.from_numpy(out[s:e])  # a view: updated in place
        h = torch.from_numpy(prob[rows[s:e]].astype(np.float32))
        if pop:
            mu = torch.bmm(h[:, None, :], g)  # Eq. 4, [n, 1, D]
            dot = torch.bmm(g, mu.transpose(1, 2)).double()  # [n, C, 1]
            lam = dot.abs() / (mu.double().pow(2).sum(2, keepdim=True) + eps)
            g.baddbmm_(lam.float(), mu, alpha=-1.0)  # Eq. 5
        g.mul_(h.clamp_min(0).sqrt()[..., None])  # Eq. 6
    return out.reshape(n, c * d)


class SageSqDist(SqDist):
    """Squared distances between SAGE embeddings ``S(x)``, implicit.

    Per pool row only ``mu`` (``[N, D]``), ``sqrt(h_c)`` and ``lambda_c``
    (``[N, C]``) are kept.  Against a few centres ``a`` (whose
    ``S(a)`` is built, ``[m, C, D]``), ``<S(u), S(a)> = sum_c sqrt(h_uc)
    <g_uc, S_c(a)> - sum_c sqrt(h_uc) lambda_uc <mu_u, S_c(a)>``: the first
    sum is one batched product per class of the gradients ``[C, r, D]``
    with ``[C, D, m]``, read chunk by chunk as views of ``grad`` (never
    copied whole).  Up to float32 rounding, the distances equal those of
    :func:`sage_embedding`'s rows.

    Args:
        prob: ``[N, C]`` class probabilities.
        grad: ``[N, C, D]`` per-class discriminator gradients.
        rows: the rows to embed (default all).
        pop: positive orthogonal projection (Eq. 5).
        eps: added to ``||mu||^2``.
        max_elems: gradient entries read per chunk.
    """

    def __init__(self,
                 prob: np.ndarray,
                 grad: np.ndarray,
                 rows: Optional[np.ndarray] = None,
                 pop: bool = True,
                 eps: float = 1e-12,
                 max_elems: int = 1 << 22) -> None:
        import torch
        super().__init__(max_elems)
        prob = np.asarray(prob)
        _check(prob, np.asarray(grad))
        self.grad = grad
        total, c, d = grad.shape
        self.rows = (
            np.arange(total) if rows is None else np.asarray(
                rows, dtype=np.int64).reshape(-1))
        self.n = self.rows.size
        self.shape = (c, d)
        h = torch.from_numpy(prob.astype(np.float64)).clamp_min(0)
        self.sqrt_h = h.sqrt()  # [N, C], every pool row
        self.mu = torch.zeros(total, d)
        self.lam = torch.zeros(total, c, dtype=torch.float64)
        sq = torch.empty(total, dtype=torch.float64)
        step = self._step(1)
        for s in range(0, total, step):
            e = min(s + step, total)
            g = self._view(s, e)
            hs = h[s:e]
            gg = torch.linalg.vector_norm(g, dim=2).double().pow(2)
            if pop:
                m = torch.bmm(hs.float()[:, None, :], g)  # Eq. 4
                dot = torch.bmm(g, m.transpose(1, 2))[..., 0].double()
                mm = m[:, 0].double().pow(2).sum(1, keepdim=True)
                lam = dot.abs() / (mm + eps)  # Eq. 5
                gg = gg - 2 * lam * dot + lam * lam * mm
                self.mu[s:e] = m[:, 0]
                self.lam[s:e] = lam
            sq[s:e] = (hs * gg.clamp_min(0)).sum(1)  # Eq. 6
        self.sq = sq.numpy()[self.rows]
        if not np.isfinite(self.sq).all():
            raise ValueError("'disc_grad' or 'prob' hold NaN or inf values")
        self.pop = pop

    def _view(self, s: int, e: int):
        """float32 ``[e - s, C, D]`` of pool rows ``s:e`` (a view if the
        gradients are contiguous float32)."""
        import torch
        g = np.asarray(self.grad[s:e])
        return torch.from_numpy(np.ascontiguousarray(g, dtype=np.float32))

    def _step(self, m: int) -> int:
        return max(1, self.max_elems // (self.shape[0] * self.shape[1]))

    def embed(self, pool_rows: np.ndarray):
        """``float32 [m, C, D]`` ``S(x)`` (Eq. 6) of a few pool rows.

        Args:
            pool_rows: ``int [m]`` rows of the whole pool (of ``grad``), not
                positions in :attr:`rows`.

        Returns:
            torch.Tensor: ``float32 [m, C, D]``, projected (Eq. 5) if
            ``pop``, times ``sqrt(h_c)``.
        """
        import torch
        g = torch.from_numpy(
            np.ascontiguousarray(
                np.asarray(self.grad[pool_rows]), dtype=np.float32))
        if self.pop:
            lam = self.lam[pool_rows].float()
            g = g - lam[:, :, None] * self.mu[pool_rows][:, None, :]
        return g * self.sqrt_h[pool_rows].float()[:, :, None]

    def _dot(self, rows, cols):
        import torch
        centres = self.embed(self.rows[np.asarray(cols, dtype=np.int64)])
        m = centres.shape[0]
        by_class = centres.permute(1, 2, 0)  # [C, D, m]
        per_class = centres.reshape(-1, self.shape[1]).T  # [D, m * C]
        if isinstance(rows, slice):  # a span of pool rows, as a view
            want = self.rows[rows]
            lo, hi = int(want[0]), int(want[-1]) + 1
            g, pool_rows, pick = self._view(lo, hi), slice(lo, hi), \
                torch.from_numpy(want - lo)
        else:
            pool_rows = self.rows[np.asarray(rows, dtype=np.int64)]
            g = torch.from_numpy(
                np.ascontiguousarray(
                    np.asarray(self.grad[pool_rows]), dtype=np.float32))
            pick = None
        dots = torch.bmm(g.transpose(0, 1), by_class)  # <g_rc, S_c(a)>
        out = (dots.double() * self.sqrt_h[pool_rows].T[:, :, None]).sum(
            0)  # [r, m]
        if self.pop:
            proj = (self.mu[pool_rows] @ per_class).double()
            weight = self.sqrt_h[pool_rows] * self.lam[pool_rows]  # [r, C]
            out -= (proj.view(-1, m, self.shape[0]) *
                    weight[:, None, :]).sum(2)
        if pick is not None:
            out = out[pick]
        return out.numpy()


def class_disc_grad(disc_logits: Callable, z):
    """Eq. 3 by autograd: ``[B, C, D]`` rows ``-d log sigmoid(a_c(z))/dz``.

    A reference for the model side of the ``'disc_grad'`` contract, for a
    class-level discriminator whose output ``c`` is the logit ``a_c`` of
    ``d_c = P(source | class c)``.  Each sample's gradient must depend on
    that sample only (the discriminator in eval mode: no batch statistics).

    Args:
        disc_logits: ``[B, D] -> [B, C]`` discriminator (logits).
        z: ``[B, D]`` representations (a tensor).

    Returns:
        torch.Tensor: ``[B, C, D]``, detached.
    """
    import torch
    import torch.nn.functional as F
    with torch.enable_grad():
        z = z.detach().requires_grad_(True)
        a = disc_logits(z)
        if a.dim() != 2 or a.shape[0] != z.shape[0]:
            raise ValueError(f'discriminator output must be [B, C], got '
                             f'{tuple(a.shape)}')
        rows = []
        for c in range(a.shape[1]):
            (g, ) = torch.autograd.grad(
                -F.logsigmoid(a[:, c]).sum(),
                z,
                retain_graph=c + 1 < a.shape[1])
            rows.append(g)
    return torch.stack(rows, dim=1).detach()
