"""CONF: buy the units with the least confidence."""
from __future__ import annotations

from mmseg_ada.registry import STRATEGIES
from .statistic import StatisticStrategy

__all__ = ['Confidence']


@STRATEGIES.register_module()
class Confidence(StatisticStrategy):
    """CONF (ADeADA supplement B, Eq. 9).

    ``S_R = 1/N sum_n p(y_n^1)``, the mean max-probability over the region
    (an image's max-probability, a pixel's own); the least confident units
    are bought first, so the score is ``-S_R``.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    statistic = 'confidence'
    larger_first = False
