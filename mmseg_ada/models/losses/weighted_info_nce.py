"""The (DCCM-weighted) InfoNCE of ADA-MCU (Eq. 9-12)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor


def weighted_info_nce(anchors: Tensor,
                      anchor_labels: Tensor,
                      samples: Tensor,
                      sample_labels: Tensor,
                      temperature: float,
                      weights: Optional[Tensor] = None,
                      exclude: Optional[Tensor] = None
                      ) -> Tuple[Tensor, Tensor]:
    """Per-anchor contrastive loss of Eq. 9/11 with ``H`` of Eq. 10.

    For anchor ``a`` with positives ``P_a`` (samples of its label) and
    negatives ``N_a`` (samples of another label), with
    ``l_as = w_as * (a . s) / temperature``::

        L_a = 1/|P_a| * sum_{p in P_a} -log( exp(l_ap) /
                                 (exp(l_ap) + sum_{n in N_a} exp(l_an)) )

    (every positive gets its own term; other positives are not in the
    denominator).  ``w`` is 1 (Eq. 12), one scalar per anchor, or one per
    pair (see :class:`~mmseg_ada.models.losses.DCCM`).  Computed in log
    space (logsumexp), so large logits do not overflow.

    Args:
        anchors (Tensor): ``[A, D]`` anchor embeddings.
        anchor_labels (Tensor): int64 ``[A]``.
        samples (Tensor): ``[S, D]`` positive/negative candidates.
        sample_labels (Tensor): int64 ``[S]``.
        temperature (float): ``lambda > 0``.
        weights (Tensor, optional): ``[A]`` or ``[A, S]`` DCCM weights.
        exclude (Tensor, optional): ``[A, S]`` bool pairs to leave out
            (e.g. an anchor and itself).

    Returns:
        tuple[Tensor, Tensor]: ``[A]`` losses and a ``[A]`` bool mask of the
        anchors that have at least one positive and one negative (the loss
        of the others is 0 and should not be averaged in).
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    logits = anchors @ samples.t() / temperature
    if weights is not None:
        logits = logits * (weights.unsqueeze(1) if weights.ndim == 1
                           else weights)
    same = anchor_labels.unsqueeze(1) == sample_labels.unsqueeze(0)
    pos, neg = same, ~same
    if exclude is not None:
        pos, neg = pos & ~exclude, neg & ~exclude
    neg_inf = torch.finfo(logits.dtype).min
    neg_lse = torch.logsumexp(logits.masked_fill(~neg, neg_inf), dim=1)
    # -log(e^l / (e^l + sum_n e^n)) = logaddexp(l, lse_n) - l
    term = torch.logaddexp(logits, neg_lse.unsqueeze(1)) - logits
    n_pos = pos.sum(1)
    valid = (n_pos > 0) & neg.any(1)
    loss = (term * pos).sum(1) / n_pos.clamp_min(1)
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    return loss, valid
