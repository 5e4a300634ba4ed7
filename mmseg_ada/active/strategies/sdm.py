"""SDM: margin sampling with gradient-direction consistency (Xie et al.,
"Learning Distinctive Margin toward Active Domain Adaptation", CVPR 2022,
Eq. 3, 8-9)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import check_budget, describe, sdm_scores
from ..pool import Selection, UnitPool, take_within_budget
from .base import BaseStrategy

__all__ = ['SDM']


def _numpy(x: Any) -> Optional[np.ndarray]:
    if x is None:
        return None
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@STRATEGIES.register_module()
class SDM(BaseStrategy):
    """Select-by-Distinctive-Margin: SDM (``lam=0``) and SDM-G (default).

    ``Q(x) = 1 - (p_1* - p_2*)`` (Eq. 3, top-2 probabilities) plus, for
    SDM-G, ``lam * cos(grad_f L_hat(x), grad_f Q(x))`` (Eq. 8) where
    ``grad_f L_hat = p_1* grad_f L_m(x, 1*) + p_2* grad_f L_m(x, 2*)``
    (Eq. 9) and ``f`` is the feature fed to the linear classifier
    (``pool.feature``).  The gradients are closed forms in the classifier
    weight (:mod:`mmseg_ada.active.functional.sdm`), which the engine
    serves in the ``select`` context as ``classifier_weight`` ``[C, D]``
    and ``classifier_bias`` ``[C]`` (this strategy lists
    ``'classifier_weight'`` in :attr:`requires`).  The largest scores are
    bought.

    Readings where the paper is open (defaults first):

    * ``loss``: ``'margin'``, Eq. 1 on raw logits as the paper writes it
      (``m = 1``); ``'train'``, the loss the released code differentiates
      (cross-entropy + hinge on L2-normalised logits / C - normalised true
      logit).
    * ``qm``: ``'Q'``, Eq. 8's undefined ``Q_m`` is Eq. 3's ``Q`` (the text
      "push f toward the direction that minimizes the margin sampling
      function" and the code agree: ``+lam``); ``'margin'``, ``Q_m = p_1* -
      p_2*``, which flips the sign of the cosine.
    * ``grad_f Q`` is exact (the code drops a ``p_1 p_2 (w_1 - w_2)``
      term).

    ``prob`` (the model's softmax) gives ``Q``, the top-2 classes and the
    Eq. 9 weights; the logits for the gradients are ``f W^T + b``.
    ``info['prob_gap']`` reports the largest ``|prob - softmax(f W^T +
    b)|``: far from 0, ``feature`` is not the classifier's input.

    Args:
        seed: seed of tie-breaks.
        lam: ``lambda`` (0.01); 0 is plain margin sampling (SDM).
        margin: ``m`` of the loss (1).
        loss: ``'margin'`` or ``'train'``.
        qm: ``'Q'`` or ``'margin'``.
    """

    requires = ('prob', 'feature', 'classifier_weight', 'classifier_bias')
    unit_kinds = ('image', )

    def __init__(self,
                 seed: int = 0,
                 lam: float = 0.01,
                 margin: float = 1.0,
                 loss: str = 'margin',
                 qm: str = 'Q',
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if loss not in ('margin', 'train'):
            raise ValueError(f"SDM: loss must be 'margin' or 'train', got "
                             f'{loss!r}')
        if qm not in ('Q', 'margin'):
            raise ValueError(f"SDM: qm must be 'Q' or 'margin', got {qm!r}")
        self.lam = float(lam)
        self.margin = float(margin)
        self.loss = loss
        self.qm = qm
        if self.lam == 0:
            self.requires = ('prob', )  # margin sampling needs nothing else

    def _scores(self, pool: UnitPool, weight: Any, bias: Any) -> dict:
        if pool.prob is None:
            raise ValueError('SDM needs pool.prob')
        feature = pool.feature
        if self.lam != 0:
            if weight is None:
                raise KeyError(
                    "SDM-G (lam != 0) needs the select() context "
                    "'classifier_weight' [C, D] (and 'classifier_bias')")
            if feature is None:
                raise ValueError("SDM-G needs pool.feature (declare "
                                 "'feature')")
            weight = _numpy(weight)
            if weight.shape[0] != pool.num_classes:
                raise ValueError(f'SDM: classifier_weight has '
                                 f'{weight.shape[0]} rows, prob has '
                                 f'{pool.num_classes} classes')
        return sdm_scores(
            pool.prob,
            feature,
            weight,
            _numpy(bias),
            lam=self.lam,
            margin=self.margin,
            loss=self.loss,
            sign=1.0 if self.qm == 'Q' else -1.0)

    def score(self,
              pool: UnitPool,
              classifier_weight: Any = None,
              classifier_bias: Any = None) -> np.ndarray:
        """``float64 [N]`` ``Q~`` (Eq. 8), or ``Q`` (Eq. 3) if ``lam=0``.

        Args:
            pool: the candidates (``prob``; ``feature`` for SDM-G).
            classifier_weight: ``[C, D]`` classifier weight (numpy or
                torch); required when ``lam != 0``, unused otherwise.
            classifier_bias: ``[C]`` classifier bias, or ``None``.

        Returns:
            np.ndarray: ``float64 [N]`` scores (higher is bought first).
        """
        return self._scores(pool, classifier_weight, classifier_bias)['score']

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Buy the largest scores.

        Args:
            context: ``classifier_weight`` ``[C, D]`` and
                ``classifier_bias`` ``[C]`` (numpy or torch) for SDM-G.

        Returns:
            Selection: picks by descending score; ``info`` has ``lam``, the
            cosine of the picks, how many picks differ from plain margin
            sampling and ``prob_gap``.
        """
        budget = check_budget(budget)
        self.check_unit_kind(pool.kind)
        if len(pool) == 0:
            return Selection.empty()
        out = self._scores(pool, context.get('classifier_weight'),
                           context.get('classifier_bias'))
        index = take_within_budget(
            self.ranked(pool, out['score'], round_idx), pool.cost, budget)
        plain = take_within_budget(
            self.ranked(pool, out['q'], round_idx), pool.cost, budget)
        return Selection.bought(
            pool,
            index,
            lam=self.lam,
            q_picked=describe(out['q'][index]),
            cos_picked=describe(out['cos'][index]),
            changed_vs_margin=int(np.setdiff1d(index, plain).size),
            prob_gap=float(out['prob_gap']))
