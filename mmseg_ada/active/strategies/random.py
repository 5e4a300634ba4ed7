"""RAND: buy regions (or pixels) uniformly at random."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from mmseg.registry import TASK_UTILS

from .base import BaseActiveStrategy, RegionPool

__all__ = ['ActiveRandom']


@TASK_UTILS.register_module()
class ActiveRandom(BaseActiveStrategy):
    """RAND (ADeADA supplement B): random regions of the unlabelled pool.

    At region level every row gets the same score, so the order is the
    seeded tie-breaking permutation of :meth:`BaseActiveStrategy.select`: a
    uniform random order, reproducible from ``(seed, round)``.  At pixel
    level the score map is uniform noise from the per-image generator.

    Args:
        seed: seed of the generator.
        unit: ``'region'`` or ``'pixel'``.
    """

    def score(self, pool: RegionPool) -> np.ndarray:
        """All zeros: the seeded permutation decides the order."""
        return np.zeros(len(pool), dtype=np.float64)

    def pixel_score(self, prob: Any,
                    rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Uniform random ``[H, W]`` scores (``prob`` gives the shape)."""
        if rng is None:
            raise ValueError('ActiveRandom.pixel_score needs a generator')
        shape = tuple(prob.shape)
        if len(shape) != 3:
            raise ValueError(f'prob must be [C, H, W], got shape {shape}')
        return rng.random(shape[1:])
