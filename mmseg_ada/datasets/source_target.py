"""The two-stream input of segmentation ADA: labelled source + target."""
from __future__ import annotations

from typing import Optional

from mmseg.registry import DATASETS

from .multi_stream import DatasetLike, MultiStreamDataset

__all__ = ['SourceTargetDataset']


@DATASETS.register_module()
class SourceTargetDataset(MultiStreamDataset):
    """:class:`MultiStreamDataset` with the streams ``source`` and ``target``.

    Args:
        source (dict | Dataset): the labelled source dataset.
        target (dict | Dataset, optional): the target stream (e.g. a
            :class:`~mmseg_ada.datasets.LabeledSubsetDataset`); ``None`` or
            an empty dataset gives source-only items.
        lazy_init (bool): accepted for mmengine compatibility.
    """

    def __init__(self,
                 source: DatasetLike,
                 target: Optional[DatasetLike] = None,
                 lazy_init: bool = False) -> None:
        if source is None:
            raise ValueError('SourceTargetDataset: `source` is required')
        super().__init__(dict(source=source, target=target), primary='source')

    @property
    def source(self):
        """The source dataset."""
        return self.streams['source']

    @property
    def target(self):
        """The target dataset (``None`` when there is none)."""
        return self.streams.get('target')
