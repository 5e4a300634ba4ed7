"""One labelled stream of the source and the bought target images."""
from __future__ import annotations

import copy
from typing import Any, Dict

from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from .labeled_subset import LabeledSubsetDataset
from .multi_stream import DatasetLike, build_dataset

__all__ = ['JointLabeledDataset']


@DATASETS.register_module()
class JointLabeledDataset(Dataset):
    """``D_s u D~_t``: the source images followed by the bought target ones.

    SDM trains on the union of the labelled source and the labelled target
    sets ("the model is then trained on D_s u D~_t"; its code appends the
    bought images to the source list), not on one batch per domain.  Use
    it as the primary stream of a
    :class:`~mmseg_ada.datasets.MultiStreamDataset`; its length grows with
    every round (the active loop's :class:`RoundInfiniteSampler` re-reads
    it when a round starts), and item ``i >= len(source)`` is the ``(i -
    len(source))``-th bought image (with its bought label) through the
    target dataset's pipeline.

    Args:
        source (dict | Dataset): The labelled source dataset.
        target (dict | Dataset): A :class:`LabeledSubsetDataset` of the
            target training set.
    """

    def __init__(self, source: DatasetLike, target: DatasetLike) -> None:
        self.streams: Dict[str, Dataset] = dict(
            source=build_dataset(source), target=build_dataset(target))
        if not isinstance(self.streams['target'], LabeledSubsetDataset):
            raise TypeError('JointLabeledDataset: target must be a '
                            'LabeledSubsetDataset, got '
                            f'{type(self.streams["target"]).__name__}')

    @property
    def metainfo(self) -> dict:
        """The source dataset's metainfo."""
        return copy.deepcopy(getattr(self.streams['source'], 'metainfo', {}))

    def full_init(self) -> None:
        """Fully initialise the wrapped datasets (mmengine API)."""
        for ds in self.streams.values():
            if hasattr(ds, 'full_init'):
                ds.full_init()

    def __len__(self) -> int:
        return len(self.streams['source']) + len(self.streams['target'])

    def __getitem__(self, idx: int) -> Any:
        n = len(self.streams['source'])
        i = int(idx)
        if i < n:
            return self.streams['source'][i]
        return self.streams['target'][i - n]
