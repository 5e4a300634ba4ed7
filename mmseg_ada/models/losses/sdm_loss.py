"""SDM's margin losses (Xie et al., "Learning Distinctive Margin toward
Active Domain Adaptation", CVPR 2022, Eq. 1 and Eq. 7)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['SDMLoss', 'sdm_margin_terms', 'FORMS']

_CLASS_REDUCTIONS = ('mean', 'sum')


def sdm_margin_terms(logits: Tensor,
                     label: Tensor,
                     margin: float = 1.0,
                     modulation: bool = False,
                     detach_alpha: bool = True) -> Tensor:
    """Per-sample ``sum_{i != y} alpha_i [m - z_y + z_i]_+`` (Eq. 1 / 7).

    Args:
        logits (Tensor): ``[N, C]`` logits ``z`` (already normalised if
            wanted).
        label (Tensor): ``[N]`` class indices ``y``.
        margin (float): ``m``.
        modulation (bool): SDM-A's ``alpha_i = 1 - (z_y - z_i) / m``
            (Eq. 7); ``False``: ``alpha_i = 1`` (Eq. 1).
        detach_alpha (bool): Treat ``alpha`` as a constant weight.

    Returns:
        Tensor: ``[N]``, the sum over the ``C - 1`` other classes.
    """
    z_y = logits.gather(1, label[:, None])
    arg = margin - z_y + logits  # [N, C]; the y column is m
    hinge = arg.clamp(min=0)
    not_y = torch.ones_like(hinge, dtype=torch.bool)
    not_y[torch.arange(len(label), device=label.device), label] = False
    hinge = hinge * not_y
    if modulation:
        alpha = arg / margin
        if detach_alpha:
            alpha = alpha.detach()
        hinge = alpha * hinge
    return hinge.sum(1)


# The two readings of the loss (Issue 17): the paper's Eq. 1 / Eq. 7 and
# the released code's.
FORMS = dict(
    paper=dict(normalize=False, class_reduction='sum', alpha=True),
    released=dict(normalize=True, class_reduction='mean', alpha=False))


@MODELS.register_module()
class SDMLoss(nn.Module):
    """SDM's training loss: margin loss + auxiliary cross-entropy.

    For logits ``z`` (``[N, C]``) and labels ``y``, with ``z^ = z /
    ||z||_2`` when ``normalize`` (else ``z^ = z``) and ``r = 1`` for
    ``class_reduction='sum'`` (``r = 1 / C`` for ``'mean'``)::

        L = ce_weight * CE(z, y)
            + margin_weight * mean_n r sum_{i != y} a_i [m - z^_y + z^_i]_+
            + max_logit_weight * mean_n (-z^_y)

    * SDM (Eq. 1): ``a_i = 1``, ``max_logit_weight = 0`` (defaults);
    * SDM-A (Eq. 7, ``modulation=True, max_logit_weight=1``): ``a_i = 1 -
      (z^_y - z^_i) / m``, the hinge argument over ``m``: in-margin terms
      with smaller margins weigh more; plus the max-logit term ``-z^_y``.

    ``form`` picks the reading ("Learning Distinctive Margin toward Active
    Domain Adaptation", Xie et al., CVPR 2022, and its released code
    TencentYoutuResearch/ActiveLearning-SDM):

    * ``'paper'`` (default): Eq. 1 / Eq. 7 as written: raw logits
      (``normalize=False``; then ``-z_y`` is unbounded below), the plain
      sum over the other classes (``class_reduction='sum'``) and SDM-A's
      ``alpha`` applied.
    * ``'released'``: the released code: the hinge and the max-logit term
      on the L2-normalised logits (``normalize=True``), the hinge sum
      divided by ``C`` (``class_reduction='mean'``, torch's
      ``multi_margin_loss``), and ``alpha`` computed and overwritten with
      ones: ``modulation`` has no effect (the code's SDM-A is the max-logit
      term only).

    ``normalize`` and ``class_reduction`` left ``None`` take the form's
    value; given, they override it (e.g. ``form='paper', normalize=True,
    class_reduction='mean'`` is this repository's earlier reading: on
    Gaussian ``72 x 65`` logits its gradient (SDM-A + CE) is 19 to 150
    times smaller than Eq. 7 + CE's, as the logits' scale grows from 0.1
    to 5).  The CE
    always uses the raw logits.

    Readings where both are open (defaults first):

    * ``detach_alpha=True``: ``alpha`` is a weight (gradient ``alpha``
      times Eq. 1's); ``False`` differentiates through it, making the
      term ``[.]_+^2 / m`` (twice the gradient).
    * ``ce_weight=1``: the auxiliary CE's weight is not given; the code
      uses 1 in every epoch.

    ``margin = 1`` (the paper's ``m``).  Used as a head loss:
    ``head=dict(loss=dict(type='SDMLoss', ...))``.

    Args:
        margin (float): ``m``. Defaults to 1.
        form (str): ``'paper'`` or ``'released'``. Defaults to
            ``'paper'``.
        modulation (bool): SDM-A's ``alpha`` (``'paper'`` form only).
            Defaults to False.
        max_logit_weight (float): Weight of ``-z^_y`` (1 for SDM-A).
            Defaults to 0.
        margin_weight (float): Weight of the hinge term. Defaults to 1.
        ce_weight (float): Weight of the auxiliary CE. Defaults to 1.
        normalize (bool, optional): Hinge on L2-normalised logits; None:
            the form's.
        class_reduction (str, optional): ``'mean'`` or ``'sum'``; None:
            the form's.
        detach_alpha (bool): See above. Defaults to True.
        loss_weight (float): Scales the whole loss. Defaults to 1.
        eps (float): Smallest logit norm. Defaults to 1e-12.
        loss_name (str): mmseg's loss name. Defaults to ``'loss_sdm'``.
    """

    def __init__(self,
                 margin: float = 1.0,
                 form: str = 'paper',
                 modulation: bool = False,
                 max_logit_weight: float = 0.0,
                 margin_weight: float = 1.0,
                 ce_weight: float = 1.0,
                 normalize: Optional[bool] = None,
                 class_reduction: Optional[str] = None,
                 detach_alpha: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-12,
                 loss_name: str = 'loss_sdm') -> None:
        super().__init__()
        if not float(margin) > 0:
            raise ValueError(f'SDMLoss: margin must be > 0, got {margin}')
        if form not in FORMS:
            raise ValueError(f'SDMLoss: form must be one of {tuple(FORMS)}, '
                             f'got {form!r}')
        preset = FORMS[form]
        if class_reduction is None:
            class_reduction = preset['class_reduction']
        if class_reduction not in _CLASS_REDUCTIONS:
            raise ValueError('SDMLoss: class_reduction must be one of '
                             f'{_CLASS_REDUCTIONS}, got {class_reduction!r}')
        self.margin = float(margin)
        self.form = form
        self.normalize = bool(preset['normalize'] if normalize is
                              None else normalize)
        self.modulation = bool(modulation) and preset['alpha']
        self.max_logit_weight = float(max_logit_weight)
        self.margin_weight = float(margin_weight)
        self.ce_weight = float(ce_weight)
        self.class_reduction = class_reduction
        self.detach_alpha = bool(detach_alpha)
        self.loss_weight = float(loss_weight)
        self.eps = float(eps)
        self._loss_name = loss_name

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """The mean loss over the batch.

        Args:
            cls_score (Tensor): ``[N, C]`` raw logits.
            label (Tensor): ``[N]`` class indices.
            weight (Tensor, optional): Not supported (must be None).

        Returns:
            Tensor: Scalar loss.
        """
        if weight is not None:
            raise ValueError('SDMLoss does not support per-sample weights')
        if cls_score.dim() != 2 or label.shape != cls_score.shape[:1]:
            raise ValueError('SDMLoss expects [N, C] logits and [N] labels, '
                             f'got {tuple(cls_score.shape)} and '
                             f'{tuple(label.shape)}')
        label = label.long()
        if len(label) == 0:
            return cls_score.sum() * 0
        z = (
            F.normalize(cls_score, dim=1, eps=self.eps)
            if self.normalize else cls_score)
        loss = cls_score.new_zeros(())
        if self.ce_weight:
            loss = loss + self.ce_weight * F.cross_entropy(cls_score, label)
        if self.margin_weight:
            hinge = sdm_margin_terms(z, label, self.margin, self.modulation,
                                     self.detach_alpha)
            if self.class_reduction == 'mean':
                hinge = hinge / cls_score.shape[1]
            loss = loss + self.margin_weight * hinge.mean()
        if self.max_logit_weight:
            loss = loss - self.max_logit_weight * z.gather(
                1, label[:, None]).mean()
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """mmseg's loss name."""
        return self._loss_name
