"""MAR: buy the units with the smallest top-2 margin."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..pool import UnitPool
from ..uncertainty import pixel_uncertainty
from .base import BaseStrategy

__all__ = ['Margin']


@STRATEGIES.register_module()
class Margin(BaseStrategy):
    """MAR (ADeADA supplement B, Eq. 8; margin sampling).

    ``S_R = 1/N sum_n [p(y_n^1) - p(y_n^2)]``, the mean difference of the
    two largest probabilities over the region (an image's, a pixel's own);
    the smallest margins are bought first, so the score is ``-S_R``.

    The ADeADA supplement also says MAR buys the smallest-margin regions
    "for each category" without saying how the budget is split; this class
    ranks all units together like CONF and ENT.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    def score(self, pool: UnitPool) -> np.ndarray:
        """``-pool.stat('margin')``: larger = closer to the boundary."""
        return -pool.stat('margin')

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Minus the per-pixel top-1 minus top-2 probability ``[H, W]``."""
        return -pixel_uncertainty(prob)['margin'].cpu().numpy()
