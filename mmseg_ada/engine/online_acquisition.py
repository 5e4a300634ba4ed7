"""Online acquisition: pixels bought inside training steps (ADA-MCU).

A segmentor that buys labels while it trains asks this object, once per
iteration, for the pixels it wants of the target images in its batch
(:meth:`OnlineAcquisition.buy`) and for the labels of pixels bought earlier
(:meth:`OnlineAcquisition.labels`).  What is bought is decided by the pure
logic of :mod:`mmseg_ada.active.online` (crop pixels mapped to pixels of the
original image, requests merged and cut to the budget, the ledger of
commits); this object runs it across ranks and on disk.

Guarantees:

* **budget**: the total never exceeds :attr:`total` pixels; a request
  beyond what is left is cut in request order (rank, sample, pixel);
* **agreement**: requests of all ranks are gathered, rank 0 decides and
  commits, and every rank receives the same purchase;
* **persistence**: each iteration's purchase is one commit of the
  :class:`~mmseg_ada.active.stores.MaskLabelStore` (stamp = commit number)
  plus a line of ``active/online.jsonl`` (commit -> iteration), written
  and fsync'd before the commit; a kill at any point loses at most the
  purchase being committed;
* **replay**: after ``--resume`` from a checkpoint at iteration ``c``, the
  purchases the killed run made at iterations ``>= c`` are already in the
  store: at such an iteration :meth:`buy` returns the logged purchase
  instead of buying again (never re-bought), and :meth:`labels` shows only
  the commits made before the current iteration, exactly as the original
  run saw them;
* **oracle discipline**: labels come from the oracle only at bought pixels.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import (all_gather_object, broadcast_object_list, get_rank,
                           get_world_size)
from mmengine.logging import print_log

from mmseg_ada.active.online import (IGNORE, PurchaseLedger, crop_pixel_index,
                                     log_record, merge_requests,
                                     requested_pixels, unlabelled_within)
from mmseg_ada.active.stores import MaskLabelStore
from mmseg_ada.active.units import PoolItem
from mmseg_ada.utils.io import atomic_write_bytes

__all__ = ['OnlineAcquisition']


class OnlineAcquisition:
    """Pixel purchases during training, through a mask label store.

    Args:
        store: the run's mask store (rank 0: the writer; others: readers).
        oracle: answers labels (:class:`~mmseg_ada.active.oracles.
            GroundTruthOracle` bound to the target dataset).
        items: the target images (index, stem, full-resolution shape).
        total: the pixel budget ``M_e`` (pixels of the original images).
        stem_of: callable ``img_path -> stem``.
    """

    def __init__(self, store: MaskLabelStore, oracle: Any,
                 items: Sequence[PoolItem], total: int, stem_of: Any) -> None:
        self.store = store
        self.oracle = oracle
        self.items = list(items)
        self.total = int(total)
        self.stem_of = stem_of
        self._index_of = {it.stem: it.index for it in self.items}
        self.log_path = osp.join(store.root, 'online.jsonl')
        self.iteration = 0
        self.spent = 0
        self.ledger = PurchaseLedger()

    # ------------------------------------------------------------- log
    def _read_log(self) -> List[dict]:
        if not osp.isfile(self.log_path):
            return []
        with open(self.log_path, encoding='utf-8') as f:
            text = f.read()
        lines = text.split('\n')
        if not text.endswith('\n'):
            lines = lines[:-1]  # a torn last line was never committed
        out = []
        for ln in lines:
            if ln:
                out.append(json.loads(ln))
        return out

    def _append_log(self, record: Dict[str, Any]) -> None:
        """Append one line to the log and fsync it (before the commit)."""
        with open(self.log_path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')
            f.flush()
            os.fsync(f.fileno())

    def open(self, start_iter: int) -> None:
        """Load the purchase log; training (re)starts at ``start_iter``.

        The writer drops log lines of commits the store does not hold (a
        kill between the log line and the commit).

        Args:
            start_iter: the iteration training (re)starts at; purchases
                logged at or after it are replayed, not bought again.
        """
        self.store.refresh(force=True)
        committed = self.store.last_round()
        records = [r for r in self._read_log() if r['commit'] <= committed]
        if not self.store.readonly:
            text = ''.join(json.dumps(r) + '\n' for r in records)
            atomic_write_bytes(self.log_path, text.encode('utf-8'))
        self.ledger = PurchaseLedger.from_records(records, committed,
                                                  self.log_path,
                                                  self.store.root)
        self.iteration = int(start_iter)
        self.spent = self.ledger.spent_before(self.iteration)
        later = self.ledger.count_from(self.iteration)
        if later:
            print_log(
                f'online acquisition: {later} purchase(s) made at iterations '
                f'>= {self.iteration} are in the store; they are replayed, '
                'not bought again',
                logger='current')

    # ----------------------------------------------------------- helpers
    def _item(self, sample: Any) -> PoolItem:
        path = sample.metainfo.get('img_path', '')
        stem = self.stem_of(path)
        if stem not in self._index_of:
            raise KeyError(
                f'online acquisition: training image {path!r} (stem '
                f'{stem!r}) is not in the target pool of {len(self.items)} '
                f'images (e.g. {self.items[0].stem!r})')
        return self.items[self._index_of[stem]]

    def _crop_labels(self, sample: Any, upto_commit: int) -> torch.Tensor:
        item = self._item(sample)
        pix = crop_pixel_index(sample)
        stamps = self.store.round_map(item.stem, item.shape, upto=upto_commit)
        valid = pix >= 0
        out = torch.full(pix.shape, IGNORE, dtype=torch.long)
        flat = pix[valid].cpu().numpy()
        bought = stamps.reshape(-1)[flat] > 0
        if bought.any():
            labels = np.full(flat.shape, IGNORE, dtype=np.int64)
            labels[bought] = self.oracle.pixel_labels(item.index, flat[bought],
                                                      stamps)
            out[valid] = torch.from_numpy(labels)
        return out.to(pix.device)

    # --------------------------------------------------------------- API
    @property
    def remaining(self) -> int:
        """Pixels that may still be bought."""
        return max(self.total - self.spent, 0)

    def labels(self, data_samples: Sequence[Any]) -> List[torch.Tensor]:
        """Crop labels of the pixels bought before this iteration.

        Args:
            data_samples: target samples with ``gt_pixel_index``.

        Returns:
            list: ``long [H, W]`` per sample; 255 where not bought.
        """
        k = self.ledger.visible_commit(self.iteration)
        return [self._crop_labels(s, k) for s in data_samples]

    def buy(self, data_samples: Sequence[Any],
            masks: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Buy the requested crop pixels; every rank must call it.

        Args:
            data_samples: this rank's target samples.
            masks: ``bool [H, W]`` per sample: the crop pixels wanted.

        Returns:
            list: the samples' crop labels after the purchase (like
            :meth:`labels`, with this iteration's purchase).
        """
        if len(masks) != len(data_samples):
            raise ValueError(f'{len(masks)} masks for {len(data_samples)} '
                             'samples')
        requests: List[Tuple[int, np.ndarray]] = []
        for sample, m in zip(data_samples, masks):
            flat = requested_pixels(crop_pixel_index(sample), m)
            requests.append((self._item(sample).index, flat))
        if get_world_size() > 1:
            gathered = all_gather_object(requests)
        else:
            gathered = [requests]
        result: List[Optional[Dict[int, np.ndarray]]] = [None]
        if get_rank() == 0:
            result[0] = self._decide(gathered)
        if get_world_size() > 1:
            broadcast_object_list(result, src=0)
        bought = result[0]
        n = int(sum(v.size for v in bought.values()))
        if n:
            self.store.refresh(force=True)
            k = self.store.last_round()
            if len(self.ledger) < k:
                self.ledger.add(self.iteration, n, bought)
        self.spent += n
        k = self.ledger.visible_commit(self.iteration + 1)
        return [self._crop_labels(s, k) for s in data_samples]

    def _decide(
            self,
            gathered: List[List[Tuple[int,
                                      np.ndarray]]]) -> Dict[int, np.ndarray]:
        """Rank 0: replay a logged purchase, or buy and commit a new one."""
        commit = self.ledger.commit_at(self.iteration)
        store = self.store
        if commit is not None:  # bought by the run this one resumes
            out = {}
            for index in self.ledger.images[commit - 1]:
                it = self.items[index]
                stamps = store.round_map(it.stem, it.shape, upto=commit)
                flat = np.flatnonzero(stamps.reshape(-1) == commit)
                if flat.size:
                    out[it.index] = flat
            return out
        left = self.remaining
        out: Dict[int, np.ndarray] = {}
        for index, parts in merge_requests(gathered).items():  # in order
            if left <= 0:
                break
            item = self.items[index]
            lab = store.round_map(item.stem, item.shape).reshape(-1)
            flat = unlabelled_within(parts, lab, left)
            if flat.size == 0:
                continue
            fresh = store.add_pixels(item.stem, item.shape, flat)
            out[index] = fresh
            left -= int(fresh.size)
        n = int(sum(v.size for v in out.values()))
        if n:
            k = store.last_round() + 1
            self._append_log(log_record(k, self.iteration, n, out))
            store.commit(k, None)
        return out
