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
* ``meta``: epoch, counters, the last processed iteration (``published``)
  and what the workers need to place a sample in training (global batch,
  epoch length, seed, round starts).

A sample knows its iteration (:class:`~mmseg_ada.datasets.samplers.
PositionedIndex`), so it is drawn from the generation of *that* iteration:
a worker that runs ahead of training waits for the iteration that decides
it (the end of the previous pass) instead of reading whatever the set is
at that moment, and training is the same with any number of workers and
after a resume.  Writers bracket their changes with a version counter
(odd while writing); readers retry until they read one even version.
"""
from __future__ import annotations

import hashlib
import math
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmseg_ada.utils.seeding import derive_seed

__all__ = [
    'AnchorSet', 'NotReady', 'rejection_probabilities', 'accept_proposals'
]

#: Positions in ``meta``.
ARMED, EPOCH, N_GENS, N_ADDS, PUBLISHED, BATCH, EPOCH_LEN, SEED, VERSION, \
    BANK_EPOCH, N_MILESTONES, MAX_ITERS = range(12)
MAX_ROUNDS = 255


class NotReady(Exception):
    """The generation of a sample's iteration is not decided yet."""


def rejection_probabilities(counts: Sequence[float],
                            add_one: bool = False) -> np.ndarray:
    """Class-balancing rejection probabilities (LADA Eq. 4).

    ``q_A[c] = (p_A[c] - p_A^min) / p_A^max`` with ``p_A[c]`` the share of
    class ``c`` in the anchor set, over all ``C`` classes (a class absent
    from ``A`` makes ``p_A^min = 0``); ``|A|`` cancels, so counts suffice.
    A confident proposal with pseudo-label ``c`` is rejected with
    probability ``q_A[c]``: the rarest class is always accepted, the most
    frequent one accepted with probability ``p_A^min / p_A^max``.

    Args:
        counts: ``[C]`` anchors per class.
        add_one: LADA's code: counts ``+ 1`` (``q = (n_c - n_min) / (n_max
            + 1)``), so no class is rejected surely.

    Returns:
        ``float64 [C]`` in ``[0, 1]``; zeros for an empty set.
    """
    n = np.asarray(counts, dtype=np.float64)
    if n.ndim != 1 or (n < 0).any():
        raise ValueError(f'counts must be a [C] non-negative vector, got '
                         f'{n}')
    if add_one:
        n = n + 1.0
    top = n.max() if n.size else 0.0
    if top <= 0:
        return np.zeros_like(n)
    return (n - n.min()) / top


def accept_proposals(ids: Sequence[int],
                     labels: Sequence[int],
                     conf: Sequence[float],
                     xi: Sequence[float],
                     member: np.ndarray,
                     counts: np.ndarray,
                     pending_counts: np.ndarray,
                     threshold: float = 0.9,
                     add_one: bool = False,
                     count_pending: bool = False) -> List[int]:
    """LADA Alg. 2, lines 3-7, for proposals in order.

    Proposal ``i`` (target image ``ids[i]`` with pseudo-label ``labels[i]``
    and confidence ``conf[i]``) joins ``S`` iff ``conf[i] >= threshold``,
    ``xi[i] >= q_A[labels[i]]`` (Eq. 4) and the image is not in ``A`` or
    ``S`` yet (``member``).  ``q_A`` is computed from ``counts`` (the
    anchor set ``A``; the paper's "current A"), plus ``pending_counts``
    (``S``) when ``count_pending`` (the code updates its counts at once).
    ``member`` and ``pending_counts`` are updated in place.

    Returns:
        list[int]: Positions of the accepted proposals.
    """
    accepted = []
    q = None
    for i, (img, y, p, u) in enumerate(zip(ids, labels, conf, xi)):
        if p < threshold or member[img]:
            continue
        if q is None or count_pending:
            total = counts + pending_counts if count_pending else counts
            q = rejection_probabilities(total, add_one)
        if u >= q[y]:
            accepted.append(i)
            member[img] = True
            pending_counts[y] += 1
    return accepted


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

        self.meta = shared(16)
        self.milestones = shared(MAX_ROUNDS)
        self.gen_start = shared(n + 1)
        self.gen_size = shared(n + 1)
        self.add_ids = shared(n)
        self.add_labels = shared(n)
        self.nbr = shared(n, max(self.k, 1))
        self.meta[BANK_EPOCH] = -1
        self.meta[EPOCH] = -1
        self.meta[PUBLISHED] = -1
        # training process only (checkpointed): the pass's S
        self.pending_ids: List[int] = []
        self.pending_labels: List[int] = []
        self._base: Tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64),
                                                     np.zeros(0, np.int64))

    # ------------------------------------------------------------ common
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop('_views', None)
        return state

    def _v(self, name: str) -> np.ndarray:
        """A numpy view of shared tensor ``name`` (made per process)."""
        views = self.__dict__.setdefault('_views', {})
        if name not in views:
            views[name] = getattr(self, name).numpy()
        return views[name]

    @contextmanager
    def _writing(self) -> Iterator[None]:
        meta = self._v('meta')
        meta[VERSION] += 1
        try:
            yield
        finally:
            meta[VERSION] += 1

    def read(self, fn):
        """``fn()`` on one consistent version of the shared state."""
        meta = self._v('meta')
        while True:
            v = int(meta[VERSION])
            if v % 2:
                continue
            out = fn()
            if int(meta[VERSION]) == v:
                return out

    @property
    def armed(self) -> bool:
        """Whether the training process has configured the set."""
        return bool(self._v('meta')[ARMED])

    @property
    def global_batch(self) -> int:
        """Samples per training iteration over all ranks."""
        return int(self._v('meta')[BATCH])

    @property
    def max_iters(self) -> int:
        """The run's training iterations."""
        return int(self._v('meta')[MAX_ITERS])

    @property
    def epoch_length(self) -> int:
        """Iterations per epoch."""
        return int(self._v('meta')[EPOCH_LEN])

    def round_start(self, round_idx: int) -> int:
        """Training iteration at which round ``round_idx`` starts."""
        if round_idx <= 0:
            return 0
        n = int(self._v('meta')[N_MILESTONES])
        if round_idx > n:
            raise ValueError(f'round {round_idx} of a run with {n} rounds')
        return int(self._v('milestones')[round_idx - 1])

    def segment(self, t: int) -> int:
        """Rounds started at or before iteration ``t``."""
        n = int(self._v('meta')[N_MILESTONES])
        return int(np.searchsorted(self._v('milestones')[:n], t, side='right'))

    def locate(self, round_idx: int, position: int) -> Tuple[int, int]:
        """``(iteration, slot)`` of a sample at ``position`` of a round."""
        batch = int(self._v('meta')[BATCH])
        return (self.round_start(round_idx) + position // batch,
                position % batch)

    # ------------------------------------------------------------ writer
    def arm(self,
            batch_size: int,
            epoch_length: int,
            seed: int,
            milestones: Sequence[int],
            max_iters: int = 2**62) -> None:
        """Configure the run (training process, before workers start).

        Args:
            batch_size: the *global* batch (per-rank batch x ranks).
            epoch_length: iterations per epoch.
            seed: the run's seed.
            milestones: the iterations at which rounds start.
            max_iters: the run's length.
        """
        if len(milestones) > MAX_ROUNDS:
            raise ValueError(f'at most {MAX_ROUNDS} rounds, got '
                             f'{len(milestones)}')
        if int(batch_size) < 1 or int(epoch_length) < 1:
            raise ValueError('batch_size and epoch_length must be >= 1')
        with self._writing():
            meta = self._v('meta')
            self._v('milestones')[:len(milestones)] = list(milestones)
            meta[N_MILESTONES] = len(milestones)
            meta[BATCH] = int(batch_size)
            meta[EPOCH_LEN] = int(epoch_length)
            meta[SEED] = int(seed) & 0x7FFFFFFF
            meta[MAX_ITERS] = int(max_iters)
            meta[ARMED] = 1

    def set_base(self, ids: np.ndarray, labels: np.ndarray) -> None:
        """``D_tl`` of the current epoch (training process bookkeeping)."""
        self._base = (np.asarray(ids, np.int64), np.asarray(labels, np.int64))

    def begin_epoch(self,
                    epoch: int,
                    start: int,
                    nbr: Optional[np.ndarray] = None) -> None:
        """``A <- D_tl``, ``S <- {}`` (Alg. 1 line 6), published as
        processed up to ``start - 1``; ``nbr``: the epoch's neighbours."""
        with self._writing():
            meta = self._v('meta')
            if nbr is not None:
                nbr = np.asarray(nbr, dtype=np.int64)
                if nbr.shape != (self.num_images, max(self.k, 1)):
                    raise ValueError(f'nbr must be [{self.num_images}, '
                                     f'{self.k}], got {nbr.shape}')
                self._v('nbr')[:] = nbr
                meta[BANK_EPOCH] = int(epoch)
            self._v('gen_start')[0] = int(start)
            self._v('gen_size')[0] = 0
            meta[N_ADDS] = 0
            meta[N_GENS] = 1
            meta[EPOCH] = int(epoch)
            meta[PUBLISHED] = int(start) - 1
        self.pending_ids, self.pending_labels = [], []

    def generation_at(self, t: int) -> Tuple[int, int, int]:
        """``(g, start_g, pass length)`` of iteration ``t`` (writer side)."""
        meta = self._v('meta')
        n = int(meta[N_GENS])
        starts = self._v('gen_start')[:n]
        g = int(np.searchsorted(starts, t, side='right')) - 1
        if g < 0:
            raise ValueError(f'iteration {t} precedes the epoch start '
                             f'{int(starts[0])}')
        size = len(self._base[0]) + int(self._v('gen_size')[g])
        return g, int(starts[g]), pass_length(size, int(meta[BATCH]))

    def members(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(member[N], counts[C])`` of the latest ``A`` (not ``S``)."""
        meta = self._v('meta')
        n_add = int(meta[N_ADDS])
        ids = np.concatenate([self._base[0], self._v('add_ids')[:n_add]])
        labels = np.concatenate([self._base[1], self._v('add_labels')[:n_add]])
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

        Returns:
            dict: ``accepted`` (this step), ``pending`` (``|S|``),
            ``anchors`` (``|A|``), ``merged`` (1 if ``S`` joined ``A``).
        """
        meta = self._v('meta')
        if int(meta[PUBLISHED]) != int(t) - 1:
            raise RuntimeError(f'anchor set: iteration {t} processed after '
                               f'{int(meta[PUBLISHED])} (steps must be '
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
        with self._writing():
            if (t + 1 - start) % plen == 0 and self.pending_ids:
                n_add = int(meta[N_ADDS])
                m = len(self.pending_ids)
                self._v('add_ids')[n_add:n_add + m] = self.pending_ids
                self._v('add_labels')[n_add:n_add + m] = self.pending_labels
                n_gen = int(meta[N_GENS])
                self._v('gen_start')[n_gen] = t + 1
                self._v('gen_size')[n_gen] = n_add + m
                meta[N_ADDS] = n_add + m
                meta[N_GENS] = n_gen + 1
                self.pending_ids, self.pending_labels = [], []
                merged = 1
            meta[PUBLISHED] = int(t)
        return dict(
            accepted=len(acc),
            pending=len(self.pending_ids),
            anchors=len(self._base[0]) + int(meta[N_ADDS]),
            merged=merged)

    # ------------------------------------------------------------ reader
    def anchors_at(self, t: int, base_ids: np.ndarray,
                   need_bank: bool) -> Tuple[int, int, int, int, int]:
        """Where iteration ``t`` stands: ``(epoch, g, size_g, pass,
        offset)``, ``size_g = |D_tl| + additions of generation g``.

        Raises:
            NotReady: If the training process has not processed the
                iteration that decides ``t``'s generation (or, with
                ``need_bank``, the epoch's neighbours) yet.
        """
        meta = self._v('meta')
        batch = int(meta[BATCH])
        epoch = t // int(meta[EPOCH_LEN])
        epoch_start = epoch * int(meta[EPOCH_LEN])
        n_base = len(base_ids)

        def snap():
            e = int(meta[EPOCH])
            n = int(meta[N_GENS])
            return (e, int(meta[PUBLISHED]), int(meta[BANK_EPOCH]),
                    self._v('gen_start')[:n].copy(),
                    self._v('gen_size')[:n].copy())

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
        """The first ``n`` additions (ids, pseudo-labels), copied."""
        return self.read(lambda: (self._v('add_ids')[:n].copy(),
                                  self._v('add_labels')[:n].copy()))

    def neighbours(self, image: int) -> np.ndarray:
        """The epoch's neighbours of target image ``image`` (LAA)."""
        row = self._v('nbr')[int(image)].copy()
        return row[row >= 0]

    def permutation(self, epoch: int, g: int, j: int, size: int) -> np.ndarray:
        """The order of pass ``j`` over generation ``g`` (seeded)."""
        seed = derive_seed(int(self._v('meta')[SEED]), epoch, g, j)
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
        meta = self._v('meta')

        def snap():
            n_g, n_a = int(meta[N_GENS]), int(meta[N_ADDS])
            return dict(
                epoch=int(meta[EPOCH]),
                published=int(meta[PUBLISHED]),
                bank_epoch=int(meta[BANK_EPOCH]),
                gen_start=self._v('gen_start')[:n_g].copy(),
                gen_size=self._v('gen_size')[:n_g].copy(),
                add_ids=self._v('add_ids')[:n_a].copy(),
                add_labels=self._v('add_labels')[:n_a].copy(),
                nbr=(self._v('nbr').copy() if self.k else None))

        state = self.read(snap)
        state.update(
            num_images=self.num_images,
            k=self.k,
            pending_ids=list(self.pending_ids),
            pending_labels=list(self.pending_labels))
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` (training process)."""
        if state.get('num_images') != self.num_images or state.get(
                'k') != self.k:
            raise ValueError(
                'the checkpoint\'s anchor set is for '
                f'{state.get("num_images")} target images with k='
                f'{state.get("k")}, this run has {self.num_images} and '
                f'k={self.k}')
        with self._writing():
            meta = self._v('meta')
            n_g, n_a = len(state['gen_start']), len(state['add_ids'])
            self._v('gen_start')[:n_g] = state['gen_start']
            self._v('gen_size')[:n_g] = state['gen_size']
            self._v('add_ids')[:n_a] = state['add_ids']
            self._v('add_labels')[:n_a] = state['add_labels']
            if self.k and state['nbr'] is not None:
                self._v('nbr')[:] = state['nbr']
            meta[N_GENS], meta[N_ADDS] = n_g, n_a
            meta[EPOCH] = state['epoch']
            meta[PUBLISHED] = state['published']
            meta[BANK_EPOCH] = state['bank_epoch']
        self.pending_ids = [int(i) for i in state['pending_ids']]
        self.pending_labels = [int(y) for y in state['pending_labels']]


def pass_length(size: int, batch: int) -> int:
    """Iterations of one pass over ``size`` anchors, ``batch`` per step."""
    return max(1, math.ceil(int(size) / int(batch)))
