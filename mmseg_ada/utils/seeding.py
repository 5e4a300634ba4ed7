"""Randomness as a function of position: exact resume with any workers.

A run that is killed and resumed must draw the same augmentations, the same
target samples and the same dropout masks as an uninterrupted run.  Worker
processes cannot be checkpointed, so instead every random stream is made a
function of *where* the run is: each training sample is seeded from
``(seed, round, sample position)`` (:class:`SeededIndex`, yielded by
:class:`~mmseg_ada.datasets.samplers.RoundInfiniteSampler`) and the main
process is reseeded from ``(seed, iteration, rank)`` before each training
step (:func:`seed_all`).
"""
from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ['SeededIndex', 'derive_seed', 'seed_all']


def derive_seed(*keys: int) -> int:
    """A 32-bit seed from integer keys (SplitMix-like via SeedSequence)."""
    return int(
        np.random.SeedSequence([int(k) & 0xFFFFFFFFFFFFFFFF
                                for k in keys]).generate_state(1)[0])


def seed_all(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (all devices)."""
    seed = int(seed) & 0xFFFFFFFF
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SeededIndex(int):
    """A dataset index that carries the seed of its sample.

    It behaves as an ``int`` everywhere (list indexing, ``range`` checks);
    datasets that know it (:class:`~mmseg_ada.datasets.MultiStreamDataset`)
    seed the global generators from :attr:`seed` before loading the sample,
    so its augmentations do not depend on which worker loads it or on what
    that worker loaded before.

    Args:
        value: the index.
        seed: the sample's seed.
    """

    seed: int

    def __new__(cls, value: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, value)
        obj.seed = int(seed)
        return obj

    def __reduce__(self):
        return (SeededIndex, (int(self), self.seed))

    def __repr__(self) -> str:
        return f'SeededIndex({int(self)}, seed={self.seed})'
