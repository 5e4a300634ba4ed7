"""MAR: buy the units with the smallest top-2 margin."""
from __future__ import annotations

from mmseg_ada.registry import STRATEGIES
from .statistic import StatisticStrategy

__all__ = ['Margin']


@STRATEGIES.register_module()
class Margin(StatisticStrategy):
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

    statistic = 'margin'
    larger_first = False
