"""Region-level AADA (ADeADA supplement B; Su et al., WACV 2020)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..functional import check_budget, describe
from ..pool import Selection, UnitPool, take_within_budget
from .aada import AADA

__all__ = ['RegionAADA']

_SCORES = ('entropy_weight', 'weight')


@STRATEGIES.register_module()
class RegionAADA(AADA):
    """AADA on regions: entropy times the domain importance weight.

    ADeADA's Figure 3 baseline: "we calculated the region-level softmax
    entropy and domain discriminator result and followed the rest of the
    algorithm".  A region's score is ``H * (1 - d) / d`` (AADA's ``s(x)``):
    ``H`` the mean pixel entropy of the region (``pool.stats['entropy']``)
    and ``d`` the region's mean of the discriminator's per-location
    probability of *source* (the pool's ``'domain'``, pooled by the region
    units).  The segmentors serve ``'domain'`` from a domain discriminator
    of the decode head's output (``ADAEncoderDecoder(discriminator=...)``):
    in the configs, the AdaptSegNet warm-up's discriminator, loaded with the
    warm-up checkpoint and frozen, as the authors' released code scores
    regions with its warm-up trainer's discriminator (upsampled to the
    image, averaged per region).  Regions are bought by descending score
    within the pixel budget.

    Args:
        seed, domain_output, eps: as :class:`AADA`.
        score: ``'entropy_weight'`` (``H (1 - d) / d``, the paper) or
            ``'weight'`` (``(1 - d) / d`` alone: the released code ranks
            regions by the discriminator's output only).
        top_fraction: ``None`` (best first) or a fraction of the
            candidates: the top ones are walked in a seeded random order
            (then the rest by score) within the budget.
    """

    unit_kinds = ('region', )

    def __init__(self,
                 seed: int = 0,
                 domain_output: str = 'source_prob',
                 eps: float = 1e-6,
                 score: str = 'entropy_weight',
                 top_fraction: Optional[float] = None,
                 **kwargs: Any) -> None:
        super().__init__(
            seed=seed,
            domain_output=domain_output,
            eps=eps,
            top_fraction=top_fraction,
            **kwargs)
        if score not in _SCORES:
            raise ValueError(f'RegionAADA: score must be one of {_SCORES}, '
                             f'got {score!r}')
        self.score_kind = score

    def score(self, pool: UnitPool) -> np.ndarray:
        """``H (1 - d) / d`` (or ``(1 - d) / d``) per row."""
        if self.score_kind == 'entropy_weight':
            return super().score(pool)
        d = self.source_prob(pool)
        return (1.0 - d) / d

    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               **context: Any) -> Selection:
        """Regions by descending score (or the top fraction in a seeded
        random order) within ``budget`` pixels.

        Returns:
            Selection: the bought rows; ``info`` has the score and the
            importance weight of the picks.
        """
        budget = check_budget(budget)
        self.check_unit_kind(pool.kind)
        if len(pool) == 0:
            return Selection.empty()
        scores = self.score(pool)
        order = self.ranked(pool, scores, round_idx)
        if self.top_fraction is not None and order.size:
            top = int(np.ceil(self.top_fraction * order.size))
            head = order[:top][self.rng(round_idx, 1).permutation(top)]
            order = np.concatenate([head, order[top:]])
        index = take_within_budget(order, pool.cost, budget)
        d = self.source_prob(pool)
        return Selection(
            index,
            dict(
                spent=int(pool.cost[index].sum()),
                num_candidates=int(pool.candidates.sum()),
                score_picked=describe(scores[index]),
                weight_picked=describe(((1 - d) / d)[index])))
