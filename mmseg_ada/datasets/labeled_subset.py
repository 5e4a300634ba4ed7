"""The bought part of the target training set, as the label store says."""
from __future__ import annotations

import copy
import os.path as osp
from typing import Any, Dict, List, Optional, Union

from mmengine.dataset import Compose
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from mmseg_ada.active.oracles import BaseOracle
from mmseg_ada.active.stores import ImageLabelStore, MaskLabelStore
from mmseg_ada.registry import ORACLES, build_active
from mmseg_ada.utils.paths import image_stem

__all__ = ['LabeledSubsetDataset', 'image_stem']


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

    Wraps a target dataset and exposes only the images the label store
    lists as labelled, in the rounds training has reached (the store's
    visible round).  Every label it gives out is the **oracle's** answer
    for what was bought (:class:`~mmseg_ada.active.oracles.
    GroundTruthOracle` by default: the dataset's own annotations; or
    :class:`~mmseg_ada.active.oracles.HumanOracle`: labels a person gave,
    imported round by round).  Two kinds of store:

    * ``mode='mask'`` (segmentation; chosen when the pipeline has
      ``LoadAnnotations``): ``LoadAnnotations`` is replaced by
      :class:`~mmseg_ada.datasets.transforms.LoadBoughtLabels`, which asks
      the oracle for the labels of the image's bought pixels (255
      elsewhere) before any augmentation - target labels reach a loss only
      where they were bought, and the dataset's annotation files are read
      only if the oracle reads them;
    * ``mode='image'`` (classification): the bought images, each with the
      oracle's class (an image a person left unanswered is left out).

    The store is re-read (one ``os.stat``) on every access, so all
    dataloader workers, persistent ones too, follow new rounds; the active
    loop also restarts the data iterator after a round.  Before the first
    round (or without ``work_dir``) the dataset is empty.

    Args:
        dataset (dict | Dataset): the target dataset.
        work_dir (str, optional): the run directory holding ``active/``;
            the active loop fills it in.
        mode (str): ``'auto'``, ``'mask'`` or ``'image'``.
        oracle (dict | BaseOracle, optional): where the labels come from
            (default ``dict(type='GroundTruthOracle')``); the active loop
            sets its own ``oracle``.
    """

    def __init__(self,
                 dataset: Union[dict, Dataset],
                 work_dir: Optional[str] = None,
                 mode: str = 'auto',
                 oracle: Optional[Union[dict, BaseOracle]] = None) -> None:
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
        #: how the dataset loads its own labels (the ground-truth oracle's
        #: loader); ``LoadBoughtLabels`` takes its place in the pipeline
        self.annotations: Any = None
        if mode == 'mask':
            if not has_ann:
                raise ValueError(
                    'LabeledSubsetDataset(mode="mask"): the target pipeline '
                    'has no LoadAnnotations, so there is no place for the '
                    'bought labels (put LoadAnnotations where the labels '
                    'are loaded: it is replaced by LoadBoughtLabels)')
            new_pipeline = self._with_oracle(pipeline)
            if isinstance(dataset, dict):
                dataset = copy.deepcopy(dataset)
                dataset['pipeline'] = new_pipeline
            else:
                dataset.pipeline = Compose(new_pipeline)
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
        #: the oracle this dataset was configured with (``None``: not set;
        #: the active loop then uses ``train_cfg.oracle`` or the ground
        #: truth)
        self.oracle_cfg = copy.deepcopy(oracle)
        self.oracle: BaseOracle = None  # type: ignore
        self.set_oracle(oracle)

    def _with_oracle(self, pipeline: List[Any]) -> List[Any]:
        """``pipeline`` with ``LoadBoughtLabels`` in ``LoadAnnotations``'s
        place (whose config is kept in :attr:`annotations`)."""
        out: List[Any] = []
        for t in pipeline:
            name = _transform_name(t)
            if name in ('LoadBoughtLabels', 'LoadActiveLabelMask'):
                continue  # inserted at the only correct place below
            if name == 'LoadAnnotations':
                self.annotations = copy.deepcopy(t) if isinstance(t,
                                                                  dict) else t
                out.append(dict(type='LoadBoughtLabels'))
            else:
                out.append(t)
        return out

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo."""
        return copy.deepcopy(self.dataset.metainfo)

    def set_oracle(self, oracle: Optional[Union[dict, BaseOracle]]) -> None:
        """Answer with ``oracle``, bound to the dataset and work dir.

        Args:
            oracle: a config or a built oracle; ``None``: the ground truth
                (``GroundTruthOracle``).
        """
        self.oracle = build_active(
            oracle or dict(type='GroundTruthOracle'), ORACLES)
        self.oracle.bind(self.dataset, self.work_dir, self.annotations)
        self._key = None

    def set_work_dir(self, work_dir: Optional[str]) -> None:
        """Follow the store of ``work_dir`` (the oracle is re-bound).

        Args:
            work_dir: the run directory (``None``: no store).
        """
        self.work_dir = work_dir
        self._store = None
        self._key = None
        self.oracle.bind(self.dataset, work_dir, self.annotations)

    def store(self) -> Optional[Union[MaskLabelStore, ImageLabelStore]]:
        """The run's label store, opened read-only once and refreshed;
        ``None`` before the run has one (no ``state.json`` yet).  Wrappers
        such as :class:`~mmseg_ada.datasets.PAADataset` read it here rather
        than opening a second copy."""
        if self.work_dir is None or not osp.isfile(
                osp.join(self.work_dir, 'active', 'state.json')):
            return None
        if self._store is None:
            cls = MaskLabelStore if self.mode == 'mask' else ImageLabelStore
            self._store = cls(self.work_dir, readonly=True)
        self._store.refresh()
        return self._store

    def _refresh(self) -> None:
        if self.store() is None:
            self._indices = []
            return
        key = (self._store.generation, self._store.visible_round())
        if key != self._key:
            if self.mode == 'mask':
                labeled = set(self._store.labeled_stems())
                self._indices = [
                    i for i, s in enumerate(self.stems) if s in labeled
                ]
            else:
                # images a person left unanswered are not trained on
                self._indices = [
                    int(i) for i in self._store.labeled_ids()
                    if self.oracle.image_label(int(i)) is not None
                ]
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
        info['image_index'] = i
        info['active_work_dir'] = self.work_dir
        info['active_stem'] = self.stems[i]
        info['active_round'] = self._store.visible_round()
        if self.mode == 'mask':
            info['active_oracle'] = self.oracle
        else:
            info['gt_label'] = self.oracle.image_label(i)
        return self.dataset.pipeline(info)
