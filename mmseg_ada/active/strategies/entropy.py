"""ENT: buy the units with the largest softmax entropy."""
from __future__ import annotations

from mmseg_ada.registry import STRATEGIES
from .statistic import StatisticStrategy

__all__ = ['Entropy']


@STRATEGIES.register_module()
class Entropy(StatisticStrategy):
    """ENT (ADeADA supplement B, Eq. 10).

    Region score ``S_R = -1/N sum_n sum_i p_n^i log p_n^i`` (natural log),
    the mean pixel entropy over the region; an image's score is the entropy
    of its softmax; a pixel's its own entropy.  Largest first.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    statistic = 'entropy'
    larger_first = True
