"""The labelled part of the target training set, as the label store says."""
from __future__ import annotations

import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Union

from mmengine.dataset import Compose
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from mmseg_ada.active.label_store import LabelStore


def image_stem(img_path: str, img_suffix: str) -> str:
    """File name of ``img_path`` without the dataset's image suffix."""
    name = osp.basename(img_path)
    return name[:-len(img_suffix)] if img_suffix and name.endswith(
        img_suffix) else osp.splitext(name)[0]


@DATASETS.register_module()
class ActiveTargetDataset(Dataset):
    """Target images that hold at least one bought label, with the oracle.

    Wraps a target dataset (e.g. mmseg's ``CityscapesDataset`` with ground
    truth) and exposes only the images the label store lists as labelled.
    :class:`~mmseg_ada.datasets.transforms.LoadActiveLabelMask` is inserted
    right after ``LoadAnnotations`` in the wrapped pipeline, so every label
    pixel outside the store's committed masks becomes 255 before any
    augmentation: target ground truth reaches a loss only where it was
    bought.  The store is re-read (one ``os.stat``) on every access, so all
    dataloader workers, persistent ones included, follow new rounds; the
    active train loop additionally restarts the dataloader iterator after a
    round so no prefetched batch predates it.

    Before the first round (or without ``work_dir``) the dataset is empty and
    :class:`SourceTargetDataset` yields source-only items.

    Args:
        dataset (dict | Dataset): the target dataset with ground truth; its
            pipeline must contain ``LoadAnnotations``.
        work_dir (str, optional): the run directory holding ``active/``.  The
            active train loop fills it in from the runner's work dir.
    """

    def __init__(self, dataset: Union[dict, Dataset],
                 work_dir: Optional[str] = None) -> None:
        if isinstance(dataset, dict):
            dataset = copy.deepcopy(dataset)
            dataset['pipeline'] = self._with_oracle(
                dataset.get('pipeline', []))
            dataset = DATASETS.build(dataset)
        else:
            dataset.pipeline = Compose(
                self._with_oracle(dataset.pipeline.transforms))
        self.dataset = dataset
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.work_dir = work_dir
        suffix = getattr(self.dataset, 'img_suffix', '')
        self.stems: List[str] = [
            image_stem(self.dataset.get_data_info(i)['img_path'], suffix)
            for i in range(len(self.dataset))
        ]
        if len(set(self.stems)) != len(self.stems):
            raise ValueError('ActiveTargetDataset: image stems are not '
                             'unique, masks could not be told apart')
        self._store: Optional[LabelStore] = None
        self._generation = -1
        self._indices: List[int] = []

    @staticmethod
    def _with_oracle(pipeline: List[Any]) -> List[Any]:
        """``pipeline`` with the oracle right after ``LoadAnnotations``."""
        out: List[Any] = []
        found = False
        for t in pipeline:
            name = t.get('type') if isinstance(t, dict) else type(t).__name__
            if name == 'LoadActiveLabelMask':
                continue  # re-inserted at the only correct place below
            out.append(t)
            if name == 'LoadAnnotations':
                found = True
                out.append(dict(type='LoadActiveLabelMask'))
        if not found:
            raise ValueError(
                'ActiveTargetDataset: the target pipeline has no '
                'LoadAnnotations, so no bought label could reach the model')
        return out

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return copy.deepcopy(self.dataset.metainfo)

    def _refresh(self) -> None:
        if self.work_dir is None or not osp.isfile(
                osp.join(self.work_dir, 'active', 'state.json')):
            self._indices = []
            return
        if self._store is None:
            self._store = LabelStore(self.work_dir, readonly=True)
        self._store.refresh()
        if self._store.generation != self._generation:
            labeled = set(self._store.labeled_stems())
            self._indices = [
                i for i, s in enumerate(self.stems) if s in labeled
            ]
            self._generation = self._store.generation

    def __len__(self) -> int:
        self._refresh()
        return len(self._indices)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        self._refresh()
        if not self._indices:
            raise IndexError('ActiveTargetDataset holds no labelled image yet')
        i = self._indices[idx % len(self._indices)]
        info = self.dataset.get_data_info(i)
        info['active_work_dir'] = self.work_dir
        info['active_stem'] = self.stems[i]
        return self.dataset.pipeline(info)
