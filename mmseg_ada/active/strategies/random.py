"""RAND: buy units uniformly at random."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..pool import UnitPool
from .base import BaseStrategy

__all__ = ['Random']


@STRATEGIES.register_module()
class Random(BaseStrategy):
    """RAND (ADeADA supplement B; RAN in the classification papers).

    Every candidate gets the same score, so the order is the seeded
    tie-breaking permutation of :meth:`BaseStrategy.select`: a uniform random
    order, reproducible from ``(seed, round)``.  Pixel units: uniform noise
    from the per-image generator.

    Args:
        **kwargs: see :class:`BaseStrategy`.
    """

    def score(self, pool: UnitPool) -> np.ndarray:
        """All zeros: the seeded permutation decides the order.

        Args:
            pool: the candidates (only its length is used).

        Returns:
            np.ndarray: ``float64 [N]`` zeros.
        """
        return np.zeros(len(pool), dtype=np.float64)

    def pixel_score(self,
                    prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Uniform random ``[H, W]`` scores (``prob`` gives the shape).

        Args:
            prob: ``[C, H, W]`` probabilities (numpy or torch); only the
                shape is used.
            rng: the per-image generator (required).

        Returns:
            np.ndarray: ``float64 [H, W]`` draws in ``[0, 1)``.
        """
        if rng is None:
            raise ValueError('Random.pixel_score needs a generator')
        shape = tuple(prob.shape)
        if len(shape) != 3:
            raise ValueError(f'prob must be [C, H, W], got shape {shape}')
        return rng.random(shape[1:])
