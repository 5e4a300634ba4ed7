"""The (DCCM-weighted) InfoNCE of ADA-MCU (Eq. 9-12)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor


def _positive_pairs(anchor_keys: Tensor,
                    sample_keys: Tensor,
                    counts: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """All (anchor, sample) index pairs with equal keys, in O(pairs).

    Pairs are ordered by anchor, then by sample index.  ``counts``
    (``bincount(sample_keys)`` over at least ``max(anchor_keys) + 1`` bins)
    can be passed when known.
    """
    order = torch.argsort(sample_keys, stable=True)
    if counts is None:
        num = int(max(int(anchor_keys.max()), int(sample_keys.max()))) + 1
        counts = torch.bincount(sample_keys, minlength=num)
    per_anchor = counts.index_select(0, anchor_keys)
    offsets = torch.cumsum(per_anchor, 0) - per_anchor
    # pair p of anchor a reads order[start(key_a) + p - offset_a]
    base = (torch.cumsum(counts, 0) - counts).index_select(
        0, anchor_keys) - offsets
    ai = torch.repeat_interleave(
        torch.arange(len(anchor_keys), device=anchor_keys.device), per_anchor)
    si = order.index_select(
        0,
        base.index_select(0, ai) + torch.arange(len(ai), device=ai.device))
    return ai, si


def weighted_info_nce(anchors: Tensor,
                      anchor_labels: Tensor,
                      samples: Tensor,
                      sample_labels: Tensor,
                      temperature: float,
                      weights: Optional[Tensor] = None,
                      exclude_ids: Optional[Tuple[Tensor, Tensor]] = None,
                      sample_groups: Optional[Tensor] = None,
                      num_groups: int = 1) -> Tuple[Tensor, Tensor]:
    """Per-anchor contrastive loss of Eq. 9/11 with ``H`` of Eq. 10.

    For anchor ``a`` with positives ``P_a`` (samples of its label) and
    negatives ``N_a`` (samples of another label), with
    ``l_as = w_as * (a . s) / temperature``::

        L_a = 1/|P_a| * sum_{p in P_a} -log( exp(l_ap) /
                                 (exp(l_ap) + sum_{n in N_a} exp(l_an)) )

    (every positive gets its own term; other positives are not in the
    denominator).  ``w`` is 1 (Eq. 12), one scalar per anchor, or one per
    pair (see :class:`~mmseg_ada.models.losses.DCCM`).  With
    ``sample_groups`` the samples form ``num_groups`` separate sets (e.g.
    the same image, another image, the other domain) and every anchor gets
    one loss per set, its positives and negatives taken from that set only,
    from one logit matrix.

    Cost: the negatives' sums come from one ``exp`` of the logit matrix
    (shifted by its row maxima) summed per (set, class) of the samples
    (``[A, G x C]`` sums, the anchor's own class left out, so no
    cancellation), and the positive terms are computed on the positive
    pairs only; a scalar weight per anchor scales the anchors before the
    product.  Entries whose shifted negatives' sum (nearly) underflows (a
    positive far above every negative: not with L2-normalised embeddings at
    usual temperatures) are recomputed exactly with a masked logsumexp.

    Args:
        anchors (Tensor): ``[A, D]`` anchor embeddings.
        anchor_labels (Tensor): int64 ``[A]`` (``>= 0``).
        samples (Tensor): ``[S, D]`` positive/negative candidates.
        sample_labels (Tensor): int64 ``[S]`` (``>= 0``).
        temperature (float): ``lambda > 0``.
        weights (Tensor, optional): ``[A]`` or ``[A, S]`` DCCM weights.
        exclude_ids (tuple[Tensor, Tensor], optional): ``([A], [S])`` ids
            (e.g. flat pixel indices, -1 for none); a positive pair with
            equal ids (an anchor and its own pixel) is left out.
        sample_groups (Tensor, optional): int64 ``[S]`` set of every sample
            in ``[0, num_groups)``; ``None``: one set.
        num_groups (int): Number of sets. Default: 1.

    Returns:
        tuple[Tensor, Tensor]: Losses and a bool mask of the (anchor, set)
        pairs that have at least one positive and one negative (the loss of
        the others is 0 and should not be averaged in); ``[A]`` each without
        ``sample_groups``, ``[A, num_groups]`` with.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    grouped = sample_groups is not None
    n_a, n_g = len(anchors), (int(num_groups) if grouped else 1)
    shape = (n_a, n_g) if grouped else (n_a, )
    zeros = anchors.new_zeros(n_a * n_g)
    if n_a == 0 or len(samples) == 0:
        return zeros.view(shape), torch.zeros(
            shape, dtype=torch.bool, device=anchors.device)
    if sample_groups is None:
        sample_groups = torch.zeros_like(sample_labels)
    if weights is not None:
        weights = weights.to(anchors.dtype)
    if weights is None or weights.ndim == 1:
        scale = 1. / temperature if weights is None else \
            (weights / temperature).unsqueeze(1)
        logits = (anchors * scale) @ samples.t()
    else:
        logits = (anchors @ samples.t()) * (weights / temperature)
    n_c = int(max(int(anchor_labels.max()), int(sample_labels.max()))) + 1
    skey = sample_groups * n_c + sample_labels  # (set, class) of a sample
    row_max = logits.detach().amax(1, keepdim=True)
    # exp in place of the shifted logits: one [A, S] temporary less
    class_sums = logits.new_zeros(n_a, n_g * n_c).index_add(
        1, skey, (logits - row_max).exp_()).view(n_a, n_g, n_c)
    other = torch.ones_like(class_sums).scatter_(
        2,
        anchor_labels.view(n_a, 1, 1).expand(n_a, n_g, 1), 0.)
    neg_sum = (class_sums * other).sum(2)  # [A, G]
    tiny = torch.finfo(logits.dtype).tiny
    neg_lse = torch.log(neg_sum.clamp_min(tiny)) + row_max
    counts = torch.bincount(skey, minlength=n_g * n_c)
    n_neg = counts.view(n_g, n_c).sum(1).unsqueeze(0) - counts.view(
        n_g, n_c).index_select(1, anchor_labels).t()
    # (anchor, set) entries whose negatives' sum (nearly) underflowed
    bad = (neg_sum < tiny * 2**40) & (n_neg > 0)
    if bool(bad.any()):
        rows, grp = bad.nonzero(as_tuple=True)
        neg = (anchor_labels[rows].unsqueeze(1) != sample_labels) & (
            grp.unsqueeze(1) == sample_groups)
        exact = torch.logsumexp(
            logits[rows].masked_fill(~neg, float('-inf')), dim=1)
        neg_lse = neg_lse.index_put((rows, grp), exact)
    # positives: same set and class; one term per pair
    groups = torch.arange(n_g, device=anchors.device)
    akey = (groups.view(1, n_g) * n_c + anchor_labels.view(n_a, 1))
    flat_a, si = _positive_pairs(akey.reshape(-1), skey, counts)  # a * G + g
    ai = flat_a // n_g if n_g > 1 else flat_a
    if exclude_ids is not None:
        keep = (exclude_ids[0].index_select(0, ai)
                != exclude_ids[1].index_select(0, si)).nonzero().squeeze(1)
        flat_a, si, ai = (t.index_select(0, keep) for t in (flat_a, si, ai))
    # flat gathers: the same values as logits[ai, si] and neg_lse[ai, gi]
    lp = logits.reshape(-1).index_select(0, ai * len(samples) + si)
    # -log(e^l / (e^l + sum_n e^n)) = logaddexp(l, lse_n) - l
    term = torch.logaddexp(lp,
                           neg_lse.reshape(-1).index_select(0, flat_a)) - lp
    n_pos = torch.bincount(flat_a, minlength=n_a * n_g)
    valid = (n_pos > 0) & (n_neg.reshape(-1) > 0)
    loss = zeros.index_add(0, flat_a, term) / n_pos.clamp_min(1).to(
        zeros.dtype)
    loss = torch.where(valid, loss, zeros)
    return loss.view(shape), valid.view(shape)
