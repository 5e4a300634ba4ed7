"""One selection round: collect the pool, select, commit, report.

:class:`ActiveSelector` is the component the active loop calls at every
round boundary.  On every rank it runs the model over its shard of the pool
(``collect``: the outputs the strategy ``requires``, pooled per unit), the
rows are gathered and keyed by image index (``DefaultSampler`` pads the last
shard with duplicates), the strategy selects once on rank 0, the picks are
broadcast and every rank checks a digest of them; rank 0 commits them to the
label store, writes the round report and draws the round's pictures (the
bought units on a few images, and the strategy's own figure); the others
wait at a barrier.  Ground truth is read only to report what was bought
(the oracle's class histogram).
"""
from __future__ import annotations

import collections
import copy
import hashlib
import logging
import os.path as osp
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import (Any, Callable, Deque, Dict, Iterator, List, Optional,
                    Sequence)

import numpy as np
import torch
from mmengine.dist import (all_gather_object, barrier, broadcast_object_list,
                           get_rank, get_world_size, is_main_process)
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from mmseg_ada.active.pool import Selection, UnitPool, check_bought
from mmseg_ada.active.requirements import check_requires, served_by
from mmseg_ada.active.stores import cumulative_counts
from mmseg_ada.active.strategies.base import BaseStrategy
from mmseg_ada.active.units import BaseUnits, PoolItem, Purchase
from mmseg_ada.registry import STRATEGIES, UNITS, build_active
from mmseg_ada.visualization import draw_strategy_figure
from .active_report import draw_image_grid, draw_round_overlays
from .annotation_request import write_request
from .utils import gather_by_index

__all__ = ['ActiveSelector']


def digest(pool: UnitPool, index: np.ndarray) -> str:
    """A short hash of the picked ``(image, unit, cost)`` triples.

    Args:
        pool: the round's pool.
        index: rows of ``pool`` that were picked.

    Returns:
        str: the SHA-1 hex digest, equal on ranks that picked the same.
    """
    h = hashlib.sha1()
    for arr in (pool.image_index[index], pool.unit_id[index],
                pool.cost[index]):
        h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
    return h.hexdigest()


class _Timer:
    """Accumulates named wall-clock intervals."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = {}
        self._lock = threading.Lock()  # the pooling thread adds too

    def add(self, name: str, dt: float) -> None:
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + dt


def _note_pending_failures(error: BaseException,
                           pending: Deque[tuple]) -> None:
    """Name, on ``error``, the images whose pooling also failed.

    An image is pooled in a worker thread while the model runs on the next
    one: when the main thread fails first, a failure of the image still
    being pooled would otherwise be lost.

    Args:
        error: the exception about to propagate.
        pending: ``(PoolItem, Future)`` pairs not yet settled.
    """
    for item, fut in pending:
        exc = fut.exception()
        if exc is not None:
            error.add_note(f'pooling the image {item.stem!r} failed too: '
                           f'{type(exc).__name__}: {exc}')


def _agree_on_failure(error: Optional[Exception], desc: str) -> None:
    """Raise on every rank when the pool failed on any rank.

    A rank that failed while scoring its share of the pool would otherwise
    leave the others waiting in the gather until the process group's
    timeout: every rank first learns whether another one failed (one small
    all-gather), then all raise together.

    Args:
        error: this rank's failure, or ``None``.
        desc: the loader's name, for the message.

    Raises:
        Exception: this rank's own error, or a ``RuntimeError`` naming the
            rank that failed and its error.
    """
    if get_world_size() > 1:
        said = all_gather_object(None if error is
                                 None else f'{type(error).__name__}: {error}')
        failed = [(r, m) for r, m in enumerate(said) if m is not None]
        if failed and error is None:
            rank, msg = failed[0]
            raise RuntimeError(
                f'{desc}: rank {rank} failed while scoring the pool ({msg}); '
                f'every rank stops the round ({len(failed)} rank(s) failed)')
    if error is not None:
        raise error


class ActiveSelector:
    """Collect, select, commit and report one round.

    Args:
        strategy (dict): the strategy config (``mmseg_ada.registry.
            STRATEGIES``), e.g. ``dict(type='Entropy')``.
        units (dict): the unit kind (``UNITS``), e.g.
            ``dict(type='RegionUnits', cache='data/.../train_slic')``,
            ``dict(type='PixelUnits')``, ``dict(type='ImageUnits')``.
        pool_dataloader (dict): loader over the unlabelled target pool: the
            images of the target dataset, test pipeline, no annotations.
        source_pool_dataloader (dict, optional): loader over the source
            images, for strategies that require ``'source_pool'``.
        source_units (dict, optional): the unit kind of the source pool
            (default: ``units``; region units need the source's cache).
        num_overlays (int): images drawn with their bought units per round.
        draw (bool): draw the round pictures (overlays, the strategy's
            figure) in ``active/vis/round_<k>/``; they are drawn in a
            background thread while training continues.
    """

    def __init__(self,
                 strategy: dict,
                 units: dict,
                 pool_dataloader: dict,
                 source_pool_dataloader: Optional[dict] = None,
                 source_units: Optional[dict] = None,
                 num_overlays: int = 4,
                 draw: bool = True) -> None:
        self.strategy_cfg = copy.deepcopy(strategy)
        self.strategy: BaseStrategy = build_active(strategy, STRATEGIES)
        self.units: BaseUnits = build_active(units, UNITS)
        self.strategy.check_unit_kind(self.units.kind)
        check_requires(
            self.strategy.requires, f'strategy {type(self.strategy).__name__} '
            '(train_cfg.selector.strategy)', self.units.kind)
        self.pool_loader_cfg = copy.deepcopy(pool_dataloader)
        self.source_pool_loader_cfg = copy.deepcopy(source_pool_dataloader)
        self.source_units: Optional[BaseUnits] = None
        if 'source_pool' in self.strategy.requires:
            if source_pool_dataloader is None:
                raise ValueError(
                    f'strategy {type(self.strategy).__name__} requires the '
                    'source pool: set source_pool_dataloader (and, for '
                    'region units, source_units with the source cache)')
            self.source_units = build_active(
                copy.deepcopy(source_units or units), UNITS)
        if 'LoadAnnotations' in [
                t.get('type') for t in pool_dataloader.get('dataset', {}).get(
                    'pipeline', []) if isinstance(t, dict)
        ]:
            raise ValueError(
                'pool_dataloader.dataset.pipeline must not load annotations: '
                'the selection pass never sees target labels')
        self.num_overlays = int(num_overlays)
        self.draw = bool(draw)
        self.runner = None
        self.oracle = None
        self.num_classes = 0
        self.class_names: List[str] = []
        self._loaders: Dict[str, Any] = {}
        self._source_items: Optional[List[PoolItem]] = None
        self._drawing: Optional[threading.Thread] = None

    # ------------------------------------------------------------- setup
    def setup(self, runner: Any, items: Sequence[PoolItem], oracle: Any,
              class_names: Sequence[str], stem_of: Callable[[str],
                                                            str]) -> None:
        """Bind to a run: its target images, oracle and classes.

        Args:
            runner: the mmengine runner (its model and
                ``build_dataloader`` are used).
            items: the target pool's images.
            oracle: what answers the round's requests (labels, class
                histograms of the bought units).
            class_names: the dataset's classes, in label order.
            stem_of: maps an image path to its stem (the store's key).
        """
        self.runner = runner
        self.units.setup(items)
        self.units.check()
        self.oracle = oracle
        self.class_names = list(class_names)
        self.num_classes = len(self.class_names)
        self.stem_of = stem_of
        self.check_requirements()

    def check_requirements(self) -> None:
        """Refuse, before any training, a strategy whose ``requires`` the
        model cannot serve, as the model declares it without a forward pass
        (``check_active_requires``: its ``predict_active`` outputs and its
        ``active_constants``)."""
        model = self.model
        check = getattr(model, 'check_active_requires', None)
        if check is None:  # a model that does not say: the round will tell
            return
        needed = [
            r for r in dict.fromkeys(self.strategy.requires)
            if r not in served_by(self.strategy.requires, 'engine')
        ]
        # the config keys that decide what the model serves
        where = getattr(model, 'ACTIVE_CONFIG_KEYS', 'its configuration')
        try:
            check(needed)
        except (KeyError, ValueError) as e:
            msg = e.args[0] if e.args else repr(e)
            raise ValueError(
                f'strategy {type(self.strategy).__name__} '
                f'(train_cfg.selector.strategy) requires {needed}, but {msg}.'
                ' Checked before training: change the model (e.g. '
                f'{where}) or the strategy') from None

    def fingerprint(self) -> Dict[str, Any]:
        """What a resumed run must share with the run it resumes."""
        return dict(strategy=self.strategy_cfg, units=self.units.fingerprint())

    def _loader(self, name: str, cfg: dict):
        if name not in self._loaders:
            self._loaders[name] = self.runner.build_dataloader(
                copy.deepcopy(cfg), seed=0)
        return self._loaders[name]

    @property
    def model(self):
        m = self.runner.model
        return getattr(m, 'module', m)

    # ----------------------------------------------------------- collect
    def _outputs(self, loader, items: Sequence[PoolItem],
                 stem_of: Callable[[str], str], requires: Sequence[str],
                 desc: str, timer: _Timer) -> Iterator[tuple]:
        """``(item, {name: tensor})`` for every image of this rank's shard.

        The model runs in eval mode without gradients (unless the model
        needs them for a requirement); its training mode is restored.
        """
        model = self.model
        # image paths identify pool images (stems need not be unique in
        # image lists, e.g. VisDA's class folders)
        index_of = {osp.abspath(it.img_path): it for it in items}
        was_training = model.training
        model.eval()
        bar = ProgressBar(len(loader)) if is_main_process() else None
        try:
            batches = iter(loader)
            while True:
                t0 = time.perf_counter()
                batch = next(batches, None)
                timer.add('load', time.perf_counter() - t0)
                if batch is None:
                    break
                t0 = time.perf_counter()
                data = model.data_preprocessor(batch, False)
                out = model.predict_active(data['inputs'],
                                           data['data_samples'], requires)
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                timer.add('forward', time.perf_counter() - t0)
                for j, sample in enumerate(data['data_samples']):
                    path = sample.metainfo.get('img_path', '')
                    item = index_of.get(osp.abspath(path))
                    if item is None:
                        first = items[0].img_path if items else '?'
                        raise KeyError(
                            f'{desc}: the pool dataloader yielded {path!r} '
                            f'(stem {stem_of(path)!r}), which is not an image '
                            f'of the dataset it must match '
                            f'({len(items)} images, e.g. {first!r}); point '
                            f'{desc} at the same images')
                    yield item, {
                        k: (None if v is None else v[j].detach().float().cpu())
                        for k, v in out.items()
                    }
                if bar is not None:
                    bar.update()
        finally:
            model.train(was_training)
            if bar is not None:
                print(flush=True)

    def collect(self, loader, units: BaseUnits, items: Sequence[PoolItem],
                stem_of: Callable[[str], str], store: Any, round_idx: int,
                budget: int, desc: str, timer: _Timer) -> UnitPool:
        """Phase 1 (every rank): the pool's rows, gathered on every rank.

        Args:
            loader: the pool dataloader (this rank's share of the images).
            units: the pool's units (they turn model outputs into rows).
            items: every image of the pool, in index order.
            stem_of: maps an image path to its stem.
            store: the label store (``None`` for the source pool).
            round_idx: the round (1-based).
            budget: what the round may spend.
            desc: the loader's name, for messages.
            timer: accumulates the seconds of each phase.

        Returns:
            UnitPool: the rows of every image, on every rank.

        Raises:
            RuntimeError: on every rank, when any rank failed while scoring
                its share, or when an image was not scored.
        """
        parts: Dict[int, UnitPool] = {}
        requires = self.strategy.model_requires

        def pool_one(item: PoolItem, out: Dict[str, Any]) -> UnitPool:
            t0 = time.perf_counter()
            with torch.no_grad():  # grad mode is per thread
                rows = units.collect(item, out, store, self.strategy,
                                     round_idx, budget)
            timer.add('pool', time.perf_counter() - t0)
            return rows

        # An image is pooled in one worker thread while the model runs on
        # the next (torch and numpy release the GIL): the images are pooled
        # one at a time and in the loader's order, as before, so the rows
        # (and any random draw of the units) are the same; at most one
        # image's outputs wait beside the one being pooled.
        pending: Deque[tuple] = collections.deque()

        def settle(keep: int) -> None:
            while len(pending) > keep:
                it, fut = pending.popleft()
                t0 = time.perf_counter()
                parts[it.index] = fut.result()
                timer.add('pool_wait', time.perf_counter() - t0)

        error: Optional[Exception] = None
        try:
            with torch.no_grad(), ThreadPoolExecutor(
                    1, thread_name_prefix='active-pool') as workers:
                for item, out in self._outputs(loader, items, stem_of,
                                               requires, desc, timer):
                    pending.append((item, workers.submit(pool_one, item, out)))
                    settle(1)
                settle(0)
        except Exception as e:  # the pool has finished the pending images
            _note_pending_failures(e, pending)
            error = e
        _agree_on_failure(error, desc)
        t0 = time.perf_counter()
        parts = gather_by_index(parts)
        timer.add('gather', time.perf_counter() - t0)
        if not parts:
            raise RuntimeError(f'{desc}: the pool dataloader yielded no image')
        missing = [it.stem for it in items if it.index not in parts]
        if missing:
            raise RuntimeError(
                f'{desc}: {len(missing)} of {len(items)} images were not '
                f'scored (e.g. {missing[0]!r}); the pool dataloader must '
                'cover the whole dataset')
        return UnitPool.cat(list(parts.values()))

    def _source_pool(self, round_idx: int, timer: _Timer) -> UnitPool:
        loader = self._loader('source', self.source_pool_loader_cfg)
        ds = loader.dataset
        suffix = getattr(ds, 'img_suffix', '')
        from mmseg_ada.datasets.labeled_subset import image_stem
        if self._source_items is None:
            self._source_items = []
            for i in range(len(ds)):
                info = ds.get_data_info(i)
                stem = image_stem(info['img_path'], suffix)
                self._source_items.append(
                    PoolItem(i, stem, (1, 1), info['img_path']))
            if self.source_units.kind != 'image':
                from mmseg_ada.engine.utils import image_sizes
                sizes = image_sizes([it.img_path for it in self._source_items])
                for it, hw in zip(self._source_items, sizes):
                    it.shape = hw
            self.source_units.setup(self._source_items)
            self.source_units.check()
        return self.collect(loader, self.source_units, self._source_items,
                            lambda p: image_stem(p, suffix), None, round_idx,
                            0, 'source_pool_dataloader', timer)

    # ------------------------------------------------------------ select
    def _select(self, pool: UnitPool, budget: int, round_idx: int,
                context: Dict[str, Any]) -> Selection:
        """Phase 2: rank 0 selects; every rank gets and checks the picks."""
        obj: List[Optional[Selection]] = [None]
        if get_rank() == 0:
            sel = self.strategy.select(pool, budget, round_idx, **context)
            spent = int(pool.cost[sel.index].sum())
            if spent > budget or (pool.cost[sel.index] <= 0).any() or len(
                    np.unique(sel.index)) != sel.index.size:
                raise RuntimeError(
                    f'{type(self.strategy).__name__}.select broke the '
                    f'contract in round {round_idx}: spent {spent} of '
                    f'{budget}, or bought a labelled or duplicate unit')
            obj[0] = sel
        if get_world_size() > 1:
            broadcast_object_list(obj, src=0)
            digests = all_gather_object(digest(pool, obj[0].index))
            if len(set(digests)) != 1:
                raise RuntimeError(
                    f'active round {round_idx}: ranks disagree on the picks '
                    f'(digests {digests}); pools differ between ranks')
        return obj[0]

    def _constants(self) -> Dict[str, Any]:
        names = list(self.strategy.constant_requires)
        if not names:
            return {}
        fn = getattr(self.model, 'active_constants', None)
        if fn is None:
            raise KeyError(f'{type(self.strategy).__name__} requires {names}'
                           f' but {type(self.model).__name__} has no '
                           'active_constants()')
        return {
            k:
            (v.detach().float().cpu().numpy() if hasattr(v, 'detach') else v)
            for k, v in fn(names).items()
        }

    # ------------------------------------------------------------- round
    def run_round(self, round_idx: int, budget: int, store: Any,
                  num_rounds: int, iteration: int) -> Dict[str, Any]:
        """Select and commit round ``round_idx`` (call on every rank).

        Args:
            round_idx: the round (1-based).
            budget: what it may spend, in the units' cost.
            store: the label store (writer on rank 0).
            num_rounds: rounds of the run.
            iteration: the training iteration (for the report).

        Returns:
            dict: the round report (rank 0; ``{}`` elsewhere).
        """
        self.wait()
        timer = _Timer()
        t_start = time.perf_counter()
        store.refresh()
        loader = self._loader('target', self.pool_loader_cfg)
        print_log(
            f'active round {round_idx}: collecting '
            f'{len(self.units.items)} target images '
            f'({self.units.kind} units)',
            logger='current')
        pool = self.collect(loader, self.units, self.units.items, self.stem_of,
                            store, round_idx, budget, 'pool_dataloader', timer)
        context: Dict[str, Any] = dict(
            num_rounds=num_rounds,
            image_pixels=self.units.image_pixels(),
            class_names=self.class_names)
        if self.source_units is not None:
            print_log(
                f'active round {round_idx}: collecting the source pool',
                logger='current')
            context['source_pool'] = self._source_pool(round_idx, timer)
        context.update(self._constants())
        t0 = time.perf_counter()
        selection = self._select(pool, budget, round_idx, context)
        timer.add('select', time.perf_counter() - t0)
        report: Dict[str, Any] = {}
        failed: List[Optional[str]] = [None]
        if is_main_process():
            try:
                report = self._commit(round_idx, budget, store, pool,
                                      selection, iteration, timer, t_start)
            except Exception as e:
                if get_world_size() == 1:
                    raise
                failed[0] = f'{type(e).__name__}: {e}'
                error = e
        if get_world_size() > 1:  # every rank leaves the same way
            broadcast_object_list(failed, src=0)
            if failed[0] is not None:
                if is_main_process():
                    raise error
                raise RuntimeError(f'active round {round_idx}: rank 0 could '
                                   f'not commit the round: {failed[0]}')
        barrier()
        store.refresh(force=True)
        if store.last_round() < round_idx:
            raise RuntimeError(f'active round {round_idx} was not committed')
        self.last_seconds = timer.seconds
        return report

    def _commit(self, round_idx: int, budget: int, store: Any, pool: UnitPool,
                selection: Selection, iteration: int, timer: _Timer,
                t_start: float) -> Dict[str, Any]:
        """Rank 0: write the picks, the request (a person's oracle), the
        report and the commit; start drawing.  Returns the report."""
        note = check_bought(
            pool,
            selection,
            budget,
            round_idx,
            strategy=type(self.strategy).__name__,
            cost_unit=store.unit_name,
            labeled=store.labeled,
            total=self.units.total_cost())
        t0 = time.perf_counter()
        purchase = self.units.commit(store, pool, selection)
        timer.add('commit', time.perf_counter() - t0)
        report = self._report(round_idx, budget, store, pool, selection,
                              purchase, iteration)
        if note is not None:  # the target is exhausted: say so, loudly
            print_log(note, logger='current', level=logging.WARNING)
            report['note'] = note
        if getattr(self.oracle, 'requests', False):
            # a person answers: what to ask is on disk before the commit
            t0 = time.perf_counter()
            write_request(self, round_idx, purchase,
                          getattr(self.oracle, 'predictions', True))
            timer.add('request', time.perf_counter() - t0)
        timer.add('total', time.perf_counter() - t_start)
        report['seconds'] = {k: round(v, 3) for k, v in timer.seconds.items()}
        t0 = time.perf_counter()
        store.commit(round_idx, report)
        timer.add('commit', time.perf_counter() - t0)
        t0 = time.perf_counter()
        if self.draw:  # pictures are drawn while training goes on
            self._drawing = threading.Thread(
                target=self._draw,
                args=(round_idx, store.root, pool, selection, purchase),
                name=f'active-round-{round_idx}-pictures')
            self._drawing.start()
        timer.add('report', time.perf_counter() - t0)
        print_log(
            f'active round {round_idx}: bought {purchase.num_units} '
            f'{self.units.kind}s in {len(purchase.images)} images, '
            f'{purchase.spent} {store.unit_name} (budget {budget}); '
            f'labelled {report["labeled_fraction"]:.3%} of the target',
            logger='current')
        return report

    def _report(self, k: int, budget: int, store: Any, pool: UnitPool,
                selection: Selection, purchase: Purchase,
                iteration: int) -> Dict[str, Any]:
        C = self.num_classes
        hist = np.zeros(C, dtype=np.int64)
        for i in purchase.images:
            h = self.oracle.class_histogram(i, C, purchase.masks.get(i))
            if h is None:  # a person answers later (filled in then)
                hist = None
                break
            hist += h
        cum = None if hist is None else cumulative_counts(store.rounds(), hist)
        labeled = store.labeled + store.pending
        total = self.units.total_cost()
        report = dict(
            round=k,
            strategy=type(self.strategy).__name__,
            strategy_cfg=self.strategy_cfg,
            unit=self.units.kind,
            iteration=int(iteration),
            budget=int(budget),
            spent=int(purchase.spent),
            labeled=int(labeled),
            total=int(total),
            labeled_fraction=labeled / max(total, 1),
            units_bought=int(purchase.num_units),
            images_touched=len(purchase.images),
            classes=self.class_names,
            per_class_labeled=None if cum is None else cum.tolist(),
            round_per_class_labeled=None if hist is None else hist.tolist(),
            round_ignored=(None if hist is None else
                           int(purchase.spent -
                               hist.sum()) if purchase.masks else 0),
            selection_info=selection.info,
            score=None,
            metrics={})
        return report

    def _title(self, i: int) -> str:
        """A bought image's caption: its class, if the oracle knows it."""
        if getattr(self.oracle, 'requests', False):
            return f'#{i}'  # asked; a person answers later
        label = self.oracle.image_label(i)
        return self.class_names[label] if self.class_names else str(i)

    def wait(self) -> None:
        """Wait until the last round's pictures are written."""
        if self._drawing is not None:
            self._drawing.join()
            self._drawing = None

    def _draw(self, k: int, root: str, pool: UnitPool, selection: Selection,
              purchase: Purchase) -> None:
        out_dir = osp.join(root, 'vis', f'round_{k}')
        try:
            items = self.units.items
            if purchase.masks:
                chosen = purchase.images[:self.num_overlays]
                draw_round_overlays(
                    out_dir,
                    [(items[i].img_path,
                      purchase.region_maps.get(
                          i, purchase.masks[i].astype(
                              np.int32)), purchase.masks[i], items[i].stem)
                     for i in chosen])
            else:
                draw_image_grid(
                    osp.join(out_dir, 'bought.jpg'),
                    [(items[i].img_path, self._title(i))
                     for i in purchase.images[:8 * self.num_overlays]])
            import os
            os.makedirs(out_dir, exist_ok=True)
            draw_strategy_figure(
                self.strategy, selection, pool,
                osp.join(out_dir, f'{type(self.strategy).__name__}.png'),
                self.class_names)
        except Exception as e:  # a picture must never stop training
            print_log(
                f'active round {k}: could not draw the round: {e!r}',
                logger='current',
                level=30)
