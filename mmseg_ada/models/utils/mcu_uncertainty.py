"""ADA-MCU's pixel uncertainty score (Eq. 1-3 of the paper)."""
from __future__ import annotations

import math
from typing import Dict

import torch.nn.functional as F
from torch import Tensor


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
