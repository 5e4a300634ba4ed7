"""AADA: importance-weighted entropy (Su et al., WACV 2020)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import check_budget, describe
from ..pool import Selection, UnitPool, take_within_budget
from .base import BaseStrategy

__all__ = ['AADA']

_DOMAIN_OUTPUTS = ('source_prob', 'target_prob', 'source_logit')


@STRATEGIES.register_module()
class AADA(BaseStrategy):
    """Active Adversarial Domain Adaptation's sample selection criterion.

    ``s(x) = H(p(x)) * (1 - d(x)) / d(x)``: the prediction entropy times the
    importance weight ``w(x) = p_T(x) / p_S(x)``, which a domain
    discriminator trained to output **1 for source and 0 for target**
    estimates as ``(1 - d) / d`` (its optimum is ``d* = p_S / (p_S +
    p_T)``).  So ``d`` is the discriminator's probability of *source*;
    target-looking images (``d -> 0``) get large weights.

    The model's ``'domain'`` output (``[1]`` per image, ``extras['domain']``
    ``[N]`` or ``[N, 1]``) is read according to ``domain_output``:

    * ``'source_prob'`` (default): ``P(source)``, used as ``d``;
    * ``'target_prob'``: ``P(target)`` (a discriminator trained with label
      1 for target), ``d = 1 - output``;
    * ``'source_logit'``: the logit of ``P(source)``, ``d = sigmoid``.

    ``d`` is clipped to ``[eps, 1 - eps]``.  The top ``b`` scores are
    bought (AADA's text gives the score, not the rule; LADA's reproduction
    instead draws ``b`` at random from the top 2 %, "as recommended by the
    authors": ``top_fraction=0.02``).

    Args:
        seed: seed of tie-breaks and of the ``top_fraction`` draw.
        domain_output: how to read ``extras['domain']`` (see above).
        eps: clip of ``d``.
        top_fraction: ``None`` (top-b) or the fraction of candidates, at
            least ``b``, to draw ``b`` from uniformly.
    """

    requires = ('prob', 'domain')
    unit_kinds = ('image', )

    def __init__(self,
                 seed: int = 0,
                 domain_output: str = 'source_prob',
                 eps: float = 1e-6,
                 top_fraction: Optional[float] = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        if domain_output not in _DOMAIN_OUTPUTS:
            raise ValueError(f'AADA: domain_output must be one of '
                             f'{_DOMAIN_OUTPUTS}, got {domain_output!r}')
        if not 0 < float(eps) < 0.5:
            raise ValueError(f'AADA: eps must be in (0, 0.5), got {eps}')
        if top_fraction is not None and not 0 < float(top_fraction) <= 1:
            raise ValueError('AADA: top_fraction must be in (0, 1], got '
                             f'{top_fraction}')
        self.domain_output = domain_output
        self.eps = float(eps)
        self.top_fraction = (None
                             if top_fraction is None else float(top_fraction))

    def source_prob(self, pool: UnitPool) -> np.ndarray:
        """``float64 [N]`` ``d``, the probability of *source*, clipped.

        Args:
            pool: the candidates; ``extras['domain']`` (``[N]`` or
                ``[N, 1]``) is read according to ``domain_output``.

        Returns:
            np.ndarray: ``float64 [N]`` ``d`` clipped to
            ``[eps, 1 - eps]``.
        """
        out = np.asarray(pool.extra('domain'), dtype=np.float64)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.ndim != 1:
            raise ValueError(
                "AADA: extras['domain'] must be [N] or [N, 1] (one "
                f'discriminator output per image), got {out.shape}')
        if self.domain_output == 'source_logit':
            d = 1.0 / (1.0 + np.exp(-out))
        else:
            if out.size and (out.min() < 0 or out.max() > 1):
                raise ValueError(
                    "AADA: extras['domain'] holds values outside [0, 1] "
                    f'({out.min():.3g}..{out.max():.3g}); use '
                    "domain_output='source_logit' for logits")
            d = out if self.domain_output == 'source_prob' else 1.0 - out
        return np.clip(d, self.eps, 1.0 - self.eps)

    def score(self, pool: UnitPool) -> np.ndarray:
        """``H(p) (1 - d) / d`` per row.

        Args:
            pool: the candidates; the ``'entropy'`` stat is used when
                present, otherwise the entropy of ``pool.prob``.

        Returns:
            np.ndarray: ``float64 [N]`` scores.
        """
        if 'entropy' in pool.stats:
            ent = pool.stat('entropy')
        else:
            from ..uncertainty import row_uncertainty
            ent = row_uncertainty(pool.prob)['entropy'].astype(np.float64)
        d = self.source_prob(pool)
        return ent * (1.0 - d) / d

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Top ``b`` scores (or ``b`` drawn from the top fraction).

        Args:
            pool: the candidates (image units).
            budget: how many images this round may buy.
            round_idx: 1-based round (seeds tie-breaks and the draw).
            **context: unused (the engine's context).

        Returns:
            Selection: picks by descending score; ``info`` has the score
            and importance weight of the picks.
        """
        budget = check_budget(budget)
        self.check_unit_kind(pool.kind)
        if len(pool) == 0:
            return Selection.empty()
        scores = self.score(pool)
        order = self._top_order(
            self.ranked(pool, scores, round_idx), budget, round_idx)
        index = take_within_budget(order, pool.cost, budget)
        d = self.source_prob(pool)
        return Selection.bought(
            pool,
            index,
            num_candidates=int(pool.candidates.sum()),
            score_picked=describe(scores[index]),
            weight_picked=describe(((1 - d) / d)[index]))

    def _top_order(self, order: np.ndarray, budget: int,
                   round_idx: int) -> np.ndarray:
        """``order`` (best first), or ``b`` of it drawn from the top
        fraction (in rank order) when ``top_fraction`` is set."""
        if self.top_fraction is None:
            return order
        k = min(budget, order.size)
        top = max(k, int(np.ceil(self.top_fraction * order.size)))
        rng = self.rng(round_idx, 1)
        keep = np.sort(rng.choice(top, size=k, replace=False))
        return order[keep]
