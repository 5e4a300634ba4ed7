"""CONF: buy the units with the least confidence."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..pool import UnitPool
from ..uncertainty import pixel_uncertainty
from .base import BaseStrategy

__all__ = ['Confidence']


@STRATEGIES.register_module()
class Confidence(BaseStrategy):
    """CONF (ADeADA supplement B, Eq. 9).

    ``S_R = 1/N sum_n p(y_n^1)``, the mean max-probability over the region
    (an image's max-probability, a pixel's own); the least confident units
    are bought first, so the score is ``-S_R``.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    def score(self, pool: UnitPool) -> np.ndarray:
        """``-pool.stat('confidence')``: larger = less confident."""
        return -pool.stat('confidence')

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Minus the per-pixel max probability ``[H, W]``."""
        return -pixel_uncertainty(prob)['confidence'].cpu().numpy()
