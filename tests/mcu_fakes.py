"""An in-memory stand-in for the engine's online acquisition (ADA-MCU).

Implements the interface :class:`~mmseg_ada.models.segmentors.
MCUEncoderDecoder` programs against: ``total``, ``spent``,
``labels(samples)`` and ``buy(samples, masks)``.  Ground truth is held per
original image (keyed by the sample's ``img_path``); only bought pixels are
ever returned.
"""
from typing import Dict, List

import numpy as np
import torch


class FakeAcquisition:
    """Online pixel store over original-image ground truth.

    Args:
        gt (dict): ``img_path -> int64 [H_orig, W_orig]`` ground truth.
        total (int): Budget ``M_e`` in original-image pixels.
        ignore_index (int): Value of unlabelled pixels.
    """

    def __init__(self,
                 gt: Dict[str, np.ndarray],
                 total: int,
                 ignore_index: int = 255) -> None:
        self.gt = {
            k: torch.as_tensor(np.asarray(v)).long().reshape(-1)
            for k, v in gt.items()
        }
        self.total = int(total)
        self.ignore_index = ignore_index
        self.bought = {
            k: torch.zeros_like(v, dtype=torch.bool)
            for k, v in self.gt.items()
        }
        self.spent = 0
        self.buy_calls: List[List[int]] = []  # requested pixels per call
        self.label_calls = 0

    def _index(self, sample) -> torch.Tensor:
        return sample.gt_pixel_index.data.reshape(sample.gt_pixel_index.shape)

    def labels(self, samples) -> List[torch.Tensor]:
        self.label_calls += 1
        out = []
        for s in samples:
            key = s.metainfo['img_path']
            idx = self._index(s)
            lab = torch.full(idx.shape, self.ignore_index, dtype=torch.long)
            ok = idx >= 0
            flat = idx[ok]
            got = self.bought[key][flat]
            vals = torch.where(got, self.gt[key][flat],
                               torch.full_like(flat, self.ignore_index))
            lab[ok] = vals
            out.append(lab)
        return out

    def buy(self, samples, masks) -> List[torch.Tensor]:
        assert len(samples) == len(masks)
        self.buy_calls.append([int(m.sum()) for m in masks])
        for s, m in zip(samples, masks):
            key = s.metainfo['img_path']
            idx = self._index(s)
            assert m.shape == idx.shape and m.dtype == torch.bool
            want = idx[m & (idx >= 0)].unique()
            new = want[~self.bought[key][want]]
            room = self.total - self.spent
            new = new[:max(room, 0)]
            self.bought[key][new] = True
            self.spent += int(new.numel())
        assert self.spent <= self.total
        return self.labels(samples)
