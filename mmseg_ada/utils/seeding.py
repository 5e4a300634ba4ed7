"""Randomness as a function of position: exact resume with any workers.

A run that is killed and resumed must draw the same augmentations, the same
target samples and the same dropout masks as an uninterrupted run.  Worker
processes cannot be checkpointed, so instead every random stream is made a
function of *where* the run is: each training sample is seeded from
``(seed, round, sample position)`` (:class:`SeededIndex`, yielded by
:class:`~mmseg_ada.datasets.samplers.RoundInfiniteSampler`) and the main
process is reseeded from ``(seed, iteration, rank)`` before each training
step (:func:`seed_all`).

Online sampling (ADA-MCU's pixel purchases and contrastive anchors) draws
from generators seeded from keys such as ``(seed, iteration, 'buy',
image_key)`` (:func:`seeded_generator`), so the same keys give the same
draws on every rank and in every rerun (:func:`sample_mask`).
"""
from __future__ import annotations

import hashlib
import random
import zlib
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

__all__ = [
    'SeededIndex', 'derive_seed', 'seed_all', 'key_int', 'seeded_generator',
    'sample_mask'
]

#: A key of :func:`seeded_generator`: an int or a string.
Key = Union[int, str]


def derive_seed(*keys: int) -> int:
    """A 32-bit seed from integer keys (SplitMix-like via SeedSequence).

    Args:
        *keys: integers (each taken modulo ``2**64``).

    Returns:
        int: the first 32-bit word numpy's ``SeedSequence(keys)``
        generates.
    """
    return int(
        np.random.SeedSequence([int(k) & 0xFFFFFFFFFFFFFFFF
                                for k in keys]).generate_state(1)[0])


def seed_all(seed: int) -> None:
    """Seed Python's, numpy's and torch's global generators (all devices).

    Args:
        seed: the seed (taken modulo ``2**32``).
    """
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


def key_int(key: Key) -> int:
    """A stable non-negative integer for an int or a string key.

    Strings are hashed with CRC-32 (stable across processes, unlike
    Python's ``hash``).

    Args:
        key: a non-negative int (bools count as ints) or a string.

    Returns:
        int: the int itself, or the string's CRC-32.

    Raises:
        ValueError: for a negative int.
        TypeError: for another type.
    """
    if isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, (int, np.integer)):
        if key < 0:
            raise ValueError(f'seed keys must be >= 0, got {key}')
        return int(key)
    if isinstance(key, str):
        return zlib.crc32(key.encode('utf-8'))
    raise TypeError(f'seed keys must be int or str, got {type(key)}')


def seeded_generator(*keys: Key) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``keys``.

    The seed is a 63-bit digest (BLAKE2b) of the keys, e.g. ``(seed,
    iteration, 'buy', image_key)``, so the same keys give the same draws on
    every rank and in every rerun, and different keys independent ones.

    Args:
        *keys (int | str): The keys.

    Returns:
        torch.Generator: A seeded CPU generator.
    """
    digest = hashlib.blake2b(
        ','.join(str(key_int(k)) for k in keys).encode(), digest_size=8)
    seed = int.from_bytes(digest.digest(), 'little') & ((1 << 63) - 1)
    return torch.Generator().manual_seed(seed)


def sample_mask(mask: Tensor, k: int,
                generator: Optional[torch.Generator]) -> Tensor:
    """``k`` elements of a boolean mask, uniformly without replacement.

    Args:
        mask (Tensor): Boolean tensor of any shape.
        k (int): How many ``True`` elements to keep (all when ``k`` is at
            least their number).
        generator (torch.Generator): CPU generator of the draw.

    Returns:
        Tensor: Boolean tensor like ``mask`` with ``min(k, mask.sum())``
        ``True`` elements, a subset of ``mask``.
    """
    flat = mask.reshape(-1)
    idx = flat.nonzero().squeeze(1)
    n = idx.numel()
    if k >= n:
        return mask.clone()
    out = torch.zeros_like(flat)
    if k > 0:
        pick = torch.randperm(n, generator=generator)[:k].to(idx.device)
        out[idx[pick]] = True
    return out.reshape(mask.shape)
