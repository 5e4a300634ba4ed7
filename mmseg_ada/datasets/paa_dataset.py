"""LADA's training input: source, anchors and anchor-set proposals."""
from __future__ import annotations

import copy
import time
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import Compose
from mmseg.registry import DATASETS, TRANSFORMS
from torch.utils.data import get_worker_info

from mmseg_ada.utils.seeding import derive_seed, seed_all
from .anchor_set import AnchorSet, NotReady
from .labeled_subset import LabeledSubsetDataset
from .multi_stream import DatasetLike, MultiStreamDataset
from .samplers.positioned_round_sampler import PositionedIndex

__all__ = ['PAADataset']

_MODES = ('laa', 'raa')
#: data-info keys that carry ground truth.
_LABEL_KEYS = ('gt_label', 'gt_score', 'seg_map_path')


@DATASETS.register_module()
class PAADataset(MultiStreamDataset):
    """Source + anchor + proposal per item (LADA's PAA, Alg. 1-2).

    Each item holds

    * ``source``: the sampler's source sample (the primary stream);
    * ``target``: an anchor ``x_a`` of the current anchor set ``A`` (a
      bought image with its **bought** label, or a pseudo-labelled image
      with its pseudo-label, never a label that was not bought) through
      the target dataset's pipeline (LADA: ``MixWeakStrong``, the mixed
      view of Eq. 5), with ``image_index`` and ``anchor`` (``'bought'`` /
      ``'pseudo'``) in its metainfo;
    * ``unlabeled``: its proposal ``x_n`` (Alg. 2 line 2, no label) through
      ``proposal_pipeline``: for ``mode='laa'`` a random one of the ``k``
      nearest target neighbours of ``x_a`` (cosine similarity of the
      eval-mode embeddings computed at the epoch start), for ``'raa'`` a
      uniformly random target image.

    Before the first query ``A`` is empty and items hold the source only.
    Anchors are drawn without replacement per pass over ``A``: pass ``j``
    over generation ``g`` is a seeded permutation of ``A``, cut into global
    batches in the order of the sampler's positions (the last batch of a
    pass wraps around), so each anchor is used once per pass as with the
    paper's loader over ``A``.  :class:`~mmseg_ada.engine.hooks.PAAHook`
    judges the proposals after each step and grows ``A`` (shared state:
    :class:`~mmseg_ada.datasets.anchor_set.AnchorSet`); use it together
    with ``sampler=dict(type='PositionedRoundSampler')``.

    Images are loaded here, by the dataloader (nothing is cached).  Which
    anchor and proposal an item holds is a function of the run's seed, the
    item's position and the anchor set of its iteration, so training is
    the same with any number of workers and after a resume.

    Args:
        source (dict | Dataset): Labelled source dataset.
        target (dict | Dataset): A :class:`LabeledSubsetDataset` (image
            mode) of the target training set; its pipeline makes the
            anchor view.
        proposal_pipeline (list[dict]): Pipeline of the proposals (LADA:
            the weak target view; no annotations are loaded).
        mode (str): ``'laa'`` or ``'raa'``.
        k (int): Neighbours ``K`` of LAA (10; 5 on Office-31).
        wait_timeout (float): Seconds a worker waits for the training
            process before raising. Defaults to 600.
        lazy_init (bool): Accepted for mmengine compatibility.
    """

    def __init__(self,
                 source: DatasetLike,
                 target: DatasetLike,
                 proposal_pipeline: Sequence[Union[dict, Any]],
                 mode: str = 'laa',
                 k: int = 10,
                 wait_timeout: float = 600.0,
                 lazy_init: bool = False) -> None:
        if mode not in _MODES:
            raise ValueError(f'PAADataset: mode must be one of {_MODES}, got '
                             f'{mode!r}')
        super().__init__(dict(source=source, target=target), primary='source')
        labeled = self.streams.get('target')
        if not isinstance(labeled, LabeledSubsetDataset) or \
                labeled.mode != 'image':
            raise TypeError(
                'PAADataset: target must be dict(type=\'LabeledSubset'
                'Dataset\', dataset=<target>) over an image-level (classifi'
                f'cation) dataset, got {type(labeled).__name__}')
        self.mode = mode
        self.k = int(k) if mode == 'laa' else 0
        if mode == 'laa' and self.k < 1:
            raise ValueError(f'PAADataset: LAA needs k >= 1, got {k}')
        self.raw = labeled.dataset
        self.num_images = len(self.raw)
        classes = self.raw.metainfo.get('classes') or ()
        if not classes:
            raise ValueError('PAADataset: the target dataset has no classes '
                             'in its metainfo')
        self.num_classes = len(classes)
        self.proposal_pipeline = Compose([
            TRANSFORMS.build(copy.deepcopy(t)) if isinstance(t, dict) else t
            for t in proposal_pipeline
        ])
        self.wait_timeout = float(wait_timeout)
        self.anchor_set = AnchorSet(self.num_images, self.num_classes, self.k)
        self._base: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
        self._gen: Optional[tuple] = None
        self._perm: Optional[tuple] = None

    # ------------------------------------------------------------ labels
    @property
    def labeled(self) -> LabeledSubsetDataset:
        """The bought-target stream (the engine finds the store by it)."""
        return self.streams['target']

    def bought(self, round_idx: int) -> Tuple[np.ndarray, np.ndarray]:
        """The images bought in rounds ``<= round_idx`` (``D_tl``), with
        their labels as the oracle answers them (asked for these images
        only; images a person left unanswered are not anchors).

        Args:
            round_idx: the round (``<= 0``: nothing bought).

        Returns:
            tuple[np.ndarray, np.ndarray]: ``int64`` ids and labels (cached
            once the round is visible).
        """
        if round_idx <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if round_idx in self._base:
            return self._base[round_idx]
        store = self.labeled.store()  # the bought stream's copy, shared
        if store is None:
            raise RuntimeError(
                f'PAADataset: round {round_idx} but no label store under '
                f'{self.labeled.work_dir}')
        visible = store.visible_round()
        oracle = self.labeled.oracle
        answers = [(int(i), oracle.image_label(int(i)))
                   for i in store.labeled_ids(upto=round_idx)]
        answers = [(i, a) for i, a in answers if a is not None]
        ids = np.asarray([i for i, _ in answers], np.int64)
        labels = np.asarray([int(a) for _, a in answers], np.int64)
        if visible >= round_idx:  # immutable from now on
            self._base = {round_idx: (ids, labels)}
        return ids, labels

    # ------------------------------------------------------------ items
    def _wait(self, fn):
        deadline = time.monotonic() + self.wait_timeout
        in_worker = get_worker_info() is not None
        while True:
            try:
                return fn()
            except NotReady as e:
                if not in_worker:
                    raise RuntimeError(
                        f'PAADataset: {e} is not processed yet, in the '
                        'training process itself; is PAAHook in '
                        'custom_hooks?') from e
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f'PAADataset: waited {self.wait_timeout:.0f} s for '
                        f'the training process to process {e}') from e
                time.sleep(0.002)

    def _generation(
        self, epoch: int, g: int, size: int,
        base: Tuple[np.ndarray,
                    np.ndarray]) -> Tuple[np.ndarray, np.ndarray, int]:
        key = (epoch, g, size, len(base[0]))
        if self._gen is None or self._gen[0] != key:
            ids, labels = self.anchor_set.additions(size - len(base[0]))
            self._gen = (key, np.concatenate([base[0], ids]),
                         np.concatenate([base[1], labels]))
        return self._gen[1], self._gen[2], len(base[0])

    def _pass_order(self, epoch: int, g: int, j: int, size: int) -> np.ndarray:
        key = (epoch, g, j, size)
        if self._perm is None or self._perm[0] != key:
            self._perm = (key, self.anchor_set.permutation(epoch, g, j, size))
        return self._perm[1]

    def _load(self, i: int, label: Optional[int], pipeline,
              kind: str) -> Dict[str, Any]:
        info = self.raw.get_data_info(int(i))
        for key in _LABEL_KEYS:
            info.pop(key, None)
        if label is not None:
            info['gt_label'] = int(label)
        info['image_index'] = int(i)
        packed = pipeline(info)
        if packed is None:
            raise RuntimeError(f'PAADataset: the {kind} pipeline dropped '
                               f'image {i}')
        packed['data_samples'].set_metainfo(
            dict(image_index=int(i), anchor=kind))
        return packed

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        seed = getattr(idx, 'seed', None)
        if seed is not None:
            seed_all(seed)
        item = {'source': self.streams['source'][int(idx)]}
        if not isinstance(idx, PositionedIndex):
            if len(self.labeled) == 0:
                return item
            raise TypeError(
                'PAADataset needs the train sampler dict(type='
                "'PositionedRoundSampler') once target labels are bought")
        base = self.bought(idx.round)
        if not self.anchor_set.armed:
            if len(base[0]) == 0:
                return item  # e.g. a loader test outside training
            raise RuntimeError(
                'PAADataset: the anchor set is not set up; add '
                "custom_hooks=[dict(type='PAAHook')] to the config")
        t, slot = self.anchor_set.locate(idx.round, idx.position)
        schedule = self.anchor_set.schedule
        if (schedule.rounds_started(t) != idx.round
                or t >= schedule.max_iters):
            # prefetched past its round's (or the run's) end: the active
            # loop restarts the data at every round, so this item is never
            # trained on (and must not wait for iterations that wait for
            # the restart)
            return item
        epoch, g, size, j, offset = self._wait(
            lambda: self.anchor_set.anchors_at(t, base[0], self.k > 0))
        if size == 0:
            return item
        ids, labels, n_bought = self._generation(epoch, g, size, base)
        batch = self.anchor_set.global_batch
        order = self._pass_order(epoch, g, j, size)
        pos = int(order[(offset * batch + slot) % size])
        anchor = int(ids[pos])
        kind = 'bought' if pos < n_bought else 'pseudo'
        item['target'] = self._load(anchor, int(labels[pos]),
                                    self.raw.pipeline, kind)
        rng = np.random.default_rng(derive_seed(seed or 0, 0x5AA))
        if self.mode == 'laa':
            nbr = self.anchor_set.neighbours(anchor)
            proposal = int(nbr[rng.integers(len(nbr))]) if len(nbr) else \
                int(rng.integers(self.num_images))
        else:
            proposal = int(rng.integers(self.num_images))
        item['unlabeled'] = self._load(proposal, None, self.proposal_pipeline,
                                       'proposal')
        return item
