"""Seeded, rank- and rerun-independent random draws for online sampling."""
from __future__ import annotations

import hashlib
import zlib
from typing import Optional, Union

import numpy as np
import torch
from torch import Tensor

Key = Union[int, str]


def key_int(key: Key) -> int:
    """A stable non-negative integer for an int or a string key.

    Strings are hashed with CRC-32 (stable across processes, unlike
    Python's ``hash``).
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
