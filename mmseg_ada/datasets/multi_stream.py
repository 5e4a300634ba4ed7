"""A training input that yields one sample of every stream per item.

Every item is ``dict(<stream>=<packed sample>, ...)``, e.g.
``dict(source=..., target=..., unlabeled=...)``: the *primary* stream
(``source``) is indexed by the sampler, so mmengine's samplers shard and
shuffle it across ranks exactly as in a single-domain run and the dataset's
length is the primary's; every other stream contributes one sample drawn
uniformly at random.  A stream that is empty (the labelled target before the
first active round) is left out of the item, so training never waits on it.

Randomness: when the index is a :class:`~mmseg_ada.utils.seeding.
SeededIndex` (from :class:`~mmseg_ada.datasets.samplers.
RoundInfiniteSampler`), the global generators are seeded from it before the
sample is built and the other streams are drawn from a generator seeded by
it, so an item is a pure function of (seed, round, position): the same in
every worker and after a resume.  With a plain ``int`` index the draws use
numpy's global generator (seeded per worker by mmengine).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Union

import numpy as np
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from mmseg_ada.utils.seeding import seed_all

__all__ = ['MultiStreamDataset']

DatasetLike = Union[dict, Dataset]


def build_dataset(cfg: Optional[DatasetLike]) -> Optional[Dataset]:
    """A dataset from a config dict.

    Args:
        cfg: a config (built with mmseg's ``DATASETS``, deep-copied), a
            dataset (returned as is) or ``None``.

    Returns:
        Dataset | None: the dataset (``None`` for ``None``).
    """
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        return DATASETS.build(copy.deepcopy(cfg))
    return cfg


@DATASETS.register_module()
class MultiStreamDataset(Dataset):
    """Several datasets read together, one sample of each per item.

    Args:
        streams (dict): stream name -> dataset (or config), in order.
        primary (str): the stream the sampler indexes (default: the first).
        lazy_init (bool): accepted for mmengine compatibility.
    """

    def __init__(self,
                 streams: Dict[str, DatasetLike],
                 primary: Optional[str] = None,
                 lazy_init: bool = False) -> None:
        if not streams:
            raise ValueError('MultiStreamDataset needs at least one stream')
        self.streams: Dict[str, Dataset] = {
            name: build_dataset(cfg)
            for name, cfg in streams.items() if cfg is not None
        }
        self.primary = primary or next(iter(self.streams))
        if self.primary not in self.streams:
            raise ValueError(f'primary stream {self.primary!r} is not one of '
                             f'{list(self.streams)}')

    @property
    def metainfo(self) -> dict:
        """The primary dataset's metainfo (classes and palette)."""
        return copy.deepcopy(
            getattr(self.streams[self.primary], 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise the wrapped datasets (mmengine API)."""
        for ds in self.streams.values():
            if hasattr(ds, 'full_init'):
                ds.full_init()

    def __len__(self) -> int:
        return len(self.streams[self.primary])

    def stream_length(self, name: str) -> int:
        """Current number of samples of stream ``name``.

        Args:
            name: the stream.

        Returns:
            int: its length (0 if absent).
        """
        ds = self.streams.get(name)
        return 0 if ds is None else len(ds)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        seed = getattr(idx, 'seed', None)
        if seed is not None:
            seed_all(seed)
            draw = np.random.default_rng(seed).integers
        else:
            draw = np.random.randint
        item = {self.primary: self.streams[self.primary][int(idx)]}
        for name, ds in self.streams.items():
            if name == self.primary:
                continue
            n = len(ds)
            if n > 0:
                item[name] = ds[int(draw(n))]
        return item
