"""LADA's progressive anchor-set augmentation, training-process side."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import all_gather_object, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from mmseg_ada.datasets.paa_dataset import PAADataset
from mmseg_ada.engine.ddp_wrapper import broadcast_buffers
from mmseg_ada.engine.utils import find_datasets, gather_by_index
from mmseg_ada.utils.seeding import derive_seed

__all__ = ['PAAHook', 'check_ranks_agree']

CKPT_KEY = 'paa_anchor_set'


def check_ranks_agree(digests: Sequence[str], iteration: int) -> None:
    """Raise unless every rank's anchor-set digest is the same.

    Args:
        digests: :meth:`AnchorSet.digest` of every rank, in rank order.
        iteration: the training iteration (for the message).
    """
    if len(set(digests)) > 1:
        ranks = [r for r, d in enumerate(digests) if d != digests[0]]
        raise RuntimeError(
            f'PAAHook: at iteration {iteration} the anchor set of rank(s) '
            f'{ranks} differs from rank 0\'s (digests {list(digests)}); '
            'every rank must grow the same set from the same proposals')


@HOOKS.register_module()
class PAAHook(Hook):
    """Grows LADA's anchor set after every training step (Alg. 1-2).

    With :class:`~mmseg_ada.datasets.PAADataset` as the train dataset:

    * after each iteration, the proposals of the step's ``unlabeled``
      stream (one per anchor) are forwarded by the updated model under
      ``no_grad`` (in training mode, as LADA's code: batch-norm statistics
      update), and each joins ``S`` if its confidence is at least
      ``threshold`` (0.9), a uniform draw passes the class-balancing
      rejection (Eq. 4) and it is not in ``A`` or ``S`` yet (Alg. 2); when
      the iteration ends a pass over ``A``, ``A <- A u S`` (Alg. 1 lines
      11-13); where the DDP wrapper keeps one model on all ranks
      (:class:`~mmseg_ada.engine.ADADistributedDataParallel`), rank 0's
      BN statistics are shared again after that pass;
    * at every epoch start ``A <- D_tl`` (Alg. 1 line 6) and, for LAA once
      target labels exist, the ``K`` nearest neighbours of every target
      image are recomputed from eval-mode embeddings of
      ``bank_dataloader`` (cosine similarity, exact, in tiles);
    * the anchor set goes into every checkpoint and is restored on
      resume, so a resumed run continues exactly.

    The random draws are seeded from the run's seed and the iteration;
    with several ranks the proposals of all ranks are judged in rank
    order on every rank, and every step checks (with the same gather)
    that all ranks hold one anchor set (a digest of its state).  Rounds
    must start at epoch boundaries (LADA queries at epoch starts), since
    ``A`` restarts from ``D_tl`` there.

    Readings (defaults first): rejection probabilities from the counts of
    ``A`` (the paper's "current A"; ``count_pending=True``: ``A`` and
    ``S``, as the code), Eq. 4 as written (``add_one=True``: the code's
    add-one smoothing).

    Args:
        threshold (float): Confidence ``tau``. Defaults to 0.9.
        add_one (bool): See above.
        count_pending (bool): See above.
        bank_dataloader (dict, optional): Loader over the target training
            images with the test pipeline (LAA's neighbour bank; required
            for ``mode='laa'``).
        proposal_mode (str): ``'train'`` (default, the code) or
            ``'eval'``: the model's mode for the proposals' forward pass.
    """

    priority = 'NORMAL'  # before CheckpointHook saves the state

    def __init__(self,
                 threshold: float = 0.9,
                 add_one: bool = False,
                 count_pending: bool = False,
                 bank_dataloader: Optional[dict] = None,
                 proposal_mode: str = 'train') -> None:
        if not 0 <= float(threshold) <= 1:
            raise ValueError(f'PAAHook: threshold must be in [0, 1], got '
                             f'{threshold}')
        if proposal_mode not in ('train', 'eval'):
            raise ValueError("PAAHook: proposal_mode must be 'train' or "
                             f"'eval', got {proposal_mode!r}")
        self.threshold = float(threshold)
        self.add_one = bool(add_one)
        self.count_pending = bool(count_pending)
        self.bank_cfg = copy.deepcopy(bank_dataloader)
        self.proposal_mode = proposal_mode
        self._loaded: Optional[dict] = None
        self._bank_loader = None
        self._index_of: Optional[Dict[str, int]] = None
        self.dataset: Optional[PAADataset] = None

    # ------------------------------------------------------------- setup
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        """Configure the shared anchor set (before any worker starts).

        Args:
            runner (Runner): the runner (``ActiveLoop`` train loop, a
                :class:`PAADataset` train dataset).
        """
        loop = runner.train_loop
        for name in ('milestones', 'epoch_length', 'schedule'):
            if not hasattr(loop, name):
                raise TypeError('PAAHook needs the ActiveLoop (train_cfg='
                                f"dict(type='ActiveLoop', ...)), got "
                                f'{type(loop).__name__}')
        found = find_datasets(loop.dataloader.dataset, PAADataset)
        if not found:
            raise TypeError('PAAHook needs a PAADataset train dataset')
        self.dataset = ds = found[0]
        length = int(loop.epoch_length)
        off = [m for m in loop.milestones if m % length]
        if off:
            raise ValueError(
                f'PAAHook: rounds start at iterations {off}, which are not '
                f'epoch starts (epoch = {length} iterations); the anchor set '
                'restarts from the labelled target at epoch starts, so give '
                'the rounds as round_epochs')
        if ds.mode == 'laa' and self.bank_cfg is None:
            raise ValueError('PAAHook: LAA needs bank_dataloader (the target '
                             'training images, test pipeline)')
        self.seed = int(getattr(runner, 'seed', None) or 0)
        ds.anchor_set.arm(loop.dataloader.batch_size * get_world_size(),
                          length, self.seed, loop.schedule)
        it = int(runner.iter)
        if self._loaded is not None:
            ds.anchor_set.load_state_dict(self._loaded)
            self._loaded = None
        elif it % length == 0:
            self._begin_epoch(runner, it // length)
        else:
            raise RuntimeError(
                f'PAAHook: training starts at iteration {it}, inside an '
                'epoch, but the checkpoint holds no anchor set (was it '
                'written by a run without PAAHook?)')

    def _begin_epoch(self, runner, epoch: int) -> None:
        ds, loop = self.dataset, runner.train_loop
        start = epoch * int(loop.epoch_length)
        nbr = None
        if ds.mode == 'laa' and loop.schedule.rounds_started(start) >= 1:
            nbr = self._neighbours(runner)
        ds.anchor_set.begin_epoch(epoch, start, nbr)

    # ------------------------------------------------------- neighbours
    def _neighbours(self, runner) -> np.ndarray:
        """``[N, K]`` neighbours of every target image (-1 padded)."""
        from mmseg_ada.active.functional import cosine_knn
        ds = self.dataset
        if self._bank_loader is None:
            self._bank_loader = runner.build_dataloader(
                copy.deepcopy(self.bank_cfg), seed=0)
            self._index_of = {
                ds.raw.get_data_info(i)['img_path']: i
                for i in range(ds.num_images)
            }
        model = self._model(runner)
        was_training = model.training
        model.eval()
        parts: Dict[int, np.ndarray] = {}
        try:
            with torch.no_grad():
                for batch in self._bank_loader:
                    data = model.data_preprocessor(batch, False)
                    emb = model.extract_feat(
                        data['inputs'], stage='pre_logits')
                    emb = emb.float().cpu().numpy()
                    for sample, row in zip(data['data_samples'], emb):
                        path = sample.metainfo.get('img_path')
                        if path not in self._index_of:
                            raise KeyError(
                                f'PAAHook: bank_dataloader yielded {path!r}, '
                                'which is not an image of the target '
                                'training set')
                        parts[self._index_of[path]] = row
        finally:
            model.train(was_training)
        parts = gather_by_index(parts)
        if len(parts) != ds.num_images:
            raise RuntimeError(f'PAAHook: bank_dataloader covered '
                               f'{len(parts)} of {ds.num_images} target '
                               'images; it must cover them all')
        emb = np.stack([parts[i] for i in range(ds.num_images)])
        nbr = np.full((ds.num_images, ds.k), -1, dtype=np.int64)
        k = min(ds.k, ds.num_images - 1)
        if k >= 1:
            nbr[:, :k] = cosine_knn(emb, k)[1]
        return nbr

    # ------------------------------------------------------------- steps
    def _proposals(
            self, runner,
            data_batch: Any) -> Tuple[List[int], List[int], List[float]]:
        unl = data_batch.get('unlabeled') if isinstance(data_batch,
                                                        dict) else None
        if not unl or not len(unl.get('inputs', [])):
            return [], [], []
        model = self._model(runner)
        was_training = model.training
        model.train(self.proposal_mode == 'train')
        try:
            with torch.no_grad():
                data = model.data_preprocessor(unl, True)
                prob = F.softmax(
                    model(data['inputs'], mode='tensor').float(), dim=1)
        finally:
            model.train(was_training)
        if self.proposal_mode == 'train' and getattr(
                runner.model, '_sync_buffers_after_step', False):
            # the pass updated each rank's BN statistics with its own
            # proposals: keep one model on all ranks, as after a step
            broadcast_buffers(model)
        conf, label = prob.max(dim=1)
        ids = [int(s.metainfo['image_index']) for s in data['data_samples']]
        return ids, label.tolist(), conf.tolist()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Judge the step's proposals, grow ``A``, start epochs (mmengine
        :meth:`Hook.after_train_iter`).

        Args:
            runner (Runner): the runner.
            batch_idx: unused (``runner.iter`` is the step).
            data_batch: the batch just trained on (its proposals).
            outputs: unused.
        """
        ds, loop = self.dataset, runner.train_loop
        t = int(runner.iter)
        ids, labels, conf = self._proposals(runner, data_batch)
        aset = ds.anchor_set
        if get_world_size() > 1:
            gathered = all_gather_object((ids, labels, conf, aset.digest()))
            check_ranks_agree([g[3] for g in gathered], t)
            ids = [i for g in gathered for i in g[0]]
            labels = [y for g in gathered for y in g[1]]
            conf = [c for g in gathered for c in g[2]]
        aset.set_base(*ds.bought(loop.schedule.rounds_started(t)))
        xi = np.random.default_rng(derive_seed(self.seed, t,
                                               0xC0B)).random(len(ids))
        stats = aset.process_step(t, ids, labels, conf, xi, self.threshold,
                                  self.add_one, self.count_pending)
        hub = runner.message_hub
        hub.update_scalar('train/paa_anchors', stats['anchors'])
        hub.update_scalar('train/paa_accepted', stats['accepted'])
        if ids:
            hub.update_scalar(
                'train/paa_confident',
                float(np.mean(np.asarray(conf) >= self.threshold)))
        if (t + 1) % int(loop.epoch_length) == 0:
            self._begin_epoch(runner, (t + 1) // int(loop.epoch_length))

    # ------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the anchor set (exact resume).

        Args:
            runner (Runner): the runner.
            checkpoint: the checkpoint dict, updated in place.
        """
        if self.dataset is not None:
            checkpoint[CKPT_KEY] = self.dataset.anchor_set.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the anchor set for :meth:`before_train`.

        Args:
            runner (Runner): the runner.
            checkpoint: the loaded checkpoint dict.
        """
        self._loaded = checkpoint.get(CKPT_KEY)

    @staticmethod
    def state_keys() -> Sequence[str]:
        """Checkpoint keys written by this hook."""
        return (CKPT_KEY, )
