"""The active domain adaptation protocol as an mmengine train loop.

``train_cfg = dict(type='ActiveLoop', ...)`` runs, inside one
``tools/train.py`` run (single process or ``tools/dist_train.sh``)::

    for each round k at its milestone (an iteration, or an epoch):
        the selector buys round k's budget -> the label store
        train until the next milestone on source + labelled target
        validate (RoundMetricHook writes the score into round_<k>.json)

or, with ``online=dict(budget=...)``, lets the model buy pixels inside its
training steps (:class:`~mmseg_ada.engine.online_acquisition.
OnlineAcquisition`).

The loop keeps only what must happen at round boundaries and on resume:
the data iterator restarts at every round (nothing prefetched predates the
new labels; :class:`~mmseg_ada.datasets.samplers.RoundInfiniteSampler`
reseeds it from the round), the main process is reseeded from the iteration
before every step, a resumed run skips to its position without loading any
batch, and the store's cursor shows training exactly the rounds it has
reached.  Selecting is the :class:`~mmseg_ada.engine.ActiveSelector`'s job,
recording scores the :class:`~mmseg_ada.engine.hooks.RoundMetricHook`'s.
"""
from __future__ import annotations

import copy
import hashlib
import math
import os.path as osp
from typing import Any, List, Optional, Sequence, Union

from mmengine.dist import (barrier, broadcast_object_list, get_rank,
                           get_world_size, is_main_process)
from mmengine.hooks import CheckpointHook
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from mmseg.registry import LOOPS

from mmseg_ada.active.oracles.layout import request_dir
from mmseg_ada.active.schedule import RoundSchedule, round_budgets
from mmseg_ada.active.stores import BaseLabelStore, StoreIntegrityError
from mmseg_ada.active.units import PoolItem
from mmseg_ada.datasets.labeled_subset import LabeledSubsetDataset, image_stem
from mmseg_ada.datasets.samplers import RoundInfiniteSampler
from mmseg_ada.datasets.unlabeled import UnlabeledDataset
from mmseg_ada.registry import LABEL_STORES, ORACLES, build_active
from mmseg_ada.utils.seeding import derive_seed, seed_all
from .hooks import MCUAcquisitionHook
from .human_rounds import AwaitingLabels, HumanRounds
from .online_acquisition import OnlineAcquisition
from .selector import ActiveSelector
from .utils import find_datasets, image_sizes

__all__ = ['ActiveLoop']

_WRAPPERS = ('LabeledSubsetDataset', 'UnlabeledDataset')


def _set_work_dir(cfg: Any, work_dir: str) -> None:
    """Fill ``work_dir`` into every store-reading dataset config (the
    dataloader workers start with the datasets as configured)."""
    if isinstance(cfg, dict):
        if cfg.get('type') in _WRAPPERS:
            cfg['work_dir'] = work_dir
        for v in cfg.values():
            _set_work_dir(v, work_dir)


def _check_selector_cfg(online: Optional[dict], selector: Optional[dict],
                        budget: Optional[dict]) -> None:
    """Refuse settings a run would ignore or fail on later: a selector or
    a round budget beside online acquisition, a selector without its
    required fields."""
    if online is not None:
        extra = [
            name for name, v in (('selector', selector), ('budget', budget))
            if v is not None
        ]
        if extra:
            raise ValueError(
                f'train_cfg: online=... buys pixels inside the training steps '
                f"(the model's own acquisition, e.g. ADA-MCU), so "
                f'train_cfg.{" and train_cfg.".join(extra)} would never be '
                f'used: remove {" and ".join(extra)} (the online budget is '
                'online.budget), or remove online=... and set num_rounds '
                'to run selection rounds')
    if isinstance(selector, dict):
        missing = [
            k for k in ('strategy', 'units', 'pool_dataloader')
            if k not in selector
        ]
        if missing:
            raise ValueError(
                f'train_cfg.selector lacks {missing}: a selection round '
                'needs the strategy, the units it buys (e.g. dict(type='
                "'RegionUnits', cache=...)) and the pool_dataloader over the "
                'target images (see configs/_base_/datasets/active_*.py)')


@LOOPS.register_module()
class ActiveLoop(IterBasedTrainLoop):
    """Iteration-based training with active selection rounds.

    Args:
        runner: the runner.
        dataloader (dict | DataLoader): the training loader; its sampler
            must be ``RoundInfiniteSampler`` and its dataset must hold a
            :class:`LabeledSubsetDataset` (rounds) or an
            :class:`UnlabeledDataset` target stream (online).
        max_iters (int, optional): training iterations.
        max_epochs (int, optional): or training epochs (an epoch = one pass
            over the primary stream, e.g. the source).
        num_rounds (int): selection rounds ``K`` (0 with ``online``).
        iters_per_round (int, optional): rounds at ``0, R, 2R, ...``.
        round_iters (list, optional): or each round's start iteration.
        round_epochs (list, optional): or each round's start epoch (LADA,
            SDM: ``[10, 12, 14, 16, 18]``).
        budget (dict, optional): ``per_round`` or ``total`` of
            :func:`~mmseg_ada.active.schedule.round_budgets`.
        selector (dict, optional): :class:`ActiveSelector` arguments.
        online (dict, optional): ``dict(budget=0.017)``: pixels (a
            fraction of all target pixels, or a count) the model may buy
            during training.  ``resolution=(h, w)``: count the target pixels
            on the grid the training pipeline samples from (e.g. images
            resized to 1024x512: a purchase names one of those pixels),
            not at the images' full resolution, for the budget and the
            reported labelled fraction.
        store (dict, optional): the label store (default: the one the units
            need; a mask store for online purchases).
        oracle (dict): where labels come from (``GroundTruthOracle``).
        seed_iterations (bool): reseed the main process before every step
            (exact resume of dropout and other model randomness).
        checkpoint_every_epoch (bool): set the ``CheckpointHook`` interval to
            the epoch length (round starts given in epochs are then
            checkpoint boundaries whatever the dataset size).
        val_interval (int, optional): also validate every this many
            iterations (rounds are always validated at their end).
        val_begin (int): as in :class:`IterBasedTrainLoop`.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[dict, Any],
                 max_iters: Optional[int] = None,
                 max_epochs: Optional[int] = None,
                 num_rounds: int = 0,
                 iters_per_round: Optional[int] = None,
                 round_iters: Optional[Sequence[int]] = None,
                 round_epochs: Optional[Sequence[int]] = None,
                 budget: Optional[dict] = None,
                 selector: Optional[dict] = None,
                 online: Optional[dict] = None,
                 store: Optional[dict] = None,
                 oracle: Optional[dict] = None,
                 seed_iterations: bool = True,
                 checkpoint_every_epoch: bool = False,
                 val_interval: Optional[int] = None,
                 val_begin: int = 1) -> None:
        if isinstance(dataloader, dict):
            dataloader = copy.deepcopy(dataloader)
            _set_work_dir(dataloader.get('dataset'), runner.work_dir)
        if (max_iters is None) == (max_epochs is None):
            raise ValueError('give exactly one of max_iters and max_epochs')
        # built with a provisional length; fixed below once the epoch
        # length is known
        super().__init__(
            runner,
            dataloader,
            max_iters=max_iters or 1,
            val_begin=val_begin,
            val_interval=10**9)
        # the epoch is a pass over the training data before any purchase
        # (a stream of bought images, e.g. SDM's joint one, grows with the
        # store): the same for a fresh run and one resumed over a store
        subsets = find_datasets(self.dataloader.dataset, LabeledSubsetDataset)
        for ds in subsets:
            ds.set_work_dir(None)
        self.epoch_length = math.ceil(
            len(self.dataloader.dataset) /
            (self.dataloader.batch_size * get_world_size()))
        for ds in subsets:
            ds.set_work_dir(runner.work_dir)
        self._max_iters = (
            int(max_iters) if max_iters is not None else int(max_epochs) *
            self.epoch_length)
        self.num_rounds = int(num_rounds)
        #: When the rounds start (:class:`RoundSchedule`).
        self.schedule = RoundSchedule(
            self._milestones(iters_per_round, round_iters, round_epochs),
            self._max_iters)
        if online is not None and self.num_rounds:
            raise ValueError('online acquisition and selection rounds '
                             'cannot be combined in one run')
        _check_selector_cfg(online, selector, budget)
        if self.num_rounds and (selector is None or budget is None):
            raise ValueError('selection rounds need `selector` and `budget`')
        self.budget_cfg = dict(budget or {})
        self.online_cfg = None if online is None else dict(online)
        self.selector = (None if selector is None else ActiveSelector(
            **copy.deepcopy(selector)))
        self.store_cfg = store
        self.oracle_cfg = self._oracle_cfg(oracle, subsets)
        oracle_cls = (
            ORACLES.get(self.oracle_cfg['type']) if isinstance(
                self.oracle_cfg, dict) else type(self.oracle_cfg))
        if oracle_cls is None:
            raise KeyError(f'train_cfg.oracle: no oracle named '
                           f"{self.oracle_cfg['type']!r} (known: "
                           f'{sorted(ORACLES.module_dict)})')
        if self.online_cfg is not None and not oracle_cls.online:
            raise ValueError(
                f'{oracle_cls.__name__} cannot answer inside a training '
                'step (a person labels between rounds), so it cannot serve '
                'online purchases (ADA-MCU buys pixels during training): '
                'use rounds (num_rounds, selector, budget) with it, or the '
                'GroundTruthOracle for online purchases')
        for ds in subsets:
            ds.set_oracle(self.oracle_cfg)
        self.human: Optional[HumanRounds] = None
        self.seed_iterations = bool(seed_iterations)
        self.checkpoint_every_epoch = bool(checkpoint_every_epoch)
        self.extra_val_interval = val_interval
        sampler = getattr(self.dataloader, 'sampler', None)
        if not isinstance(sampler, RoundInfiniteSampler):
            raise ValueError(
                'ActiveLoop needs train_dataloader.sampler = dict(type='
                "'RoundInfiniteSampler', shuffle=True): it restarts and "
                'reseeds the data at every round and after a resume, got '
                f'{type(sampler).__name__}')
        for ds in find_datasets(self.dataloader.dataset, UnlabeledDataset):
            ds.set_work_dir(runner.work_dir)
        self.store: Optional[BaseLabelStore] = None
        self.acquisition: Optional[OnlineAcquisition] = None

    # ------------------------------------------------------------ setup
    @staticmethod
    def _oracle_cfg(oracle: Optional[dict], subsets: Sequence[Any]) -> dict:
        """The run's oracle: ``train_cfg.oracle``, else the one configured
        on the target dataset (``LabeledSubsetDataset(oracle=...)``), else
        the ground truth.  Two different ones are an error."""
        given = [
            ds.oracle_cfg for ds in subsets
            if getattr(ds, 'oracle_cfg', None) is not None
        ]
        if oracle is not None:
            for cfg in given:
                if cfg != oracle:
                    raise ValueError(
                        f'two oracles: train_cfg.oracle={oracle} and the '
                        f'target dataset\'s oracle={cfg}; set one of them')
            return copy.deepcopy(oracle)
        if given:
            if any(cfg != given[0] for cfg in given):
                raise ValueError(f'the target datasets name different '
                                 f'oracles: {given}')
            return copy.deepcopy(given[0])
        return dict(type='GroundTruthOracle')

    def _milestones(self, per_round, round_iters, round_epochs) -> List[int]:
        given = [x is not None for x in (per_round, round_iters, round_epochs)]
        K = self.num_rounds
        if K == 0:
            if any(given):
                raise ValueError('round milestones given with num_rounds=0')
            return []
        if sum(given) != 1:
            raise ValueError('give exactly one of iters_per_round, '
                             'round_iters and round_epochs')
        if per_round is not None:
            ms = [k * int(per_round) for k in range(K)]
        elif round_iters is not None:
            ms = [int(x) for x in round_iters]
        else:
            ms = [int(x) * self.epoch_length for x in round_epochs]
        if len(ms) != K or ms != sorted(set(ms)) or ms[0] < 0:
            raise ValueError(f'{K} rounds need {K} increasing start '
                             f'iterations, got {ms}')
        if ms[-1] >= self._max_iters:
            raise ValueError(
                f'{K} rounds starting at {ms} do not fit max_iters='
                f'{self._max_iters}: the last round would never train')
        return ms

    @property
    def milestones(self) -> List[int]:
        """The rounds' start iterations (:attr:`schedule`'s)."""
        return list(self.schedule.starts)

    def _items(self, dataset: Any) -> List[PoolItem]:
        suffix = getattr(dataset, 'img_suffix', '')
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        paths = [info['img_path'] for info in infos]
        image_units = (
            self.selector is not None and self.selector.units.kind == 'image')
        sizes = ([(1, 1)] * len(paths) if image_units else image_sizes(paths))
        return [
            PoolItem(i, image_stem(p, suffix), hw, p)
            for i, (p, hw) in enumerate(zip(paths, sizes))
        ]

    def _target(self) -> Any:
        """The wrapper of the target dataset whose images are bought (its
        ``dataset`` is the target dataset)."""
        found = (
            find_datasets(self.dataloader.dataset, LabeledSubsetDataset)
            if self.num_rounds else find_datasets(self.dataloader.dataset,
                                                  UnlabeledDataset))
        if not found:
            kind = ('a LabeledSubsetDataset' if self.num_rounds else
                    'an UnlabeledDataset target stream')
            raise ValueError(f'ActiveLoop: the train dataset holds no {kind}'
                             ' (e.g. SourceTargetDataset(target=dict(type='
                             "'LabeledSubsetDataset', dataset=...)))")
        return found[0]

    def _check_checkpoint_interval(self) -> None:
        for hook in self.runner.hooks:
            if not isinstance(hook, CheckpointHook):
                continue
            if self.checkpoint_every_epoch:
                hook.interval = self.epoch_length
            if hook.by_epoch:
                raise ValueError('ActiveLoop is iteration based: set '
                                 'default_hooks.checkpoint.by_epoch=False')
            bad = [m for m in self.milestones if m % hook.interval]
            if bad:
                raise ValueError(
                    f'default_hooks.checkpoint.interval={hook.interval} '
                    f'does not divide the round starts {self.milestones} '
                    '(a checkpoint must exist at every round boundary)')

    def _setup(self) -> None:
        """Bind the target and the oracle, plan the budgets, open (or
        resume) the label store and check what a resumed run continues."""
        target, items, stem_of, oracle = self._bind_target()
        self._plan_budgets(target, items, oracle, stem_of)
        fingerprint = self._fingerprint(target, items)
        self._check_fresh_or_resumed()
        self._open_store(fingerprint)
        self._check_oracle_of_store(oracle)
        if oracle.requests:
            self.human = HumanRounds(self.runner, oracle, self.store)
        self._resume_state()
        if self.online_cfg is not None:
            self._setup_online(items, oracle, stem_of)
        self.runner.message_hub.update_info(
            'active_loop',
            dict(
                store=self.store.root,
                fingerprint=hashlib.sha1(
                    repr(sorted(fingerprint.items())).encode()).hexdigest()))
        self._check_checkpoint_interval()
        self.runner.logger.info(
            f'active protocol: {self.num_rounds} rounds at iterations '
            f'{self.milestones} with budgets {getattr(self, "budgets", [])} '
            f'(of {self.total_cost}); online={self.online_cfg}; store '
            f'{self.store.root} at round {self.store.last_round()}')

    def _bind_target(self) -> tuple:
        """The target dataset, its images, their stems and the oracle bound
        to them: ``(target, items, stem_of, oracle)``."""
        wrapper = self._target()
        target = wrapper.dataset
        items = self._items(target)
        suffix = getattr(target, 'img_suffix', '')
        stem_of = (lambda p: image_stem(p, suffix))
        oracle = build_active(self.oracle_cfg, ORACLES).bind(
            target, self.runner.work_dir, getattr(wrapper, 'annotations',
                                                  None))
        return target, items, stem_of, oracle

    def _plan_budgets(self, target: Any, items: List[PoolItem], oracle: Any,
                      stem_of) -> None:
        """Set up the selector's units; the pool's cost
        (:attr:`total_cost`) and every round's budget (:attr:`budgets`)."""
        if self.selector is not None:
            classes = list(target.metainfo.get('classes', ()))
            self.selector.setup(self.runner, items, oracle, classes, stem_of)
            self.total_cost = self.selector.units.total_cost()
        else:
            self.total_cost = int(
                sum(h * w for h, w in (it.shape for it in items)))
        if self.num_rounds:
            units = None if self.selector is None else self.selector.units
            cost_kw = {} if units is None else dict(
                min_cost=units.min_cost,
                unit=units.kind,
                cost_unit='images' if units.kind == 'image' else 'pixels')
            self.budgets = round_budgets(self.total_cost, self.num_rounds,
                                         **self.budget_cfg, **cost_kw)

    def _fingerprint(self, target: Any, items: List[PoolItem]) -> dict:
        """What the label store must have been bought for (a resumed run
        over another dataset, protocol or strategy is refused)."""
        return dict(
            dataset=type(target).__name__,
            num_images=len(items),
            total=self.total_cost,
            stems_sha1=hashlib.sha1('\n'.join(
                it.stem for it in items).encode()).hexdigest(),
            num_rounds=self.num_rounds,
            milestones=self.milestones,
            budgets=getattr(self, 'budgets', None),
            online=self.online_cfg,
            **(self.selector.fingerprint() if self.selector else {}))

    def _check_fresh_or_resumed(self) -> None:
        """A fresh run never starts over an earlier run's store; a resumed
        one resumes from a checkpoint of this active run."""
        runner = self.runner
        resume = bool(runner.cfg.get('resume_requested', runner._resume))
        # decided on rank 0 before anything is written, for every rank
        exists = [BaseLabelStore.exists(runner.work_dir)]
        if get_world_size() > 1:
            broadcast_object_list(exists, src=0)
        exists = exists[0]
        if exists and not resume:
            raise RuntimeError(self._earlier_run_message(runner.work_dir))
        if self._iter > 0:
            info = runner.message_hub.get_info('active_loop')
            if info is None:
                raise RuntimeError(
                    f'resumed at iteration {self._iter} from a checkpoint '
                    'that was not written by this active run (it carries no '
                    'active-loop state): MMSegmentation\'s tools/train.py '
                    '--resume resumes from `load_from` (the warm-up) when it '
                    'is set. Use mmseg_ada\'s tools/train.py --resume, or '
                    'add --cfg-options load_from=None')

    def _open_store(self, fingerprint: dict) -> None:
        """Open the label store: rank 0 creates (or checks) it, the other
        ranks then open it read-only."""
        work_dir = self.runner.work_dir
        store_cfg = self.store_cfg or dict(
            type=(self.selector.units.store_type if self.
                  selector else 'MaskLabelStore'))
        if is_main_process():
            self.store = build_active(
                dict(store_cfg, work_dir=work_dir, fingerprint=fingerprint),
                LABEL_STORES)
        barrier()
        if not is_main_process():
            self.store = build_active(
                dict(store_cfg, work_dir=work_dir, readonly=True),
                LABEL_STORES)

    @staticmethod
    def _earlier_run_message(work_dir: str) -> str:
        """Why a fresh run may not start over a store (naming the run that
        still writes it, if any)."""
        holder = BaseLabelStore.in_use_by(work_dir)
        if holder is None:
            return (f'{work_dir} holds the label store of an earlier run '
                    f'({work_dir}/active): continue it with --resume, or use '
                    'another --work-dir (a fresh run never reuses bought '
                    'labels)')
        return (f'{work_dir} holds the label store of an earlier run '
                f'({work_dir}/active) that is still going: {holder} holds '
                'its lock, so --resume is refused too while it runs. Wait for '
                'it to end (or stop it), then continue it with --resume; or '
                'use another --work-dir')

    def _check_round_reports(self) -> None:
        """Every committed round has its report (``round_<k>.json``): the
        curves and the next rounds' cumulative counts read them."""
        store = self.store
        last = store.last_round()
        missing = [
            k for k in range(1, last + 1)
            if not osp.isfile(store.round_path(k))
        ]
        if not missing:
            return
        names = ', '.join(osp.basename(store.round_path(k)) for k in missing)
        raise StoreIntegrityError(
            f'label store {store.root}: the report of committed round(s) '
            f'{missing} is missing ({names}; state.json says rounds '
            f'1..{last} are committed). A report holds the '
            "round's budget, spend, per-class counts, selection facts and "
            'score; the curves (tools/analysis/plot_active_curves.py) and '
            "the next rounds' cumulative counts read it. It cannot be "
            'rebuilt exactly (the score and the selection facts came from '
            "that round's model): restore it from a backup or a copy of "
            'this work dir. The bought labels are intact; `python '
            f'tools/check_store.py {self.runner.work_dir}` lists every '
            'problem')

    def _check_oracle_of_store(self, oracle: Any) -> None:
        """A store bought for a person is continued by a person's oracle,
        one bought from the ground truth by a non-person's."""
        store = self.store
        person = [
            k for k in range(1,
                             store.last_round() + 1)
            if store.answers(k) is not None
            or osp.isdir(request_dir(store.work_dir, k))
        ]
        if person and not oracle.requests:
            raise ValueError(
                f'the label store {store.root} was answered by a person '
                f'(rounds {person} have annotation requests): continuing it '
                f'with {type(oracle).__name__} would train on the dataset\'s '
                "own labels; keep train_cfg.oracle=dict(type='HumanOracle')")
        if oracle.requests and store.last_round() > len(person):
            raise ValueError(
                f'the label store {store.root} holds rounds bought without '
                f'an annotation request (by another oracle): '
                f'{type(oracle).__name__} cannot ask a person for them; '
                'continue with the oracle that bought them, or use another '
                'work_dir')

    def _resume_state(self) -> None:
        """Show training the rounds its position has reached."""
        store, it = self.store, self._iter
        if self.num_rounds == 0:
            return
        self._check_round_reports()
        reached = self.schedule.rounds_started(it - 1)
        last = store.last_round()
        if last < reached:
            raise RuntimeError(
                f'the run is at iteration {it}, trained with rounds '
                f'1..{reached}, but the label store {store.root} holds only '
                f'rounds 1..{last}: the store is older than the checkpoint '
                '(was it deleted or replaced?)')
        if it >= self._max_iters and last < self.num_rounds:
            raise RuntimeError(
                f'the loop starts at iteration {it} >= max_iters '
                f'{self._max_iters} with only {last} of {self.num_rounds} '
                'rounds bought: the checkpoint is not from this protocol')
        if last > reached:
            self.runner.logger.info(
                f'the store holds rounds 1..{last}; the checkpoint at '
                f'iteration {it} has reached round {reached}: rounds '
                f'{reached + 1}..{last} stay hidden until training reaches '
                'them, then they are reused (no budget is spent twice)')
        if self.human is not None:
            self.human.check_trained(reached)
        if is_main_process():
            store.set_cursor(reached)
        barrier()
        store.refresh(force=True)

    def _setup_online(self, items, oracle, stem_of) -> None:
        budget = self.online_cfg.get('budget')
        if budget is None:
            raise ValueError("online acquisition needs online=dict(budget=.)")
        unknown = set(self.online_cfg) - {'budget', 'resolution'}
        if unknown:
            raise ValueError(f'online: unknown keys {sorted(unknown)} '
                             "(known: 'budget', 'resolution')")
        res = self.online_cfg.get('resolution')
        grid = 'at full resolution'
        if res is not None:
            if (not isinstance(res, (tuple, list)) or len(res) != 2
                    or not all(isinstance(v, int) and v > 0 for v in res)):
                raise ValueError(f'online: resolution={res!r} must be two '
                                 'positive ints (h, w)')
            h, w = res
            self.total_cost = len(items) * h * w
            grid = f'on a {h}x{w} grid'
        total = round_budgets(self.total_cost, 1, per_round=budget)[0]
        self.runner.logger.info(
            f'online acquisition: a budget of {total} of the '
            f'{self.total_cost} target pixels ({len(items)} images {grid})')
        self.acquisition = OnlineAcquisition(self.store, oracle, items, total,
                                             stem_of)
        self.acquisition.open(self._iter)
        model = self.runner.model
        model = getattr(model, 'module', model)
        object.__setattr__(model, 'acquisition', self.acquisition)
        if getattr(model, 'vis_interval', 0) > 0:  # its figures
            self.runner.register_hook(MCUAcquisitionHook())

    # ------------------------------------------------------------- data
    def _restart_data(self) -> None:
        """Restart the data stream at the current position."""
        seg = self.schedule.rounds_started(self._iter)
        start = self.schedule.round_start(seg)
        sampler = self.dataloader.sampler
        sampler.set_round(seg,
                          (self._iter - start) * self.dataloader.batch_size)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)

    def _round_boundary(self) -> None:
        k = self.schedule.rounds_started(self._iter)
        store = self.store
        store.refresh(force=True)
        if store.last_round() < k:
            self.selector.run_round(k, self.budgets[k - 1], store,
                                    self.num_rounds, self._iter)
        else:
            self.runner.logger.info(f'active round {k} is already in the '
                                    'label store; reusing it')
        if self.human is not None:
            try:
                self.human.ensure(k, self._iter)
            except AwaitingLabels:
                self.selector.wait()
                if is_main_process():
                    store.close()
                raise
        if is_main_process():
            store.set_cursor(k)
        barrier()
        store.refresh(force=True)
        self._restart_data()

    # ------------------------------------------------------------- loop
    def run(self) -> None:
        """Train with a selection round at every milestone."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self._setup()
        starts = self.schedule.starts
        if self._iter not in starts:
            self._restart_data()
        val_iters = set(self.schedule.round_ends())
        if self.schedule.pretraining_end() is not None:
            val_iters.add(self.schedule.pretraining_end())
        if self.extra_val_interval:
            val_iters |= set(
                range(
                    int(self.extra_val_interval), self._max_iters + 1,
                    int(self.extra_val_interval)))
        if not starts and not self.extra_val_interval:
            val_iters.add(self._max_iters)
        base_seed = int(getattr(self.runner, 'seed', None) or 0)
        while self._iter < self._max_iters and not self.stop_training:
            if self._iter in starts:
                self._round_boundary()
            if self.acquisition is not None:
                self.acquisition.iteration = self._iter
            if self.seed_iterations:
                seed_all(derive_seed(base_seed, self._iter, get_rank()))
            self.runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and self._iter in val_iters):
                self.runner.val_loop.run()
                barrier()
        if self.selector is not None:
            self.selector.wait()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        if is_main_process() and self.store is not None:
            self.store.close()
        return self.runner.model
