"""ADA-MCU's segmentation loss terms (Eq. 4-6)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ('mean', 'sum')


def masked_cross_entropy(logits: Tensor,
                         labels: Tensor,
                         ignore_index: int = 255,
                         reduction: str = 'mean',
                         log_probs: bool = False) -> Tensor:
    """Cross-entropy over the labelled pixels only (Eq. 4, 5 and 6).

    The paper writes every term of Eq. 6 as a *sum* over its pixels; summed
    terms scale with the number of pixels (all source pixels vs a few bought
    target pixels), so the default is the mean over each term's labelled
    pixels (mmseg's ``avg_non_ignore=True``), i.e. every term of Eq. 6 has
    the same weight whatever its pixel count; ``reduction='sum'`` is the
    literal form.

    Args:
        logits (Tensor): ``[B, C, H, W]`` logits at the label resolution.
        labels (Tensor): int64 ``[B, H, W]``; ``ignore_index`` = unlabelled.
        ignore_index (int): Unlabelled value. Default: 255.
        reduction (str): ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        log_probs (bool): ``logits`` are already ``log_softmax``-ed (one
            normalisation shared by several terms on the same logits; the
            same numbers as ``cross_entropy``). Default: False.

    Returns:
        Tensor: Scalar loss; an exact 0 (still attached to ``logits``) when
        no pixel is labelled.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                         f'{reduction!r}')
    if logits.shape[2:] != labels.shape[1:] or \
            logits.shape[0] != labels.shape[0]:
        raise ValueError(f'masked_cross_entropy: logits '
                         f'{tuple(logits.shape)} and labels '
                         f'{tuple(labels.shape)} do not match')
    loss = F.nll_loss if log_probs else F.cross_entropy
    total = loss(logits, labels, ignore_index=ignore_index, reduction='sum')
    if reduction == 'sum':
        return total
    count = (labels != ignore_index).sum()
    return total / count.clamp_min(1).to(total.dtype)


def masked_entropy(logits: Tensor,
                   mask: Tensor,
                   reduction: str = 'mean',
                   log_probs: bool = False) -> Tensor:
    """``CE(p, softmax(p))`` (not detached) on ``mask``: Eq. 5 read with the
    soft pseudo-label ``y~ = softmax(p)`` literally, i.e. entropy
    minimisation.

    Args:
        logits (Tensor): ``[B, C, H, W]``.
        mask (Tensor): bool ``[B, H, W]``.
        reduction (str): ``'mean'`` or ``'sum'``.
        log_probs (bool): ``logits`` are already ``log_softmax``-ed.

    Returns:
        Tensor: Scalar loss (0 when the mask is empty).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                         f'{reduction!r}')
    logp = logits if log_probs else F.log_softmax(logits, dim=1)
    ent = -(logp.exp() * logp).sum(1)
    total = (ent * mask).sum()
    if reduction == 'sum':
        return total
    return total / mask.sum().clamp_min(1).to(total.dtype)
