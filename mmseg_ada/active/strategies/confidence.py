"""CONF: buy the regions (or pixels) with the least mean confidence."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from mmseg.registry import TASK_UTILS

from .base import BaseActiveStrategy, RegionPool

__all__ = ['ActiveConfidence']


@TASK_UTILS.register_module()
class ActiveConfidence(BaseActiveStrategy):
    """CONF (ADeADA supplement B, Eq. 9).

    ``S_R = 1/N sum_n p(y_n^1)``, the mean max-probability over the
    region's unlabelled pixels; the least confident regions are bought
    first, so the score is ``-S_R``.  Pixel level: minus the pixel's max
    probability.

    Args:
        seed: seed of the tie-breaking generator.
        unit: ``'region'`` or ``'pixel'``.
    """

    def score(self, pool: RegionPool) -> np.ndarray:
        """``-pool.stats['confidence']``: larger = less confident."""
        return -self._stat(pool, 'confidence')

    def pixel_score(self, prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Minus the per-pixel max probability ``[H, W]``."""
        from ..pooling import pixel_uncertainty
        return -pixel_uncertainty(prob)['confidence'].cpu().numpy()
