"""The base of the strategies that rank by one uncertainty statistic."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..pool import UnitPool
from ..uncertainty import pixel_uncertainty
from .base import BaseStrategy

__all__ = ['StatisticStrategy']


class StatisticStrategy(BaseStrategy):
    """Buy the units whose uncertainty statistic ranks first.

    A unit's score is its pooled statistic :attr:`statistic` (a region's
    mean over its pixels, an image's own, a pixel's own; the units compute
    them with :func:`~mmseg_ada.active.uncertainty.pixel_uncertainty`) and
    a pixel's score the same statistic of its softmax; with
    :attr:`larger_first` ``False`` the score is its negation, so that the
    smallest values are bought first.  Subclasses set the two attributes
    (ENT, CONF, MAR); this class is not registered.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    #: The ``pixel_uncertainty`` / pool statistic: ``'entropy'``,
    #: ``'confidence'`` or ``'margin'``.
    statistic: str = ''
    #: ``True``: the largest values are bought first (entropy); ``False``:
    #: the smallest (confidence, margin).
    larger_first: bool = True

    def score(self, pool: UnitPool) -> np.ndarray:
        """The pool's :attr:`statistic` (negated unless larger first).

        Args:
            pool: the candidates; ``pool.stats[statistic]`` is read.

        Returns:
            np.ndarray: ``[N]`` scores (higher is bought first).
        """
        value = pool.stat(self.statistic)
        return value if self.larger_first else -value

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """The per-pixel :attr:`statistic` ``[H, W]`` (negated unless
        larger first); only that map is computed.

        Args:
            prob: ``[C, H, W]`` softmax probabilities (numpy or torch).
            rng: unused (the score is deterministic).

        Returns:
            np.ndarray: ``[H, W]`` scores (higher is bought first).
        """
        value = pixel_uncertainty(
            prob, stats=(self.statistic, ))[self.statistic].cpu().numpy()
        return value if self.larger_first else -value
