"""The (DCCM-weighted) InfoNCE of ADA-MCU (Eq. 9-12)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _positive_pairs(anchor_labels: Tensor,
                    sample_labels: Tensor) -> Tuple[Tensor, Tensor]:
    """All (anchor, sample) index pairs with equal labels, in O(pairs)."""
    order = torch.argsort(sample_labels, stable=True)
    sorted_labels = sample_labels[order]
    num = int(max(int(anchor_labels.max()), int(sample_labels.max()))) + 1
    counts = torch.bincount(sorted_labels, minlength=num)
    starts = torch.cumsum(counts, 0) - counts
    per_anchor = counts[anchor_labels]
    ai = torch.repeat_interleave(
        torch.arange(len(anchor_labels), device=anchor_labels.device),
        per_anchor)
    offsets = torch.cumsum(per_anchor, 0) - per_anchor
    rank = torch.arange(len(ai), device=ai.device) - offsets[ai]
    si = order[starts[anchor_labels[ai]] + rank]
    return ai, si


def weighted_info_nce(anchors: Tensor,
                      anchor_labels: Tensor,
                      samples: Tensor,
                      sample_labels: Tensor,
                      temperature: float,
                      weights: Optional[Tensor] = None,
                      exclude_ids: Optional[Tuple[Tensor, Tensor]] = None
                      ) -> Tuple[Tensor, Tensor]:
    """Per-anchor contrastive loss of Eq. 9/11 with ``H`` of Eq. 10.

    For anchor ``a`` with positives ``P_a`` (samples of its label) and
    negatives ``N_a`` (samples of another label), with
    ``l_as = w_as * (a . s) / temperature``::

        L_a = 1/|P_a| * sum_{p in P_a} -log( exp(l_ap) /
                                 (exp(l_ap) + sum_{n in N_a} exp(l_an)) )

    (every positive gets its own term; other positives are not in the
    denominator).  ``w`` is 1 (Eq. 12), one scalar per anchor, or one per
    pair (see :class:`~mmseg_ada.models.losses.DCCM`).

    Cost: the negatives' sums come from one ``exp`` of the logit matrix
    (shifted by its row maxima) and a product with the samples' one-hot
    classes (``[A, C]`` class sums, the anchor's own class left out, so no
    cancellation), and the positive terms are computed on the positive pairs
    only; a scalar weight per anchor scales the anchors before the product.
    Rows whose shifted negatives' sum (nearly) underflows (a positive far
    above every negative: not with L2-normalised embeddings at usual
    temperatures) are recomputed exactly with a masked logsumexp.

    Args:
        anchors (Tensor): ``[A, D]`` anchor embeddings.
        anchor_labels (Tensor): int64 ``[A]`` (``>= 0``).
        samples (Tensor): ``[S, D]`` positive/negative candidates.
        sample_labels (Tensor): int64 ``[S]`` (``>= 0``).
        temperature (float): ``lambda > 0``.
        weights (Tensor, optional): ``[A]`` or ``[A, S]`` DCCM weights.
        exclude_ids (tuple[Tensor, Tensor], optional): ``([A], [S])`` ids
            (e.g. flat pixel indices); a positive pair with equal ids (an
            anchor and its own pixel) is left out.

    Returns:
        tuple[Tensor, Tensor]: ``[A]`` losses and a ``[A]`` bool mask of the
        anchors that have at least one positive and one negative (the loss
        of the others is 0 and should not be averaged in).
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    n_a = len(anchors)
    zeros = anchors.new_zeros(n_a)
    if n_a == 0 or len(samples) == 0:
        return zeros, torch.zeros(n_a, dtype=torch.bool,
                                  device=anchors.device)
    if weights is not None:
        weights = weights.to(anchors.dtype)
    if weights is None or weights.ndim == 1:
        scale = 1. / temperature if weights is None else \
            (weights / temperature).unsqueeze(1)
        logits = (anchors * scale) @ samples.t()
    else:
        logits = (anchors @ samples.t()) * (weights / temperature)
    num = int(max(int(anchor_labels.max()), int(sample_labels.max()))) + 1
    onehot = F.one_hot(sample_labels, num).to(logits.dtype)  # [S, C]
    row_max = logits.detach().amax(1, keepdim=True)
    class_sums = torch.exp(logits - row_max) @ onehot  # [A, C]
    other = torch.ones_like(class_sums).scatter_(
        1, anchor_labels.unsqueeze(1), 0.)
    neg_sum = (class_sums * other).sum(1)
    tiny = torch.finfo(logits.dtype).tiny
    neg_lse = torch.log(neg_sum.clamp_min(tiny)) + row_max.squeeze(1)
    counts = onehot.sum(0)  # samples per class
    n_neg = len(samples) - counts[anchor_labels]
    # rows whose negatives' sum (nearly) underflowed: exact masked lse
    bad = (neg_sum < tiny * 2**40) & (n_neg > 0)
    if bool(bad.any()):
        rows = bad.nonzero().squeeze(1)
        neg = anchor_labels[rows].unsqueeze(1) != sample_labels.unsqueeze(0)
        exact = torch.logsumexp(
            logits[rows].masked_fill(~neg, float('-inf')), dim=1)
        neg_lse = neg_lse.index_put((rows, ), exact)
    ai, si = _positive_pairs(anchor_labels, sample_labels)
    if exclude_ids is not None:
        keep = exclude_ids[0][ai] != exclude_ids[1][si]
        ai, si = ai[keep], si[keep]
    lp = logits[ai, si]
    # -log(e^l / (e^l + sum_n e^n)) = logaddexp(l, lse_n) - l
    term = torch.logaddexp(lp, neg_lse[ai]) - lp
    n_pos = torch.bincount(ai, minlength=n_a)
    valid = (n_pos > 0) & (n_neg > 0)
    loss = zeros.index_add(0, ai, term) / n_pos.clamp_min(1).to(zeros.dtype)
    loss = torch.where(valid, loss, zeros)
    return loss, valid
