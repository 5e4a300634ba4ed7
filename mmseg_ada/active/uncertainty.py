"""Uncertainty of a segmentor's or classifier's predictions.

* :func:`pixel_uncertainty` (torch, ``[C, H, W]``) and
  :func:`row_uncertainty` (numpy, ``[N, C]``): entropy, confidence and
  margin of softmax probabilities, the statistics behind ENT, CONF and MAR
  and the units' pooled scores;
* :func:`mcu_uncertainty`: ADA-MCU's pixel score on logits (Eq. 1-3 of the
  paper), built from :func:`normalized_entropy` and :func:`kl_main_aux`.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'pixel_uncertainty', 'row_uncertainty', 'normalized_entropy',
    'kl_main_aux', 'mcu_uncertainty'
]

PIXEL_STATISTICS = ('entropy', 'confidence', 'margin')


def pixel_uncertainty(
        prob: Union[torch.Tensor, np.ndarray],
        stats: Optional[Sequence[str]] = None) -> Dict[str, torch.Tensor]:
    """Per-pixel uncertainty of a softmax map.

    Args:
        prob: ``[C, H, W]`` class probabilities (``C >= 2``).
        stats: the statistics to compute, a subset of ``'entropy'``,
            ``'confidence'``, ``'margin'``; ``None``: all three.  Each map
            is the same whichever others are asked for.

    Returns:
        dict: ``[H, W]`` maps ``'entropy'`` (``-sum_c p log p``, natural
        log, ``0 log 0 = 0``), ``'confidence'`` (max probability) and
        ``'margin'`` (top-1 minus top-2 probability), those of ``stats``.
    """
    p = prob if isinstance(prob, torch.Tensor) else torch.as_tensor(
        np.asarray(prob))
    if p.dim() != 3 or p.shape[0] < 2:
        raise ValueError('prob must be [C, H, W] with C >= 2, got shape '
                         f'{tuple(p.shape)}')
    if not p.is_floating_point():
        raise ValueError(f'prob must be floating point, got {p.dtype}')
    wanted = PIXEL_STATISTICS if stats is None else tuple(stats)
    unknown = set(wanted) - set(PIXEL_STATISTICS)
    if unknown:
        raise ValueError(f'unknown statistics {sorted(unknown)}, expected '
                         f'some of {PIXEL_STATISTICS}')
    out = {}
    if 'entropy' in wanted:
        out['entropy'] = torch.special.entr(p).sum(0)
    if 'margin' in wanted or 'confidence' in wanted:
        # running top-2 over the channels (~8x faster than topk(dim=0) on
        # CPU); the second place only when the margin is asked for
        margin = 'margin' in wanted
        first = p[0].clone()
        second = torch.full_like(p[0], float('-inf')) if margin else None
        for c in range(1, p.shape[0]):
            x = p[c]
            if margin:
                second = torch.maximum(second, torch.minimum(first, x))
            first = torch.maximum(first, x)
        if margin:
            out['margin'] = first - second
        if 'confidence' in wanted:
            out['confidence'] = first
    return {k: out[k] for k in PIXEL_STATISTICS if k in out}


def row_uncertainty(prob: np.ndarray) -> Dict[str, np.ndarray]:
    """The statistics of :func:`pixel_uncertainty` for ``[N, C]`` rows.

    Args:
        prob: ``[N, C]`` class probabilities (``C >= 2``).

    Returns:
        dict: ``float32 [N]`` ``'entropy'``, ``'confidence'``, ``'margin'``.
    """
    p = np.asarray(prob, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f'prob must be [N, C] with C >= 2, got {p.shape}')
    with np.errstate(divide='ignore', invalid='ignore'):
        ent = -np.where(p > 0, p * np.log(p), 0.0).sum(1)
    top2 = -np.partition(-p, 1, axis=1)[:, :2]
    return dict(
        entropy=ent.astype(np.float32),
        confidence=top2[:, 0].astype(np.float32),
        margin=(top2[:, 0] - top2[:, 1]).astype(np.float32))


def normalized_entropy(logits: Tensor) -> Tensor:
    """Entropy of the softmax divided by ``log C`` (Eq. 2).

    ``E = -1/log(C) * sum_c p_c log p_c`` with ``p = softmax(logits)`` over
    dimension 1, in ``[0, 1]``.

    Args:
        logits (Tensor): ``[B, C, ...]`` logits (``C >= 2``).

    Returns:
        Tensor: ``[B, ...]`` normalised entropy.
    """
    num_classes = logits.shape[1]
    if num_classes < 2:
        raise ValueError('normalized_entropy needs at least 2 classes, got '
                         f'logits of shape {tuple(logits.shape)}')
    logp = F.log_softmax(logits, dim=1)
    return -(logp.exp() * logp).sum(1) / math.log(num_classes)


def kl_main_aux(main_logits: Tensor, aux_logits: Tensor) -> Tensor:
    """Pixel-wise ``KL(p || p_hat)`` of two softmax outputs (Eq. 3).

    ``D = sum_c p_c (log p_c - log p_hat_c)`` with ``p = softmax(main)``
    (the main head) and ``p_hat = softmax(aux)`` (the auxiliary head),
    computed from log-softmaxes (never ``log(0)``), not normalised, >= 0.
    mmseg's ``KLDivLoss`` is *not* this (it softmaxes where ``F.kl_div``
    wants log-probabilities).

    Args:
        main_logits (Tensor): ``[B, C, ...]``.
        aux_logits (Tensor): Same shape.

    Returns:
        Tensor: ``[B, ...]`` KL divergence.
    """
    if main_logits.shape != aux_logits.shape:
        raise ValueError(
            f'kl_main_aux: main logits {tuple(main_logits.shape)} and '
            f'auxiliary logits {tuple(aux_logits.shape)} differ in shape')
    logp = F.log_softmax(main_logits, dim=1)
    logq = F.log_softmax(aux_logits, dim=1)
    return (logp.exp() * (logp - logq)).sum(1).clamp_min(0.)


def mcu_uncertainty(main_logits: Tensor,
                    aux_logits: Tensor = None,
                    gamma: float = 0.5,
                    align_corners: bool = False,
                    score_only: bool = False) -> Dict[str, Tensor]:
    """ADA-MCU's uncertainty score ``S = E + gamma * KL(p || p_hat)`` (Eq. 1).

    ``E`` is the normalised entropy of the main head (Eq. 2) and the KL
    compares the main head with the auxiliary head (Eq. 3; DeepLabV2:
    layer4 ASPP classifier vs layer3 classifier; DeepLabV3+: decode head vs
    auxiliary FCN head).  The auxiliary logits are bilinearly resized to the
    main logits' resolution first.  Higher ``S`` = more uncertain; ``S`` is in
    ``[0, inf)``.

    Args:
        main_logits (Tensor): ``[B, C, H, W]`` main-head logits.
        aux_logits (Tensor, optional): ``[B, C, h, w]`` auxiliary logits;
            required when ``gamma > 0``.
        gamma (float): Weight of the KL term (paper: 0.5).
        align_corners (bool): ``align_corners`` of the resize.
        score_only (bool): Return ``score`` only, computed in one fused
            pass: ``S = sum_c p_c (log p_c (gamma - 1/log C) - gamma log
            p_hat_c)``.

    Returns:
        dict: ``score`` (``S``), ``entropy`` (``E``) and ``kl`` (zeros when
        ``gamma == 0`` and no auxiliary logits are given), each
        ``[B, H, W]``.
    """
    if gamma < 0:
        raise ValueError(f'mcu_uncertainty: gamma must be >= 0, got {gamma}')
    if aux_logits is None and gamma > 0:
        raise ValueError('mcu_uncertainty: gamma > 0 needs the auxiliary '
                         'head logits (aux_logits)')
    if aux_logits is not None and aux_logits.shape[:2] != \
            main_logits.shape[:2]:
        raise ValueError(
            f'mcu_uncertainty: auxiliary logits {tuple(aux_logits.shape)}'
            f' do not match main logits {tuple(main_logits.shape)} in '
            'batch size / classes')
    if score_only:
        if main_logits.shape[1] < 2:
            raise ValueError('mcu_uncertainty needs at least 2 classes, got '
                             f'logits of shape {tuple(main_logits.shape)}')
        inv_log_c = 1. / math.log(main_logits.shape[1])
        logp = F.log_softmax(main_logits, dim=1)
        inner = logp * -inv_log_c
        if aux_logits is not None and gamma > 0:
            aux_logits = _resized(aux_logits, main_logits, align_corners)
            inner = inner + gamma * (logp - F.log_softmax(aux_logits, 1))
        return dict(score=(logp.exp() * inner).sum(1))
    entropy = normalized_entropy(main_logits)
    if aux_logits is None:
        kl = entropy.new_zeros(entropy.shape)
    else:
        kl = kl_main_aux(main_logits,
                         _resized(aux_logits, main_logits, align_corners))
    return dict(score=entropy + gamma * kl, entropy=entropy, kl=kl)


def _resized(aux_logits: Tensor, main_logits: Tensor,
             align_corners: bool) -> Tensor:
    """The auxiliary logits at the main logits' size (bilinear)."""
    if aux_logits.shape[2:] == main_logits.shape[2:]:
        return aux_logits
    return F.interpolate(
        aux_logits,
        size=main_logits.shape[2:],
        mode='bilinear',
        align_corners=align_corners)
