"""MAR: buy the regions (or pixels) with the smallest mean top-2 margin."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from mmseg.registry import TASK_UTILS

from .base import BaseActiveStrategy, RegionPool

__all__ = ['ActiveMargin']


@TASK_UTILS.register_module()
class ActiveMargin(BaseActiveStrategy):
    """MAR (ADeADA supplement B, Eq. 8).

    ``S_R = 1/N sum_n [p(y_n^1) - p(y_n^2)]``, the mean difference of the
    two largest probabilities over the region's unlabelled pixels; the
    smallest margins are bought first, so the score is ``-S_R``.  Pixel
    level: minus the pixel's margin.

    The supplement also says MAR buys the smallest-margin regions "for each
    category"; this class ranks all regions together like CONF and ENT
    (the text gives no per-category budget split).

    Args:
        seed: seed of the tie-breaking generator.
        unit: ``'region'`` or ``'pixel'``.
    """

    def score(self, pool: RegionPool) -> np.ndarray:
        """``-pool.stats['margin']``: larger = closer to the boundary."""
        return -self._stat(pool, 'margin')

    def pixel_score(self, prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Minus the per-pixel top-1 minus top-2 probability ``[H, W]``."""
        from ..pooling import pixel_uncertainty
        return -pixel_uncertainty(prob)['margin'].cpu().numpy()
