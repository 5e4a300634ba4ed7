"""Minimax entropy (MME) on unlabelled target data."""
from __future__ import annotations

from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

from mmseg_ada.structures import StreamOutputs
from .base_cls_regularizer import BaseClsRegularizer
from .gradient_reversal import grad_reverse

__all__ = ['MMERegularizer', 'mean_entropy']


def mean_entropy(logits: Tensor, log_eps: Optional[float] = None) -> Tensor:
    """Mean prediction entropy ``H = -1/N sum_i sum_c p_ic log p_ic``.

    Args:
        logits (Tensor): ``[N, C]``.
        log_eps (float, optional): None: exact ``log p`` (log-softmax).
            A number: ``log(p + log_eps)``, the form of MME's code
            (``1e-5``).

    Returns:
        Tensor: Scalar entropy (nats).
    """
    prob = F.softmax(logits, dim=1)
    if log_eps is None:
        log_prob = F.log_softmax(logits, dim=1)
    else:
        log_prob = torch.log(prob + log_eps)
    return -(prob * log_prob).sum(dim=1).mean()


@MODELS.register_module()
class MMERegularizer(BaseClsRegularizer):
    """MME: the classifier maximises, the features minimise target entropy.

    Saito et al., "Semi-supervised Domain Adaptation via Minimax Entropy",
    ICCV 2019, Sec. 3.2 (restated as SAGE Eq. 9)::

        theta_C = argmin  L_sup - lambda * H(U_T)      (classifier C)
        theta_F = argmin  L_sup + lambda * H(U_T)      (features F)

    with ``H(U_T)`` the mean prediction entropy of unlabelled target
    samples under the cosine classifier (use
    :class:`~mmseg_ada.models.heads.CosineBottleneckClsHead`, T = 0.05).
    As in MME's code (``adentropy``) one loss realises both: a gradient
    reversal layer between the embedding z (the head's ``pre_logits``) and
    the last layer, and ``loss = -lambda * H``: the last layer descends on
    ``-lambda * H`` (ascends H), everything before it receives the reversed
    gradient and descends on ``+lambda * H``.  The bottleneck belongs to the
    feature side, as in LADA/CLUE (reversal after ``fc_params``).

    Differences from MME's code, by design: one optimiser step per
    iteration on the sum of the supervised and the entropy loss (the code
    steps twice, once per loss); exact entropy by default (the code uses
    ``log(p + 1e-5)``: ``log_eps=1e-5``).

    Only the unlabelled stream's embeddings are used; its labels never are
    (the classifier removes them before calling any regulariser).

    Args:
        loss_weight (float): lambda. Defaults to 0.1.
        grl_coeff (float): Scale of the reversed gradient (MME's ``eta``).
            Defaults to 1.0.
        log_eps (float, optional): See :func:`mean_entropy`. Defaults to
            None (exact).
        prefix (str): Loss key prefix. Defaults to ``'mme'``.
    """

    required_streams = ('unlabeled', )

    def __init__(self,
                 loss_weight: float = 0.1,
                 grl_coeff: float = 1.0,
                 log_eps: Optional[float] = None,
                 prefix: str = 'mme',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(prefix=prefix, init_cfg=init_cfg)
        self.loss_weight = float(loss_weight)
        self.grl_coeff = float(grl_coeff)
        self.log_eps = None if log_eps is None else float(log_eps)

    def loss(self, streams: Dict[str, StreamOutputs],
             head: BaseModule) -> Dict[str, Tensor]:
        """``{prefix}.loss_ent`` = ``-lambda H`` and ``{prefix}.entropy``.

        Args:
            streams (dict[str, StreamOutputs]): Must hold ``'unlabeled'``.
            head (BaseModule): Head with ``classify(embedding)``.

        Returns:
            dict[str, Tensor]: The adversarial entropy loss and the
            (detached) entropy H for logging.
        """
        z = grad_reverse(streams['unlabeled'].embedding, self.grl_coeff)
        entropy = mean_entropy(head.classify(z), self.log_eps)
        return {
            f'{self.prefix}.loss_ent': -self.loss_weight * entropy,
            f'{self.prefix}.entropy': entropy.detach(),
        }
