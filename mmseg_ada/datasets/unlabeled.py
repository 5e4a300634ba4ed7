"""Target images without their labels (for methods that use them)."""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Union

from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from .labeled_subset import _stems, _transform_name

__all__ = ['UnlabeledDataset']

#: data-info keys that carry ground truth and are removed.
_LABEL_KEYS = ('gt_label', 'seg_map_path')


@DATASETS.register_module()
class UnlabeledDataset(Dataset):
    """A target dataset stripped of its labels.

    ``LoadAnnotations`` is dropped from the pipeline and the label fields
    (``gt_label``, ``seg_map_path``) are removed from each sample's info
    before the pipeline runs, so no label of this stream can reach a loss;
    labels that are bought come only through the label store (the
    labelled-subset stream, or online purchases answered by the oracle).
    Each sample carries ``image_index`` (its index in the wrapped dataset)
    and ``active_stem`` in its metainfo when the pipeline's packer keeps them.

    Args:
        dataset (dict | Dataset): the target dataset.
        work_dir (str, optional): accepted for symmetry with
            :class:`LabeledSubsetDataset` (the active loop fills it in).
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 work_dir: Optional[str] = None) -> None:
        if isinstance(dataset, dict):
            dataset = copy.deepcopy(dataset)
            dataset['pipeline'] = [
                t for t in dataset.get('pipeline', [])
                if _transform_name(t) != 'LoadAnnotations'
            ]
            dataset = DATASETS.build(dataset)
        else:
            dataset.pipeline.transforms = [
                t for t in dataset.pipeline.transforms
                if _transform_name(t) != 'LoadAnnotations'
            ]
        self.dataset = dataset
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.work_dir = work_dir
        self.stems = _stems(self.dataset, unique=False)

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return copy.deepcopy(self.dataset.metainfo)

    def set_work_dir(self, work_dir: Optional[str]) -> None:
        """Accepted for symmetry (nothing to follow).

        Args:
            work_dir: the run directory (stored only).
        """
        self.work_dir = work_dir

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        i = int(idx)
        info = self.dataset.get_data_info(i)
        for key in _LABEL_KEYS:
            info.pop(key, None)
        info['image_index'] = i
        info['active_stem'] = self.stems[i]
        return self.dataset.pipeline(info)
