"""A training input that yields a labelled source sample and a target sample.

Every item is ``dict(source=<packed source sample>, target=<packed target
sample>)``; the target part is left out while the target dataset is empty (for
example before the first active round, when no target label has been bought
yet), so training never waits on an empty dataset.  Batches are assembled by
:func:`source_target_collate`, and the
:class:`~mmseg_ada.models.data_preprocessors.SourceTargetDataPreProcessor`
turns them into ``inputs``/``data_samples`` (source) and
``target_inputs``/``target_data_samples`` (target).

The length of the wrapper is the length of the source dataset, so mmengine's
``InfiniteSampler``/``DefaultSampler`` shard and shuffle the *source* stream
across ranks exactly as in a source-only run.  The target sample of an item is
drawn uniformly at random with numpy's global generator, which mmengine seeds
per rank and per dataloader worker (``randomness.seed``), so runs are
reproducible and ranks/workers draw different targets.  The target length is
read at every item, so a target dataset whose content grows between active
rounds (in every worker, persistent workers too) is picked up from the next
item on.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

DatasetLike = Union[dict, Dataset]


def _build(cfg: Optional[DatasetLike]) -> Optional[Dataset]:
    if cfg is None:
        return None
    if isinstance(cfg, dict):
        return DATASETS.build(copy.deepcopy(cfg))
    return cfg


@DATASETS.register_module()
class SourceTargetDataset(Dataset):
    """Pairs every labelled source sample with a random target sample.

    Args:
        source (dict | Dataset): the labelled source dataset (or its config).
        target (dict | Dataset, optional): the target dataset (or its config).
            ``None`` or an empty dataset gives source-only items.
        lazy_init (bool): accepted for mmengine compatibility; the wrapped
            datasets handle their own lazy initialisation.
    """

    def __init__(self,
                 source: DatasetLike,
                 target: Optional[DatasetLike] = None,
                 lazy_init: bool = False) -> None:
        self.source = _build(source)
        self.target = _build(target)
        if self.source is None:
            raise ValueError('SourceTargetDataset: `source` is required')

    @property
    def metainfo(self) -> dict:
        """The source dataset's metainfo (classes and palette)."""
        return copy.deepcopy(getattr(self.source, 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise the wrapped datasets (mmengine API)."""
        for ds in (self.source, self.target):
            if ds is not None and hasattr(ds, 'full_init'):
                ds.full_init()

    def __len__(self) -> int:
        return len(self.source)

    def target_length(self) -> int:
        """Current number of target samples (0 when there is none)."""
        return 0 if self.target is None else len(self.target)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        item = dict(source=self.source[idx])
        n_target = self.target_length()
        if n_target > 0:
            item['target'] = self.target[int(np.random.randint(n_target))]
        return item


@FUNCTIONS.register_module()
def source_target_collate(data_batch: Sequence[dict]) -> Dict[str, Any]:
    """Collate :class:`SourceTargetDataset` items (mmengine ``collate_fn``).

    Source parts are collated with mmengine's ``pseudo_collate``; target parts
    likewise, keeping only the items that carry one (the target dataset can
    become non-empty while a batch is being assembled).

    Args:
        data_batch: items of a :class:`SourceTargetDataset`.

    Returns:
        ``dict(source=..., target=...)`` where ``target`` is missing when no
        item of the batch had a target sample.
    """
    if not all(isinstance(d, dict) and 'source' in d for d in data_batch):
        raise TypeError('source_target_collate expects items of a '
                        'SourceTargetDataset: dict(source=..., target=...)')
    out: Dict[str, Any] = dict(
        source=pseudo_collate([d['source'] for d in data_batch]))
    targets: List[Any] = [d['target'] for d in data_batch if 'target' in d]
    if targets:
        out['target'] = pseudo_collate(targets)
    return out
