"""ENT: buy the units with the largest softmax entropy."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..pool import UnitPool
from ..uncertainty import pixel_uncertainty
from .base import BaseStrategy

__all__ = ['Entropy']


@STRATEGIES.register_module()
class Entropy(BaseStrategy):
    """ENT (ADeADA supplement B, Eq. 10).

    Region score ``S_R = -1/N sum_n sum_i p_n^i log p_n^i`` (natural log),
    the mean pixel entropy over the region; an image's score is the entropy
    of its softmax; a pixel's its own entropy.  Largest first.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    def score(self, pool: UnitPool) -> np.ndarray:
        """``pool.stat('entropy')``: larger = more uncertain."""
        return pool.stat('entropy')

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Per-pixel entropy ``[H, W]``."""
        return pixel_uncertainty(prob)['entropy'].cpu().numpy()
