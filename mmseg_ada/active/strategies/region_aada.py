"""Region-level AADA (ADeADA supplement B; Su et al., WACV 2020)."""
from __future__ import annotations

from typing import Any

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..pool import UnitPool
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
        *args, **kwargs: as :class:`AADA` (``seed``, ``domain_output``,
            ``eps``, ``top_fraction``).
        score: (keyword only) ``'entropy_weight'`` (``H (1 - d) / d``,
            the paper) or ``'weight'`` (``(1 - d) / d`` alone: the released
            code ranks regions by the discriminator's output only).

    ``top_fraction`` (``None``: best first) is a fraction of the
    candidates: the top ones are walked in a seeded random order (then the
    rest by score) within the budget.
    """

    unit_kinds = ('region', )

    def __init__(self,
                 *args: Any,
                 score: str = 'entropy_weight',
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if score not in _SCORES:
            raise ValueError(f'RegionAADA: score must be one of {_SCORES}, '
                             f'got {score!r}')
        self.score_kind = score

    def score(self, pool: UnitPool) -> np.ndarray:
        """``H (1 - d) / d`` (or ``(1 - d) / d``) per row.

        Args:
            pool: the region pool (``prob`` or the ``'entropy'`` stat, and
                ``extras['domain']``).

        Returns:
            np.ndarray: ``float64 [N]`` scores: entropy times importance
            weight (``score='entropy_weight'``) or the weight alone.
        """
        if self.score_kind == 'entropy_weight':
            return super().score(pool)
        d = self.source_prob(pool)
        return (1.0 - d) / d

    def _top_order(self, order: np.ndarray, budget: int,
                   round_idx: int) -> np.ndarray:
        """Regions by descending score, or the top fraction first in a
        seeded random order (then the rest by score); ``budget`` pixels
        are then bought from it (:meth:`AADA.select`)."""
        if self.top_fraction is None or not order.size:
            return order
        top = int(np.ceil(self.top_fraction * order.size))
        head = order[:top][self.rng(round_idx, 1).permutation(top)]
        return np.concatenate([head, order[top:]])
