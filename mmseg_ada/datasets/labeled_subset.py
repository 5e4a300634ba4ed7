"""The bought part of the target training set, as the label store says."""
from __future__ import annotations

import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Union

from mmengine.dataset import Compose
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from mmseg_ada.active.stores import ImageLabelStore, MaskLabelStore

__all__ = ['LabeledSubsetDataset', 'image_stem']


def image_stem(img_path: str, img_suffix: str) -> str:
    """File name of ``img_path`` without the dataset's image suffix."""
    name = osp.basename(img_path)
    return name[:-len(img_suffix)] if img_suffix and name.endswith(
        img_suffix) else osp.splitext(name)[0]


def _transform_name(t: Any) -> str:
    return t.get('type') if isinstance(t, dict) else type(t).__name__


def _stems(dataset: Any, unique: bool = True) -> List[str]:
    """The stem of every image; ``unique``: they must differ (mask keys)."""
    suffix = getattr(dataset, 'img_suffix', '')
    stems = [
        image_stem(dataset.get_data_info(i)['img_path'], suffix)
        for i in range(len(dataset))
    ]
    if unique and len(set(stems)) != len(stems):
        seen, dup = set(), None
        for s in stems:
            if s in seen:
                dup = s
                break
            seen.add(s)
        raise ValueError(f'{type(dataset).__name__}: image stems are not '
                         f'unique (e.g. {dup!r}), bought labels could not be '
                         'told apart')
    return stems


@DATASETS.register_module()
class LabeledSubsetDataset(Dataset):
    """Target images holding bought labels, with their labels from the oracle.

    Wraps a target dataset *with* ground truth and exposes only the images
    the label store lists as labelled, in the rounds training has reached
    (the store's visible round).  Two kinds of store:

    * ``mode='mask'`` (segmentation; chosen when the pipeline has
      ``LoadAnnotations``): :class:`~mmseg_ada.datasets.transforms.
      LoadActiveLabelMask` is inserted right after ``LoadAnnotations``, so
      every label pixel that was not bought becomes 255 before any
      augmentation - target ground truth reaches a loss only where it was
      bought;
    * ``mode='image'`` (classification): the bought images, with their
      labels (an image is bought whole).

    The store is re-read (one ``os.stat``) on every access, so all
    dataloader workers, persistent ones too, follow new rounds; the active
    loop also restarts the data iterator after a round.  Before the first
    round (or without ``work_dir``) the dataset is empty.

    Args:
        dataset (dict | Dataset): the target dataset with ground truth.
        work_dir (str, optional): the run directory holding ``active/``;
            the active loop fills it in.
        mode (str): ``'auto'``, ``'mask'`` or ``'image'``.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 work_dir: Optional[str] = None,
                 mode: str = 'auto') -> None:
        if mode not in ('auto', 'mask', 'image'):
            raise ValueError(f"mode must be 'auto', 'mask' or 'image', got "
                             f'{mode!r}')
        pipeline = (
            dataset.get('pipeline', []) if isinstance(dataset, dict) else
            getattr(dataset.pipeline, 'transforms', []))
        has_ann = any(
            _transform_name(t) == 'LoadAnnotations' for t in pipeline)
        if mode == 'auto':
            mode = 'mask' if has_ann else 'image'
        if mode == 'mask':
            if not has_ann:
                raise ValueError(
                    'LabeledSubsetDataset(mode="mask"): the target pipeline '
                    'has no LoadAnnotations, so no bought label could reach '
                    'the model')
            if isinstance(dataset, dict):
                dataset = copy.deepcopy(dataset)
                dataset['pipeline'] = self._with_oracle(pipeline)
            else:
                dataset.pipeline = Compose(self._with_oracle(pipeline))
        if isinstance(dataset, dict):
            dataset = DATASETS.build(copy.deepcopy(dataset))
        self.dataset = dataset
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.mode = mode
        self.work_dir = work_dir
        # image ids key the image store; stems key the masks
        self.stems: List[str] = _stems(self.dataset, unique=mode == 'mask')
        self._store = None
        self._key = None
        self._indices: List[int] = []

    @staticmethod
    def _with_oracle(pipeline: List[Any]) -> List[Any]:
        """``pipeline`` with the oracle right after ``LoadAnnotations``."""
        out: List[Any] = []
        for t in pipeline:
            name = _transform_name(t)
            if name == 'LoadActiveLabelMask':
                continue  # re-inserted at the only correct place below
            out.append(t)
            if name == 'LoadAnnotations':
                out.append(dict(type='LoadActiveLabelMask'))
        return out

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return copy.deepcopy(self.dataset.metainfo)

    def set_work_dir(self, work_dir: Optional[str]) -> None:
        """Follow the store of ``work_dir``."""
        self.work_dir = work_dir
        self._store = None
        self._key = None

    def _refresh(self) -> None:
        if self.work_dir is None or not osp.isfile(
                osp.join(self.work_dir, 'active', 'state.json')):
            self._indices = []
            return
        if self._store is None:
            cls = MaskLabelStore if self.mode == 'mask' else ImageLabelStore
            self._store = cls(self.work_dir, readonly=True)
        self._store.refresh()
        key = (self._store.generation, self._store.visible_round())
        if key != self._key:
            if self.mode == 'mask':
                labeled = set(self._store.labeled_stems())
                self._indices = [
                    i for i, s in enumerate(self.stems) if s in labeled
                ]
            else:
                self._indices = [int(i) for i in self._store.labeled_ids()]
            self._key = key

    def labeled_indices(self) -> List[int]:
        """Dataset indices of the labelled images (visible rounds)."""
        self._refresh()
        return list(self._indices)

    def __len__(self) -> int:
        self._refresh()
        return len(self._indices)

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        self._refresh()
        if not self._indices:
            raise IndexError(
                'LabeledSubsetDataset holds no labelled image yet')
        i = self._indices[int(idx) % len(self._indices)]
        info = self.dataset.get_data_info(i)
        info['active_work_dir'] = self.work_dir
        info['active_stem'] = self.stems[i]
        info['active_round'] = self._store.visible_round()
        info['image_index'] = i
        return self.dataset.pipeline(info)
