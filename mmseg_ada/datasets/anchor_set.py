"""LADA's progressive anchor set (Sun et al., ICCV 2023, Sec. 3.2, Alg. 1-2,
Eq. 4), shared between the training process and the dataloader workers.

Within an epoch the anchor set only grows: ``A = D_tl`` at the epoch start
(the bought target images with their bought labels), and after every pass
over ``A`` the confident proposals accepted during the pass (``S``) join
it with their pseudo-labels.  The state lives in shared-memory tensors
created before the workers start, so every worker (persistent ones too)
reads the current set:

* ``gen_start[g]``, ``gen_size[g]``: generation ``g`` of the epoch's set
  starts at training iteration ``gen_start[g]`` and holds ``D_tl`` plus the
  first ``gen_size[g]`` additions;
* ``add_ids``, ``add_labels``: the pseudo-labelled additions in insertion
  order (never a bought image: proposals already in ``A`` are rejected);
* ``nbr``: the epoch's ``K`` nearest target neighbours of every target
  image (LAA);
* ``counters`` (:class:`_AnchorCounters`): epoch, counters, the last
  processed iteration (``published``) and what the workers need to place a
  sample in training (global batch, epoch length, seed, run length);
* ``round_starts``: the iterations at which the rounds start (the loop's
  :class:`~mmseg_ada.active.schedule.RoundSchedule`).

A sample knows its iteration (:class:`~mmseg_ada.datasets.samplers.
PositionedIndex`), so it is drawn from the generation of *that* iteration:
a worker that runs ahead of training waits for the iteration that decides
it (the end of the previous pass) instead of reading whatever the set is
at that moment, and training is the same with any number of workers and
after a resume.  Writers bracket their changes with the counters' version
(:meth:`~mmseg_ada.datasets.shared_counters.SharedCounters.writing`);
readers retry until they read one even version.

Which proposals join ``S`` (LADA Eq. 4, Alg. 2) is
:func:`~mmseg_ada.active.functional.lada.accept_proposals`.
"""
from __future__ import annotations

import hashlib
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmseg_ada.active.functional.lada import accept_proposals
from mmseg_ada.active.schedule import RoundSchedule
from mmseg_ada.utils.seeding import derive_seed
from .shared_counters import Counter, SharedCounters

__all__ = ['AnchorSet', 'NotReady']

MAX_ROUNDS = 255


class NotReady(Exception):
    """The generation of a sample's iteration is not decided yet."""


class _AnchorCounters(SharedCounters):
    """The anchor set's scalar state, shared with the workers."""

    #: 1 once the training process has configured the run (:meth:`arm`).
    armed = Counter()
    #: The epoch of the current set (-1 before the first).
    epoch = Counter(-1)
    #: Generations of the epoch's set.
    num_generations = Counter()
    #: Pseudo-labelled additions of the epoch's set.
    num_additions = Counter()
    #: The last training iteration processed (-1: none).
    published = Counter(-1)
    #: Samples per training iteration over all ranks.
    global_batch = Counter()
    #: Iterations per epoch.
    epoch_length = Counter()
    #: The run's seed (31 bits).
    seed = Counter()
    #: The epoch whose neighbours ``nbr`` holds (-1: none).
    bank_epoch = Counter(-1)
    #: Rounds of the run (entries of ``round_starts``).
    num_rounds = Counter()
    #: The run's training iterations.
    max_iters = Counter()


class AnchorSet:
    """The anchor set of one training run (see the module docstring).

    Created by :class:`~mmseg_ada.datasets.PAADataset` before any worker
    starts; written by :class:`~mmseg_ada.engine.hooks.PAAHook` in the
    training process; read by the dataset in every worker.

    Args:
        num_images (int): ``N``, the target images.
        num_classes (int): ``C``.
        k (int): Neighbours per image kept for LAA (0: none, RAA).
    """

    def __init__(self, num_images: int, num_classes: int, k: int = 0) -> None:
        if int(num_images) < 1 or int(num_classes) < 1 or int(k) < 0:
            raise ValueError('AnchorSet needs num_images >= 1, num_classes '
                             f'>= 1 and k >= 0, got {num_images}, '
                             f'{num_classes}, {k}')
        n = self.num_images = int(num_images)
        self.num_classes = int(num_classes)
        self.k = int(k)

        def shared(*shape):
            return torch.zeros(shape, dtype=torch.int64).share_memory_()

        self.counters = _AnchorCounters()
        self.round_starts = shared(MAX_ROUNDS)
        self.gen_start = shared(n + 1)
        self.gen_size = shared(n + 1)
        self.add_ids = shared(n)
        self.add_labels = shared(n)
        self.nbr = shared(n, max(self.k, 1))
        # training process only (checkpointed): the pass's S
        self.pending_ids: List[int] = []
        self.pending_labels: List[int] = []
        self._base: Tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64),
                                                     np.zeros(0, np.int64))

    # ------------------------------------------------------------ common
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop('_views', None)
        state.pop('_schedule', None)
        return state

    def _array(self, name: str) -> np.ndarray:
        """A numpy view of shared tensor ``name`` (made per process)."""
        views = self.__dict__.setdefault('_views', {})
        if name not in views:
            views[name] = getattr(self, name).numpy()
        return views[name]

    def read(self, fn):
        """``fn()`` on one consistent version of the shared state.

        Args:
            fn (Callable[[], Any]): reads the shared tensors; called again
                until no writer changed them meanwhile.

        Returns:
            Any: what ``fn`` returned.
        """
        return self.counters.read(fn)

    @property
    def armed(self) -> bool:
        """Whether the training process has configured the set."""
        return bool(self.counters.armed)

    @property
    def global_batch(self) -> int:
        """Samples per training iteration over all ranks."""
        return self.counters.global_batch

    @property
    def schedule(self) -> RoundSchedule:
        """The run's rounds (as :meth:`arm` was given them); read once per
        process after :meth:`arm` (every sample asks for it)."""
        schedule = self.__dict__.get('_schedule')
        if schedule is None:
            n = self.counters.num_rounds
            schedule = RoundSchedule(
                self._array('round_starts')[:n].tolist(),
                self.counters.max_iters)
            if self.armed:  # fixed from now on
                self.__dict__['_schedule'] = schedule
        return schedule

    def locate(self, round_idx: int, position: int) -> Tuple[int, int]:
        """Where the sample at ``position`` of a round is trained on.

        Args:
            round_idx: the round (0: before any round).
            position: the sample's position in the round's sample stream.

        Returns:
            tuple[int, int]: ``(iteration, slot)``, the slot being its place
            in the global batch.
        """
        batch = self.counters.global_batch
        return (self.schedule.round_start(round_idx) + position // batch,
                position % batch)

    # ------------------------------------------------------------ writer
    def arm(self, batch_size: int, epoch_length: int, seed: int,
            schedule: RoundSchedule) -> None:
        """Configure the run (training process, before workers start).

        Args:
            batch_size: the *global* batch (per-rank batch x ranks).
            epoch_length: iterations per epoch.
            seed: the run's seed.
            schedule: the loop's rounds and the run's length.
        """
        starts = schedule.starts
        if len(starts) > MAX_ROUNDS:
            raise ValueError(f'at most {MAX_ROUNDS} rounds, got '
                             f'{len(starts)}')
        if int(batch_size) < 1 or int(epoch_length) < 1:
            raise ValueError('batch_size and epoch_length must be >= 1')
        counters = self.counters
        self.__dict__.pop('_schedule', None)
        with counters.writing():
            self._array('round_starts')[:len(starts)] = list(starts)
            counters.num_rounds = len(starts)
            counters.global_batch = int(batch_size)
            counters.epoch_length = int(epoch_length)
            counters.seed = int(seed) & 0x7FFFFFFF
            counters.max_iters = schedule.max_iters
            counters.armed = 1

    def set_base(self, ids: np.ndarray, labels: np.ndarray) -> None:
        """``D_tl`` of the current epoch (training process bookkeeping).

        Args:
            ids: ``int [M]`` the bought target images.
            labels: ``int [M]`` their (bought) labels.
        """
        self._base = (np.asarray(ids, np.int64), np.asarray(labels, np.int64))

    def begin_epoch(self,
                    epoch: int,
                    start: int,
                    nbr: Optional[np.ndarray] = None) -> None:
        """``A <- D_tl``, ``S <- {}`` (Alg. 1 line 6), published as
        processed up to ``start - 1``.

        Args:
            epoch: the epoch.
            start: its first training iteration.
            nbr: ``int [num_images, max(k, 1)]`` the epoch's neighbours
                (``-1``: none); ``None`` keeps the current ones.
        """
        counters = self.counters
        with counters.writing():
            if nbr is not None:
                nbr = np.asarray(nbr, dtype=np.int64)
                if nbr.shape != (self.num_images, max(self.k, 1)):
                    raise ValueError(f'nbr must be [{self.num_images}, '
                                     f'{self.k}], got {nbr.shape}')
                self._array('nbr')[:] = nbr
                counters.bank_epoch = int(epoch)
            self._array('gen_start')[0] = int(start)
            self._array('gen_size')[0] = 0
            counters.num_additions = 0
            counters.num_generations = 1
            counters.epoch = int(epoch)
            counters.published = int(start) - 1
        self.pending_ids, self.pending_labels = [], []

    def generation_at(self, t: int) -> Tuple[int, int, int]:
        """The generation of iteration ``t`` (writer side).

        Args:
            t: training iteration (not before the epoch start).

        Returns:
            tuple[int, int, int]: ``(g, start_g, pass length)``.
        """
        counters = self.counters
        n = counters.num_generations
        starts = self._array('gen_start')[:n]
        g = int(np.searchsorted(starts, t, side='right')) - 1
        if g < 0:
            raise ValueError(f'iteration {t} precedes the epoch start '
                             f'{int(starts[0])}')
        size = len(self._base[0]) + int(self._array('gen_size')[g])
        return g, int(starts[g]), pass_length(size, counters.global_batch)

    def members(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(member[N], counts[C])`` of the latest ``A`` (not ``S``)."""
        n_add = self.counters.num_additions
        ids = np.concatenate([self._base[0], self._array('add_ids')[:n_add]])
        labels = np.concatenate(
            [self._base[1], self._array('add_labels')[:n_add]])
        member = np.zeros(self.num_images, dtype=bool)
        member[ids] = True
        counts = np.bincount(labels, minlength=self.num_classes)
        return member, counts[:self.num_classes].astype(np.int64)

    def process_step(self,
                     t: int,
                     prop_ids: Sequence[int],
                     prop_labels: Sequence[int],
                     prop_conf: Sequence[float],
                     xi: Sequence[float],
                     threshold: float = 0.9,
                     add_one: bool = False,
                     count_pending: bool = False) -> Dict[str, int]:
        """Alg. 1 lines 10-13 after training iteration ``t``.

        The step's proposals are accepted into ``S`` (Alg. 2, Eq. 4); if
        ``t`` ends a pass over the current generation, ``A <- A u S`` (a
        new generation from iteration ``t + 1``) and ``S <- {}``.  Then
        iteration ``t`` is published.

        Args:
            t: the training iteration just done (the one after the last
                published).
            prop_ids: target image index of each proposal.
            prop_labels: pseudo-label of each proposal.
            prop_conf: confidence of each pseudo-label.
            xi: the uniform draw of each proposal (Eq. 4).
            threshold: the confidence threshold.
            add_one: add one to every class count before Eq. 4.
            count_pending: count ``S`` beside ``A`` in ``q_A``.

        Returns:
            dict: ``accepted`` (this step), ``pending`` (``|S|``),
            ``anchors`` (``|A|``), ``merged`` (1 if ``S`` joined ``A``).
        """
        counters = self.counters
        if counters.published != int(t) - 1:
            raise RuntimeError(f'anchor set: iteration {t} processed after '
                               f'{counters.published} (steps must be '
                               'processed in order, once)')
        member, counts = self.members()
        member[self.pending_ids] = True
        pending = np.bincount(
            np.asarray(self.pending_labels, np.int64),
            minlength=self.num_classes).astype(np.int64)
        prop_ids = [int(i) for i in prop_ids]
        prop_labels = [int(y) for y in prop_labels]
        bad = [y for y in prop_labels if not 0 <= y < self.num_classes]
        if bad or any(not 0 <= i < self.num_images for i in prop_ids):
            raise ValueError('proposals outside the target set / classes')
        acc = accept_proposals(prop_ids, prop_labels, prop_conf, xi, member,
                               counts, pending, threshold, add_one,
                               count_pending)
        self.pending_ids += [prop_ids[i] for i in acc]
        self.pending_labels += [prop_labels[i] for i in acc]
        g, start, plen = self.generation_at(t)
        merged = 0
        with counters.writing():
            if (t + 1 - start) % plen == 0 and self.pending_ids:
                n_add = counters.num_additions
                m = len(self.pending_ids)
                end = n_add + m
                self._array('add_ids')[n_add:end] = self.pending_ids
                self._array('add_labels')[n_add:end] = self.pending_labels
                n_gen = counters.num_generations
                self._array('gen_start')[n_gen] = t + 1
                self._array('gen_size')[n_gen] = end
                counters.num_additions = end
                counters.num_generations = n_gen + 1
                self.pending_ids, self.pending_labels = [], []
                merged = 1
            counters.published = int(t)
        return dict(
            accepted=len(acc),
            pending=len(self.pending_ids),
            anchors=len(self._base[0]) + counters.num_additions,
            merged=merged)

    # ------------------------------------------------------------ reader
    def anchors_at(self, t: int, base_ids: np.ndarray,
                   need_bank: bool) -> Tuple[int, int, int, int, int]:
        """Where iteration ``t`` stands: ``(epoch, g, size_g, pass,
        offset)``, ``size_g = |D_tl| + additions of generation g``.

        Args:
            t: training iteration of the sample.
            base_ids: ``D_tl`` of the sample's epoch.
            need_bank: whether the sample needs the epoch's neighbours.

        Returns:
            tuple[int, int, int, int, int]: ``(epoch, g, size_g, pass,
            offset)`` (all but ``epoch``, ``g`` zero for an empty set).

        Raises:
            NotReady: If the training process has not processed the
                iteration that decides ``t``'s generation (or, with
                ``need_bank``, the epoch's neighbours) yet.
        """
        counters = self.counters
        batch = counters.global_batch
        epoch = t // counters.epoch_length
        epoch_start = epoch * counters.epoch_length
        n_base = len(base_ids)

        def snap():
            e = counters.epoch
            n = counters.num_generations
            return (e, counters.published, counters.bank_epoch,
                    self._array('gen_start')[:n].copy(),
                    self._array('gen_size')[:n].copy())

        e, published, bank, starts, sizes = self.read(snap)
        if e != epoch:
            # the epoch start is not processed yet (or this sample belongs
            # to a stale iterator): only its first generation is known
            starts = np.asarray([epoch_start])
            sizes = np.asarray([0])
            published = epoch_start - 1 if e < epoch else 10**18
        if need_bank and bank < epoch and e <= epoch and n_base:
            raise NotReady(f'neighbours of epoch {epoch}')
        g = int(np.searchsorted(starts, t, side='right')) - 1
        size = n_base + int(sizes[g])
        if size == 0:
            return epoch, g, 0, 0, 0
        plen = pass_length(size, batch)
        j = (t - int(starts[g])) // plen
        boundary = int(starts[g]) + j * plen
        if j > 0 and published < boundary - 1:
            raise NotReady(f'iteration {boundary - 1}')
        return epoch, g, size, j, t - boundary

    def additions(self, n: int) -> Tuple[np.ndarray, np.ndarray]:
        """The first ``n`` additions, copied.

        Args:
            n: how many (at most the number of additions).

        Returns:
            tuple[np.ndarray, np.ndarray]: ``int64 [n]`` ids and
            pseudo-labels.
        """
        return self.read(lambda: (self._array('add_ids')[:n].copy(),
                                  self._array('add_labels')[:n].copy()))

    def neighbours(self, image: int) -> np.ndarray:
        """The epoch's neighbours of target image ``image`` (LAA).

        Args:
            image: target dataset index.

        Returns:
            np.ndarray: ``int64`` neighbour indices (``-1`` padding
            dropped).
        """
        row = self._array('nbr')[int(image)].copy()
        return row[row >= 0]

    def permutation(self, epoch: int, g: int, j: int, size: int) -> np.ndarray:
        """The order of pass ``j`` over generation ``g``.

        Args:
            epoch: the epoch.
            g: the generation.
            j: the pass over the generation.
            size: the generation's size.

        Returns:
            np.ndarray: a permutation of ``range(size)``, seeded by the
            run's seed and ``(epoch, g, j)``.
        """
        seed = derive_seed(self.counters.seed, epoch, g, j)
        return np.random.default_rng(seed).permutation(size)

    def digest(self) -> str:
        """sha1 of the whole state (:meth:`state_dict`): equal on ranks
        that hold the same anchor set, ``S`` included."""
        h = hashlib.sha1()
        for key, value in sorted(self.state_dict().items()):
            h.update(key.encode())
            h.update(
                np.asarray(value if value is not None else -1,
                           dtype=np.int64).tobytes())
        return h.hexdigest()

    # ------------------------------------------------------- checkpoints
    def state_dict(self) -> dict:
        """Everything a resumed run needs (plain numpy / python values)."""
        counters = self.counters

        def snap():
            n_g, n_a = counters.num_generations, counters.num_additions
            return dict(
                epoch=counters.epoch,
                published=counters.published,
                bank_epoch=counters.bank_epoch,
                gen_start=self._array('gen_start')[:n_g].copy(),
                gen_size=self._array('gen_size')[:n_g].copy(),
                add_ids=self._array('add_ids')[:n_a].copy(),
                add_labels=self._array('add_labels')[:n_a].copy(),
                nbr=(self._array('nbr').copy() if self.k else None))

        state = self.read(snap)
        state.update(
            num_images=self.num_images,
            k=self.k,
            pending_ids=list(self.pending_ids),
            pending_labels=list(self.pending_labels))
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (training process).

        Args:
            state: a :meth:`state_dict` of a set with the same
                ``num_images`` and ``k``.
        """
        if state.get('num_images') != self.num_images or state.get(
                'k') != self.k:
            raise ValueError(
                'the checkpoint\'s anchor set is for '
                f'{state.get("num_images")} target images with k='
                f'{state.get("k")}, this run has {self.num_images} and '
                f'k={self.k}')
        counters = self.counters
        with counters.writing():
            n_g, n_a = len(state['gen_start']), len(state['add_ids'])
            self._array('gen_start')[:n_g] = state['gen_start']
            self._array('gen_size')[:n_g] = state['gen_size']
            self._array('add_ids')[:n_a] = state['add_ids']
            self._array('add_labels')[:n_a] = state['add_labels']
            if self.k and state['nbr'] is not None:
                self._array('nbr')[:] = state['nbr']
            counters.num_generations, counters.num_additions = n_g, n_a
            counters.epoch = state['epoch']
            counters.published = state['published']
            counters.bank_epoch = state['bank_epoch']
        self.pending_ids = [int(i) for i in state['pending_ids']]
        self.pending_labels = [int(y) for y in state['pending_labels']]


def pass_length(size: int, batch: int) -> int:
    """Iterations of one pass over ``size`` anchors.

    Args:
        size: anchors in the pass.
        batch: samples per iteration (global batch).

    Returns:
        int: ``ceil(size / batch)``, at least 1.
    """
    return max(1, math.ceil(int(size) / int(batch)))
