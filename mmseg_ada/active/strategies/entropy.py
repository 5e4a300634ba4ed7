"""ENT: buy the regions (or pixels) with the largest mean softmax entropy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from mmseg.registry import TASK_UTILS

from .base import BaseActiveStrategy, RegionPool

__all__ = ['ActiveEntropy']


@TASK_UTILS.register_module()
class ActiveEntropy(BaseActiveStrategy):
    """ENT (ADeADA supplement B, Eq. 10).

    Region score ``S_R = -1/N sum_n sum_i p_n^i log p_n^i`` (natural log),
    the mean pixel entropy over the region's unlabelled pixels; largest
    first.  Pixel level: the pixel entropy.

    Args:
        seed: seed of the tie-breaking generator.
        unit: ``'region'`` or ``'pixel'``.
    """

    def score(self, pool: RegionPool) -> np.ndarray:
        """``pool.stats['entropy']``: larger = more uncertain."""
        return self._stat(pool, 'entropy')

    def pixel_score(self, prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Per-pixel entropy ``[H, W]``."""
        from ..pooling import pixel_uncertainty
        return pixel_uncertainty(prob)['entropy'].cpu().numpy()
