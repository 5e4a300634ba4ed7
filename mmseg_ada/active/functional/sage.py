"""SAGE's embedding (de Mathelin et al., "Stochastic Adversarial Gradient
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
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

__all__ = ['expected_gradient', 'positive_orthogonal_projection',
           'sage_embedding', 'class_disc_grad']


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


def positive_orthogonal_projection(grad: np.ndarray, mu: np.ndarray,
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


def sage_embedding(prob: np.ndarray, grad: np.ndarray, pop: bool = True,
                   eps: float = 1e-12, max_elems: int = 1 << 22,
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
    rows = (np.arange(grad.shape[0]) if rows is None else
            np.asarray(rows, dtype=np.int64).reshape(-1))
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
            lam = dot.abs() / (mu.double().pow(2).sum(2, keepdim=True) +
                               eps)
            g.baddbmm_(lam.float(), mu, alpha=-1.0)  # Eq. 5
        g.mul_(h.clamp_min(0).sqrt()[..., None])  # Eq. 6
    return out.reshape(n, c * d)


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
            (g, ) = torch.autograd.grad(-F.logsigmoid(a[:, c]).sum(), z,
                                        retain_graph=c + 1 < a.shape[1])
            rows.append(g)
    return torch.stack(rows, dim=1).detach()
