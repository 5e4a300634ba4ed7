"""A round sampler whose indices also say where in the round they are."""
from __future__ import annotations

import itertools
from typing import Iterator

from mmseg.registry import DATA_SAMPLERS

from mmseg_ada.utils.seeding import SeededIndex, derive_seed
from .round_infinite_sampler import RoundInfiniteSampler

__all__ = ['PositionedIndex', 'PositionedRoundSampler']


class PositionedIndex(SeededIndex):
    """A :class:`SeededIndex` that also carries its round and position.

    ``position`` is the global sample position in the round (all ranks
    interleaved: rank ``r`` yields positions ``r, r + W, r + 2W, ...``), so
    with the per-rank batch size ``B`` the sample belongs to the round's
    step ``position // (B * W)`` and takes slot ``position % (B * W)`` of
    the global batch.

    Args:
        value: the index.
        seed: the sample's seed.
        round_idx: the sampler's round.
        position: the global position in the round.
    """

    round: int
    position: int

    def __new__(cls, value: int, seed: int, round_idx: int,
                position: int) -> 'PositionedIndex':
        obj = super().__new__(cls, value, seed)
        obj.round = int(round_idx)
        obj.position = int(position)
        return obj

    def __reduce__(self):
        return (PositionedIndex, (int(self), self.seed, self.round,
                                  self.position))

    def __repr__(self) -> str:
        return (f'PositionedIndex({int(self)}, seed={self.seed}, '
                f'round={self.round}, position={self.position})')


@DATA_SAMPLERS.register_module()
class PositionedRoundSampler(RoundInfiniteSampler):
    """:class:`RoundInfiniteSampler` yielding :class:`PositionedIndex`.

    The same indices and seeds as its parent (a drop-in replacement); a
    dataset that must know which training step a sample is for (LADA's
    :class:`~mmseg_ada.datasets.PAADataset`: the anchor set grows during
    the epoch) reads the round and the position from the index.
    """

    def _indices_of_rank(self) -> Iterator[int]:
        start = getattr(self, 'start', 0)
        rnd = getattr(self, 'round', 0)
        first = self.rank + start * self.world_size
        pos = itertools.count(first, self.world_size)
        stream = itertools.islice(self._infinite_indices(), first, None,
                                  self.world_size)
        for p, idx in zip(pos, stream):
            yield PositionedIndex(idx, derive_seed(self.seed, rnd, p), rnd, p)
