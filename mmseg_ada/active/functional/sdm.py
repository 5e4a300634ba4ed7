"""SDM's query score in closed form (Xie et al., CVPR 2022, Eq. 1, 3, 8, 9).

For a linear classifier ``z = W f + b`` on the feature ``f`` (``W`` is
``[C, D]``), every gradient "w.r.t. f" SDM needs is ``W^T`` times a
gradient w.r.t. the logits ``z``:

* Eq. 1 margin loss ``L_m(x, y) = sum_{i != y} [m - z_y + z_i]_+``:
  ``dL/dz = a - (sum_i a_i) e_y`` with ``a_i = 1[m - z_y + z_i > 0]``
  (``i != y``), so ``grad_f L_m = sum_i a_i (w_i - w_y)``;
* the query function ``Q = 1 - (p_1* - p_2*)`` (Eq. 3), ``p =
  softmax(z)``, top-2 indices held fixed: ``dp_k/dz = p_k (e_k - p)``, so
  ``grad_f Q = -W^T [p_1* (e_1* - p) - p_2* (e_2* - p)]``;
* Eq. 9: ``grad_f L_hat = p_1* grad_f L(x, 1*) + p_2* grad_f L(x, 2*)``.

The cosine of Eq. 8 only needs inner products of such vectors, ``<W^T u,
W^T v> = u^T (W W^T) v``, so the ``[C, C]`` Gram matrix replaces every
``[N, D]`` gradient: the score costs ``O(N C^2)`` after the logits.

``loss='train'`` uses the loss the released code differentiates instead
of Eq. 1: ``CE(z, y) + (1/C) sum_{i != y} [m - z^_y + z^_i]_+ - z^_y``
with ``z^ = z / ||z||``: ``dL/dz = softmax(z) - e_y + (v - z^ (z^ . v)) /
||z||``, ``v = (1/C)(a^ - (sum a^) e_y) - e_y``, ``a^`` the active hinge
terms on ``z^``.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

__all__ = [
    'linear_logits', 'top2', 'margin_loss_logit_grad', 'train_loss_logit_grad',
    'q_logit_grad', 'sdm_scores'
]


def linear_logits(feature: np.ndarray,
                  weight: np.ndarray,
                  bias: Optional[np.ndarray] = None) -> np.ndarray:
    """``float64 [N, C]`` logits ``f W^T + b``.

    Args:
        feature: ``[N, D]`` classifier inputs ``f``.
        weight: ``[C, D]`` classifier weight ``W``.
        bias: ``[C]`` classifier bias ``b`` (or ``None``: no bias).

    Returns:
        np.ndarray: ``float64 [N, C]`` logits.
    """
    f = np.asarray(feature, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    if f.ndim != 2 or w.ndim != 2 or f.shape[1] != w.shape[1]:
        raise ValueError(f'feature {f.shape} and classifier weight '
                         f'{w.shape} do not match ([N, D] and [C, D])')
    z = f @ w.T
    if bias is not None:
        b = np.asarray(bias, dtype=np.float64).reshape(-1)
        if b.shape != (w.shape[0], ):
            raise ValueError(f'classifier bias has shape {b.shape}, '
                             f'expected ({w.shape[0]},)')
        z += b
    return z


def top2(prob: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``int64 [N]`` indices of the largest and second largest entries
    (ties: the lower class index first).

    Args:
        prob: ``[N, C]`` scores (e.g. softmax probabilities), ``C >= 2``.

    Returns:
        tuple: ``(i1, i2)``, each ``int64 [N]``: the column of each row's
        largest and second largest entry.
    """
    order = np.argsort(-np.asarray(prob), axis=1, kind='stable')
    return order[:, 0].astype(np.int64), order[:, 1].astype(np.int64)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _hinge_grad(z: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """``d/dz sum_{i != y} [m - z_y + z_i]_+`` for each row."""
    rows = np.arange(z.shape[0])
    act = (margin - z[rows, y][:, None] + z) > 0
    act[rows, y] = False
    g = act.astype(np.float64)
    g[rows, y] = -g.sum(1)
    return g


def margin_loss_logit_grad(logits: np.ndarray,
                           label: np.ndarray,
                           margin: float = 1.0) -> np.ndarray:
    """Eq. 1 on raw logits: ``float64 [N, C]`` ``dL_m(x, y)/dz``.

    ``grad_f L_m = dL/dz @ W``.

    Args:
        logits: ``[N, C]`` raw logits ``z``.
        label: ``[N]`` the assumed label ``y`` of each row.
        margin: ``m`` (1 in the paper).
    """
    z = np.asarray(logits, dtype=np.float64)
    return _hinge_grad(z, np.asarray(label, dtype=np.int64), float(margin))


def train_loss_logit_grad(logits: np.ndarray,
                          label: np.ndarray,
                          margin: float = 1.0,
                          eps: float = 1e-12) -> np.ndarray:
    """The released code's training loss: ``float64 [N, C]`` ``dL/dz``.

    ``L = CE(z, y) + (1/C) sum_{i != y} [m - z^_y + z^_i]_+ - z^_y`` with
    ``z^ = z / ||z||`` (the hinge averaged over the ``C`` entries, as
    ``multi_margin_loss``; no SDM-A modulation, which the code discards).

    Args:
        logits: ``[N, C]`` raw logits.
        label: ``[N]`` assumed labels.
        margin: ``m``.
        eps: smallest logit norm.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(label, dtype=np.int64)
    rows = np.arange(z.shape[0])
    C = z.shape[1]
    r = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), eps)
    zh = z / r
    v = _hinge_grad(zh, y, float(margin)) / C
    v[rows, y] -= 1.0
    dz_norm = (v - zh * (zh * v).sum(1, keepdims=True)) / r
    ce = _softmax(z)
    ce[rows, y] -= 1.0
    return ce + dz_norm


def q_logit_grad(logits: np.ndarray, i1: np.ndarray,
                 i2: np.ndarray) -> np.ndarray:
    """Eq. 3: ``float64 [N, C]`` ``dQ/dz`` of ``Q = 1 - (p_i1 - p_i2)``.

    ``p = softmax(z)``; the indices are held fixed.

    Args:
        logits: ``[N, C]`` raw logits ``z``.
        i1: ``[N]`` class index of each row's largest probability.
        i2: ``[N]`` class index of each row's second largest probability.

    Returns:
        np.ndarray: ``float64 [N, C]`` gradient of ``Q`` w.r.t. ``z``.
    """
    z = np.asarray(logits, dtype=np.float64)
    p = _softmax(z)
    rows = np.arange(z.shape[0])
    p1, p2 = p[rows, i1][:, None], p[rows, i2][:, None]
    e1 = np.zeros_like(p)
    e1[rows, i1] = 1.0
    e2 = np.zeros_like(p)
    e2[rows, i2] = 1.0
    return -(p1 * (e1 - p) - p2 * (e2 - p))


def sdm_scores(prob: np.ndarray,
               feature: np.ndarray,
               weight: np.ndarray,
               bias: Optional[np.ndarray] = None,
               lam: float = 0.01,
               margin: float = 1.0,
               loss: str = 'margin',
               sign: float = 1.0,
               chunk: int = 16384,
               eps: float = 1e-12) -> Dict[str, np.ndarray]:
    """SDM-G query score ``Q~ = Q + lam * cos(grad_f L_hat, grad_f Q)``.

    Args:
        prob: ``[N, C]`` the model's softmax (Eq. 2): gives ``Q`` (Eq. 3),
            the top-2 classes and the Eq. 9 weights ``p_1*, p_2*``.
        feature: ``[N, D]`` the input ``f`` of the linear classifier.
        weight: ``[C, D]`` classifier weight ``W``.
        bias: ``[C]`` classifier bias (or ``None``).
        lam: ``lambda`` (0.01); 0 gives plain margin sampling.
        margin: ``m`` of the loss.
        loss: ``'margin'`` (Eq. 1) or ``'train'`` (the code's loss).
        sign: +1 reads Eq. 8's ``Q_m`` as ``Q``; -1 as the margin
            ``p_1* - p_2*`` (flips the cosine).
        chunk: rows per chunk.
        eps: smallest norm product of the cosine.

    Returns:
        dict: ``float64 [N]`` ``score``, ``q`` (Eq. 3) and ``cos``, and
        ``prob_gap`` (the largest ``|prob - softmax(f W^T + b)|`` over the
        pool: large values mean ``feature`` is not the classifier's input).
    """
    if loss not in ('margin', 'train'):
        raise ValueError(f"loss must be 'margin' or 'train', got {loss!r}")
    p = np.asarray(prob, dtype=np.float64)
    n = p.shape[0]
    i1, i2 = top2(p)
    rows = np.arange(n)
    p1, p2 = p[rows, i1], p[rows, i2]
    q = 1.0 - (p1 - p2)
    cos = np.zeros(n)
    gap = 0.0
    if lam != 0 and n:
        w = np.asarray(weight, dtype=np.float64)
        gram = w @ w.T
        grad = (
            margin_loss_logit_grad
            if loss == 'margin' else train_loss_logit_grad)
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            z = linear_logits(np.asarray(feature[s:e]), w, bias)
            gap = max(gap, float(np.abs(_softmax(z) - p[s:e]).max()))
            a, b = i1[s:e], i2[s:e]
            gl = (
                p1[s:e, None] * grad(z, a, margin) +
                p2[s:e, None] * grad(z, b, margin))
            gq = q_logit_grad(z, a, b)
            glg, gqg = gl @ gram, gq @ gram
            dot = (glg * gq).sum(1)
            nl = np.sqrt(np.maximum((glg * gl).sum(1), 0.0))
            nq = np.sqrt(np.maximum((gqg * gq).sum(1), 0.0))
            cos[s:e] = dot / np.maximum(nl * nq, eps)
    score = q + float(lam) * float(sign) * cos
    return dict(score=score, q=q, cos=cos, prob_gap=np.float64(gap))
