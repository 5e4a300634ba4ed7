"""Common part of the domain-adversarial regularisers (DANN, TSF)."""
from __future__ import annotations

import math
from typing import Optional

import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmseg.registry import MODELS
from torch import Tensor

from .base_cls_regularizer import BaseClsRegularizer

__all__ = [
    'AdversarialClsRegularizer', 'dann_grl_coeff', 'log_wrong_domain',
    'neg_log_domain'
]

_FORMS = ('bce', 'paper')
_SCHEDULES = (None, 'dann')


def dann_grl_coeff(progress: float, gamma: float = 10.0) -> float:
    """DANN's ramp ``2 / (1 + exp(-gamma p)) - 1`` (Ganin et al., 2016).

    Args:
        progress (float): Training progress ``p`` in ``[0, 1]`` (clipped).
        gamma (float): Steepness. Defaults to 10.

    Returns:
        float: The coefficient, 0 at ``p = 0`` and ~1 at ``p = 1``.
    """
    p = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-float(gamma) * p)) - 1.0


def neg_log_domain(logits: Tensor, source: bool) -> Tensor:
    """``-log d`` (``source``) or ``-log(1 - d)`` with ``d = sigmoid(a)``.

    The binary cross-entropy of a discriminator whose output ``d`` is the
    probability of *source*, elementwise and numerically stable
    (``softplus(-a)`` / ``softplus(a)``).

    Args:
        logits: discriminator logits ``a``, any shape.
        source: whether the samples are from the source domain.

    Returns:
        Tensor: the elementwise loss, shaped like ``logits``.
    """
    return F.softplus(-logits) if source else F.softplus(logits)


def log_wrong_domain(logits: Tensor, source: bool) -> Tensor:
    """``log(1 - d)`` (``source``) or ``log d``: the literal terms of SAGE
    Eq. 1-2 (``L_INV``, ``L_TSF``), elementwise, ``d = sigmoid(a)``.

    Args:
        logits: discriminator logits ``a``, any shape.
        source: whether the samples are from the source domain.

    Returns:
        Tensor: the elementwise term, shaped like ``logits``.
    """
    return -F.softplus(logits) if source else -F.softplus(-logits)


class AdversarialClsRegularizer(BaseClsRegularizer):
    """A discriminator on the embedding z behind a gradient reversal layer.

    The discriminator ``d`` (built from ``discriminator``, e.g.
    :class:`~mmseg_ada.models.discriminators.MLPDiscriminator`) outputs
    logits ``a``; ``sigmoid(a)`` is read as the probability of **source**
    (SAGE/AADA's convention: ``d`` is trained towards 1 on source and 0 on
    target).  One loss trains both players: ``d`` descends on
    ``loss_weight * L`` and the representation receives the reversed
    gradient, scaled by the GRL coefficient.

    Args:
        discriminator (dict): Discriminator config (``in_channels`` must be
            the embedding size).
        loss_weight (float): ``lambda`` multiplying the adversarial loss
            (both players). Defaults to 1.
        grl_coeff (float): Scale of the gradient reversed into the
            representation. Defaults to 1.
        grl_schedule (str, optional): ``None``: constant ``grl_coeff``;
            ``'dann'``: ``grl_coeff * (2 / (1 + exp(-gamma p)) - 1)`` with
            ``p = iter / max_iters`` read from mmengine's message hub (the
            runner's ``RuntimeInfoHook`` writes both; without them ``p = 1``).
        grl_gamma (float): ``gamma`` of the ``'dann'`` ramp. Defaults to 10.
        form (str): ``'bce'`` (default): the discriminator's binary
            cross-entropy, ``-log d`` on source and ``-log(1 - d)`` on
            target (what DANN/CDAN implementations minimise); ``'paper'``:
            the literal SAGE Eq. 1-2 terms ``log(1 - d)`` on source and
            ``log d`` on target (same optimum direction for ``d``, but
            unbounded below; their gradients do not vanish when ``d`` is
            right).
        prefix (str): Loss key prefix.
        init_cfg (dict, optional): Initialisation config.
    """

    has_domain_discriminator = True

    def __init__(self,
                 discriminator: dict,
                 loss_weight: float = 1.0,
                 grl_coeff: float = 1.0,
                 grl_schedule: Optional[str] = None,
                 grl_gamma: float = 10.0,
                 form: str = 'bce',
                 prefix: str = 'adv',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(prefix=prefix, init_cfg=init_cfg)
        if form not in _FORMS:
            raise ValueError(f'{type(self).__name__}: form must be one of '
                             f'{_FORMS}, got {form!r}')
        if grl_schedule not in _SCHEDULES:
            raise ValueError(f'{type(self).__name__}: grl_schedule must be '
                             f'one of {_SCHEDULES}, got {grl_schedule!r}')
        self.discriminator = MODELS.build(discriminator)
        self.loss_weight = float(loss_weight)
        self.grl_coeff = float(grl_coeff)
        self.grl_schedule = grl_schedule
        self.grl_gamma = float(grl_gamma)
        self.form = form

    def current_grl_coeff(self) -> float:
        """The GRL coefficient of the current iteration."""
        if self.grl_schedule is None:
            return self.grl_coeff
        progress = 1.0
        if MessageHub._instance_dict:
            hub = MessageHub.get_current_instance()
            it, total = hub.get_info('iter'), hub.get_info('max_iters')
            if it is not None and total:
                progress = float(it) / float(total)
        return self.grl_coeff * dann_grl_coeff(progress, self.grl_gamma)

    def domain_term(self, logits: Tensor, source: bool) -> Tensor:
        """Elementwise loss of discriminator ``logits`` (see ``form``).

        Args:
            logits: discriminator logits.
            source: whether the samples are from the source domain.

        Returns:
            Tensor: :func:`neg_log_domain` (``form='bce'``), else
            :func:`log_wrong_domain`, shaped like ``logits``.
        """
        if self.form == 'bce':
            return neg_log_domain(logits, source)
        return log_wrong_domain(logits, source)

    def predict_domain(self, embedding: Tensor) -> Tensor:
        """``sigmoid`` of the discriminator: ``P(source)`` per output.

        Args:
            embedding: ``[N, D]`` embeddings z.

        Returns:
            Tensor: ``[N, 1]`` (or ``[N, C]`` for a class-level
            discriminator) probabilities.
        """
        return self.discriminator(embedding).sigmoid()
