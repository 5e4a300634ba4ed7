"""The active domain adaptation protocol as an mmengine train loop.

``train_cfg = dict(type='ActiveIterBasedTrainLoop', ...)`` runs, inside one
``tools/train.py`` run (single process or ``tools/dist_train.sh``)::

    for k in 1..num_rounds:                      # at iter (k-1) * iters_per_round
        score the target pool, buy budget_per_round of its pixels -> label store
        fine-tune iters_per_round iterations on source + labelled target
        validate; write mIoU into active/round_<k>.json

Resuming (``--resume``) continues mid-protocol: a round already committed in
the label store is never bought again, and the labelled set is the one on
disk.  See README "Active rounds" for the outputs.
"""
from __future__ import annotations

import copy
import json
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Union

import numpy as np
import cv2
from mmengine.dist import barrier, is_main_process
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from mmseg.registry import LOOPS, TASK_UTILS

from mmseg_ada.active.label_store import LabelStore, atomic_write_json
from mmseg_ada.active.regions import RegionCache
from mmseg_ada.datasets.active_target import ActiveTargetDataset, image_stem
from .active_report import draw_round_overlays
from .adeada_report import draw_adeada_round
from .selection import (class_histogram, image_sizes, picks_by_image,
                        region_mask, score_pool, select_once,
                        select_pixels_pass)


def _find_active_cfg(dataset_cfg: Any) -> Optional[dict]:
    """The ``ActiveTargetDataset`` config inside a (wrapped) dataset config."""
    if isinstance(dataset_cfg, dict):
        if dataset_cfg.get('type') == 'ActiveTargetDataset':
            return dataset_cfg
        for v in dataset_cfg.values():
            found = _find_active_cfg(v)
            if found is not None:
                return found
    return None


def _find_active_dataset(dataset: Any) -> Optional[ActiveTargetDataset]:
    if isinstance(dataset, ActiveTargetDataset):
        return dataset
    for name in ('target', 'dataset'):
        found = _find_active_dataset(getattr(dataset, name, None)) \
            if hasattr(dataset, name) else None
        if found is not None:
            return found
    return None


def _pipeline_types(dataset_cfg: dict) -> List[str]:
    return [t.get('type') for t in dataset_cfg.get('pipeline', [])
            if isinstance(t, dict)]


@LOOPS.register_module()
class ActiveIterBasedTrainLoop(IterBasedTrainLoop):
    """Iteration-based training with active selection rounds.

    Args:
        runner: the runner.
        dataloader (dict | DataLoader): the training loader; its dataset must
            contain an :class:`ActiveTargetDataset` (usually as the ``target``
            of a :class:`SourceTargetDataset`).
        strategy (dict): the selection strategy, built from mmseg's
            ``TASK_UTILS`` (e.g. ``dict(type='ActiveEntropy')``).
        pool_dataloader (dict): loader over the *unlabelled target pool* with
            a test pipeline and no ``LoadAnnotations`` (the pool never sees
            labels); the same images as the active target dataset.
        region_cache (str): directory made by ``tools/precompute_regions.py``
            for the pool images.
        num_rounds (int): number of selection rounds ``K``.
        budget_per_round (float): fraction of all target pixels bought per
            round, in ``(0, 1]``; ``num_rounds * budget_per_round <= 1``.
        iters_per_round (int, optional): fine-tuning iterations after each
            selection; default ``max_iters // num_rounds``.  Must fit:
            ``num_rounds * iters_per_round <= max_iters``.
        max_iters (int): total training iterations.
        source_pool_dataloader (dict, optional): loader over the source pool
            for strategies with ``requires_source`` (ADeADA).
        source_region_cache (str, optional): region cache of the source pool.
        num_overlays (int): target images drawn with their bought regions per
            round (``active/vis/round_<k>/``).
        val_begin (int): as in :class:`IterBasedTrainLoop`.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[dict, Any],
                 strategy: dict,
                 pool_dataloader: dict,
                 region_cache: str,
                 max_iters: int,
                 num_rounds: int = 5,
                 budget_per_round: float = 0.01,
                 iters_per_round: Optional[int] = None,
                 source_pool_dataloader: Optional[dict] = None,
                 source_region_cache: Optional[str] = None,
                 num_overlays: int = 4,
                 val_begin: int = 1,
                 val_interval: Optional[int] = None) -> None:
        num_rounds = int(num_rounds)
        if num_rounds < 1:
            raise ValueError(f'num_rounds must be >= 1, got {num_rounds}')
        budget_per_round = float(budget_per_round)
        if not 0.0 < budget_per_round <= 1.0:
            raise ValueError('budget_per_round must be a fraction of the '
                             f'target pixels in (0, 1], got {budget_per_round}')
        if num_rounds * budget_per_round > 1.0 + 1e-12:
            raise ValueError(
                f'num_rounds * budget_per_round = {num_rounds} * '
                f'{budget_per_round} = {num_rounds * budget_per_round:g} > 1: '
                'more than all target pixels')
        if iters_per_round is None:
            iters_per_round = int(max_iters) // num_rounds
        iters_per_round = int(iters_per_round)
        if iters_per_round < 1 or num_rounds * iters_per_round > max_iters:
            raise ValueError(
                f'{num_rounds} rounds x {iters_per_round} iterations per '
                f'round do not fit max_iters={max_iters}')
        if val_interval is not None and int(val_interval) != iters_per_round:
            raise ValueError(
                f'val_interval={val_interval} must equal iters_per_round='
                f'{iters_per_round}: every round is validated at its end')
        self.num_rounds = num_rounds
        self.budget_per_round = budget_per_round
        self.iters_per_round = iters_per_round
        self.strategy_cfg = copy.deepcopy(strategy)
        self.strategy = TASK_UTILS.build(copy.deepcopy(strategy))
        self.pool_loader_cfg = copy.deepcopy(pool_dataloader)
        self.source_pool_loader_cfg = copy.deepcopy(source_pool_dataloader)
        self.region_cache_dir = region_cache
        self.source_region_cache_dir = source_region_cache
        self.num_overlays = int(num_overlays)
        if getattr(self.strategy, 'requires_source', False) and (
                source_pool_dataloader is None or source_region_cache is None):
            raise ValueError(
                f'strategy {type(self.strategy).__name__} needs the source '
                'pool: set source_pool_dataloader and source_region_cache')
        if 'LoadAnnotations' in _pipeline_types(
                pool_dataloader.get('dataset', {})):
            raise ValueError(
                'pool_dataloader.dataset.pipeline must not load annotations: '
                'the selection pass never sees target labels')
        if isinstance(dataloader, dict):
            dataloader = copy.deepcopy(dataloader)
            active_cfg = _find_active_cfg(dataloader.get('dataset'))
            if active_cfg is None:
                raise ValueError(
                    'ActiveIterBasedTrainLoop: the train dataset must contain '
                    "an ActiveTargetDataset (e.g. SourceTargetDataset(target="
                    "dict(type='ActiveTargetDataset', dataset=...)))")
            active_cfg['work_dir'] = runner.work_dir
        super().__init__(
            runner, dataloader, max_iters=max_iters, val_begin=val_begin,
            val_interval=iters_per_round)
        self.active_dataset = _find_active_dataset(self.dataloader.dataset)
        if self.active_dataset is None:
            raise ValueError('the built train dataset holds no '
                             'ActiveTargetDataset')
        self.active_dataset.work_dir = runner.work_dir
        self._store: Optional[LabelStore] = None
        self._pool_loader = None
        self._source_pool_loader = None

    # ------------------------------------------------------------ helpers
    @property
    def model(self):
        m = self.runner.model
        return m.module if is_model_wrapper(m) else m

    def _round_of_iter(self, it: int) -> int:
        return it // self.iters_per_round + 1

    def _loader(self, cfg: dict):
        return self.runner.build_dataloader(copy.deepcopy(cfg), seed=0)

    def _setup(self) -> None:
        """Open the label store (rank 0 writes; all ranks read)."""
        if self._store is not None:
            return
        ds = self.active_dataset.dataset
        self._stems = list(self.active_dataset.stems)
        self._img_paths = [ds.get_data_info(i)['img_path']
                           for i in range(len(ds))]
        self._seg_paths = [ds.get_data_info(i).get('seg_map_path')
                           for i in range(len(ds))]
        self._sizes = image_sizes(self._img_paths)
        self.total_pixels = int(sum(h * w for h, w in self._sizes))
        self.num_classes = len(ds.metainfo.get('classes', ())) or int(
            getattr(self.model.decode_head, 'num_classes', 0))
        self.region_cache = RegionCache.open(self.region_cache_dir)
        missing = [s for s in self._stems if not self.region_cache.has(s)]
        if missing:
            raise FileNotFoundError(
                f'region cache {self.region_cache_dir} has no map for '
                f'{len(missing)} of {len(self._stems)} target images (e.g. '
                f'{missing[0]!r}); build it with: '
                + self.region_cache.tool_command())
        fingerprint = dict(
            dataset=type(ds).__name__,
            num_images=len(self._stems),
            total_pixels=self.total_pixels,
            stems_sha1=__import__('hashlib').sha1(
                '\n'.join(self._stems).encode()).hexdigest(),
            strategy=self.strategy_cfg,
            num_rounds=self.num_rounds,
            budget_per_round=self.budget_per_round,
            iters_per_round=self.iters_per_round,
            regions=dict(method=self.region_cache.method,
                         params=self.region_cache.params))
        if is_main_process():
            self._store = LabelStore(self.runner.work_dir,
                                     fingerprint=fingerprint)
        barrier()
        if not is_main_process():
            self._store = LabelStore(self.runner.work_dir,
                                     fingerprint=fingerprint, readonly=True)
        self._budget_pixels = int(
            np.floor(self.budget_per_round * self.total_pixels))
        self.runner.logger.info(
            f'active protocol: {self.num_rounds} rounds x '
            f'{self.budget_per_round:.2%} of {self.total_pixels} target '
            f'pixels ({self._budget_pixels} per round), '
            f'{self.iters_per_round} iterations per round, strategy '
            f'{type(self.strategy).__name__}; label store '
            f'{self._store.root} at round {self._store.last_round()}')

    def _restart_data(self) -> None:
        """Drop prefetched batches: the next iteration sees the new labels.

        The sampler's index stream restarts from its seeded beginning (an
        ``InfiniteSampler`` keeps one shared generator, which the old
        iterator would close when it is collected), so a resumed run
        replays exactly the batches of an uninterrupted one.
        """
        sampler = getattr(self.dataloader, 'sampler', None)
        if hasattr(sampler, '_indices_of_rank'):
            sampler.indices = sampler._indices_of_rank()
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)

    # ------------------------------------------------------------ rounds
    def select_round(self, k: int) -> Dict[str, Any]:
        """Score the pool, buy round ``k``'s budget, commit it (all ranks)."""
        logger = self.runner.logger
        t0 = time.time()
        store = self._store
        store.refresh()
        if self._pool_loader is None:
            self._pool_loader = self._loader(self.pool_loader_cfg)
        suffix = getattr(self._pool_loader.dataset, 'img_suffix', '')
        stem_of = (lambda p: image_stem(p, suffix))
        budget = self._budget_pixels
        info: Dict[str, Any] = {}
        if getattr(self.strategy, 'unit', 'region') == 'pixel':
            logger.info(f'active round {k}: pixel-level selection over '
                        f'{len(self._stems)} target images')
            picks = select_pixels_pass(
                self.model, self._pool_loader, self._stems, stem_of,
                self.strategy, store.mask, self.budget_per_round, k)
            if is_main_process():
                def masks():
                    for i, flat in picks.items():
                        m = np.zeros(self._sizes[i], dtype=bool)
                        m.reshape(-1)[flat] = True
                        yield i, None, m
                info = self._commit(
                    k, masks(), sum(len(v) for v in picks.values()),
                    dict(unit='pixel'), budget, time.time() - t0)
        else:
            pool, selection = self._select_regions(
                k, store, stem_of, budget)
            if is_main_process():
                def masks():
                    for i, ids in picks_by_image(selection, pool).items():
                        rmap = self.region_cache.load(self._stems[i],
                                                      self._sizes[i])
                        yield i, rmap, region_mask(rmap, ids)
                info = self._commit(k, masks(), len(selection.index),
                                    selection.info, budget,
                                    time.time() - t0)
        barrier()
        store.refresh()
        if store.last_round() < k:
            raise RuntimeError(f'active round {k} was not committed')
        self._restart_data()
        return info

    def _select_regions(self, k: int, store: LabelStore, stem_of,
                        budget: int):
        """Region-level: score the pool (and the source pool) and pick."""
        logger = self.runner.logger
        need_feat = bool(getattr(self.strategy, 'requires_features', False))
        logger.info(f'active round {k}: scoring {len(self._stems)} target '
                    'images')
        pool = score_pool(self.model, self._pool_loader, self._stems, stem_of,
                          self.region_cache, labeled_mask=store.mask,
                          with_features=need_feat, desc='target pool')
        context: Dict[str, Any] = {}
        if getattr(self.strategy, 'requires_source', False):
            if self._source_pool_loader is None:
                self._source_pool_loader = self._loader(
                    self.source_pool_loader_cfg)
            src_ds = self._source_pool_loader.dataset
            src_suffix = getattr(src_ds, 'img_suffix', '')
            src_stems = [image_stem(src_ds.get_data_info(i)['img_path'],
                                    src_suffix) for i in range(len(src_ds))]
            logger.info(f'active round {k}: scoring {len(src_stems)} source '
                        'images')
            context['source_pool'] = score_pool(
                self.model, self._source_pool_loader, src_stems,
                lambda p: image_stem(p, src_suffix),
                RegionCache.open(self.source_region_cache_dir),
                with_features=need_feat, desc='source pool')
        selection = select_once(self.strategy, pool, budget, k, **context)
        return pool, selection

    def _commit(self, k: int, new_masks, n_units: int,
                selection_info: Dict[str, Any], budget: int,
                elapsed: float) -> Dict[str, Any]:
        """Rank 0: write the bought pixels and commit round ``k``.

        Args:
            new_masks: iterable of ``(image_index, region_map or None,
                bool mask of bought pixels)``.
            n_units: regions (or pixels) bought.
        """
        store = self._store
        spent = 0
        images_touched = 0
        round_hist = np.zeros(self.num_classes, dtype=np.int64)
        overlays = []
        for i, rmap, bought in new_masks:
            stem = self._stems[i]
            new = bought & ~store.mask(stem, self._sizes[i])
            added = store.add(stem, new)
            images_touched += int(added > 0)
            spent += added
            if self._seg_paths[i] and added:
                # ground truth is read only to report what was bought
                gt = cv2.imread(self._seg_paths[i], cv2.IMREAD_UNCHANGED)
                if gt is not None and gt.shape[:2] == new.shape:
                    round_hist += class_histogram(gt, new, self.num_classes)
            if added and len(overlays) < self.num_overlays:
                overlays.append((self._img_paths[i],
                                 rmap if rmap is not None else
                                 new.astype(np.int32), new, stem))
        if spent > budget:
            raise RuntimeError(f'round {k} spent {spent} > budget {budget}')
        prev = store.rounds()
        cum_hist = round_hist.copy()
        if prev and 'per_class_labeled_pixels' in prev[-1]:
            cum_hist += np.asarray(prev[-1]['per_class_labeled_pixels'],
                                   dtype=np.int64)
        labeled = store.labeled_pixels + store.pending_pixels
        report = dict(
            round=k,
            strategy=type(self.strategy).__name__,
            strategy_cfg=self.strategy_cfg,
            iteration=self.iter,
            budget_pixels=int(budget),
            spent_pixels=int(spent),
            labeled_pixels=int(labeled),
            total_pixels=self.total_pixels,
            labeled_fraction=labeled / self.total_pixels,
            per_class_labeled_pixels=cum_hist.tolist(),
            round_per_class_labeled_pixels=round_hist.tolist(),
            round_ignored_pixels=int(spent - round_hist.sum()),
            classes=list(self.active_dataset.metainfo.get('classes', ())),
            unit=getattr(self.strategy, 'unit', 'region'),
            regions_bought=int(n_units),
            images_touched=images_touched,
            selection_seconds=round(elapsed, 2),
            selection_info=selection_info,
            miou=None)
        store.write_round(k, report)
        try:
            draw_round_overlays(
                osp.join(store.root, 'vis', f'round_{k}'), overlays)
            if 'per_class_kl' in selection_info:
                draw_adeada_round(
                    selection_info, report['classes'],
                    osp.join(store.root, 'vis', f'round_{k}', 'adeada.png'))
        except Exception as e:  # a report image must never stop training
            self.runner.logger.warning(f'could not draw overlays: {e}')
        self.runner.logger.info(
            f'active round {k}: bought {n_units} '
            f"{getattr(self.strategy, 'unit', 'region')}s in "
            f'{images_touched} images, {spent} pixels (budget {budget}); '
            f'labelled {labeled / self.total_pixels:.3%} of the target')
        return report

    def _record_miou(self, k: int, metrics: Optional[Dict[str, float]]):
        if not is_main_process() or not metrics:
            return
        path = self._store.round_path(k)
        if not osp.isfile(path):
            return
        with open(path) as f:
            report = json.load(f)
        miou = metrics.get('mIoU')
        report['miou'] = None if miou is None else float(miou)
        report['metrics'] = {kk: float(v) for kk, v in metrics.items()
                             if isinstance(v, (int, float, np.floating))}
        report['evaluated_at_iter'] = self.iter
        atomic_write_json(path, report)

    # ------------------------------------------------------------ loop
    def run(self) -> None:
        """Train with a selection round at every round boundary."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self._setup()
        if self._iter > 0:
            # The iterator restarts at every round start, so the data
            # position is the offset since the last round start: replaying
            # only that much reproduces the uninterrupted run.
            last_start = min(self._iter // self.iters_per_round,
                             self.num_rounds - 1) * self.iters_per_round
            self._restart_data()
            skip = self._iter - last_start
            self.runner.logger.info(
                f'resumed at iteration {self._iter} (round '
                f'{self._round_of_iter(self._iter)}): replaying {skip} '
                'batches since the round start')
            for _ in range(skip):
                next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            k = self._round_of_iter(self._iter)
            if (self._iter % self.iters_per_round == 0
                    and k <= self.num_rounds):
                self._store.refresh()
                if self._store.last_round() < k:
                    self.select_round(k)
                else:
                    self.runner.logger.info(
                        f'active round {k} already in the label store; '
                        'reusing it (no budget spent twice)')
                    self._restart_data()
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                metrics = self.runner.val_loop.run()
                done = self._round_of_iter(self._iter - 1)
                if done <= self.num_rounds:
                    self._record_miou(done, metrics)
                barrier()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
