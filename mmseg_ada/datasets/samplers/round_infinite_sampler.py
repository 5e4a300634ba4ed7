"""An infinite sampler that restarts per round and seeds every sample."""
from __future__ import annotations

import itertools
from typing import Iterator, Optional, Sized

import torch
from mmengine.dataset import InfiniteSampler
from mmseg.registry import DATA_SAMPLERS

from mmseg_ada.utils.seeding import SeededIndex, derive_seed

__all__ = ['RoundInfiniteSampler']


@DATA_SAMPLERS.register_module()
class RoundInfiniteSampler(InfiniteSampler):
    """:class:`InfiniteSampler` whose stream is a function of the round.

    The active loop calls :meth:`set_round` at every round start (and at a
    resume, with the position reached inside the round).  Round ``k`` draws
    its own permutations from ``(seed, k)``, so rounds do not replay the
    same order, and every index it yields is a
    :class:`~mmseg_ada.utils.seeding.SeededIndex` seeded from
    ``(seed, k, global position)``: the sample's augmentations and paired
    draws are the same whichever worker loads it, so a resumed run sees
    exactly the batches of an uninterrupted one.  Skipping to a position
    costs no data loading.

    Args:
        dataset: the dataset.
        shuffle: shuffle each pass.
        seed: base seed (``None``: a random one shared by all ranks).
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        self.round = 0
        self.start = 0

    def set_round(self, round_idx: int, start: int = 0) -> None:
        """Restart the stream at round ``round_idx``, skipping ``start``
        samples of this rank.

        Args:
            round_idx: the round (0 before the first selection).
            start: samples of this rank already consumed in this round.
        """
        self.round = int(round_idx)
        self.start = int(start)
        self.size = len(self.dataset)
        self.indices = self._indices_of_rank()

    def _infinite_indices(self) -> Iterator[int]:
        g = torch.Generator()
        g.manual_seed(derive_seed(self.seed, self.round))
        while True:
            if self.shuffle:
                yield from torch.randperm(self.size, generator=g).tolist()
            else:
                yield from range(self.size)

    def _indices_of_rank(self) -> Iterator[int]:
        start = getattr(self, 'start', 0)
        rnd = getattr(self, 'round', 0)
        pos = itertools.count(self.rank + start * self.world_size,
                              self.world_size)
        stream = itertools.islice(self._infinite_indices(),
                                  self.rank + start * self.world_size, None,
                                  self.world_size)
        for p, idx in zip(pos, stream):
            yield SeededIndex(idx, derive_seed(self.seed, rnd, p))
