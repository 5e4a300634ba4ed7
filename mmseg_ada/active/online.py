"""Online acquisition: the decisions of pixel purchases inside training
steps (ADA-MCU), on arrays.

The engine's :class:`~mmseg_ada.engine.online_acquisition.
OnlineAcquisition` asks these functions what to buy and what a crop sees;
it gathers the ranks' requests, broadcasts rank 0's decision, and reads and
writes the purchase log and the label store.  Here:

* crop pixels are mapped to pixels of the original image through each
  sample's ``gt_pixel_index`` (:func:`crop_pixel_index`,
  :func:`requested_pixels`; made by :class:`~mmseg_ada.datasets.
  transforms.AddPixelIndex` and moved by the geometric transforms like a
  label map), so a purchase is a set of original pixels, whatever the
  augmentation;
* the requests of all ranks are merged in request order (rank, sample,
  pixel) (:func:`merge_requests`) and cut to what is unlabelled and to the
  budget left (:func:`unlabelled_within`);
* :class:`PurchaseLedger` keeps which commit of the store was made at which
  iteration (the records of ``active/online.jsonl``,
  :func:`log_record`): what a crop may see before an iteration
  (:meth:`~PurchaseLedger.visible_commit`), which purchase to replay after
  a resume (:meth:`~PurchaseLedger.commit_at`) and what was spent.
"""
from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

__all__ = [
    'IGNORE', 'PurchaseLedger', 'crop_pixel_index', 'requested_pixels',
    'merge_requests', 'unlabelled_within', 'log_record'
]

#: the label of a pixel not bought
IGNORE = 255


def crop_pixel_index(sample: Any) -> torch.Tensor:
    """``long [H, W]``: the original-image pixel of each crop pixel.

    Args:
        sample: a target data sample with ``gt_pixel_index`` (``-1`` where
            the crop pixel is padding).

    Returns:
        torch.Tensor: flat indices into the original image.
    """
    pix = getattr(sample, 'gt_pixel_index', None)
    if pix is None:
        raise KeyError('online acquisition needs each target sample to carry '
                       'gt_pixel_index (add AddPixelIndex to the target '
                       'pipeline and pack it)')
    data = pix.data if hasattr(pix, 'data') else pix
    return data.reshape(data.shape[-2:]).long()


def requested_pixels(pix: torch.Tensor, mask: torch.Tensor) -> np.ndarray:
    """The original pixels a crop mask asks for, sorted and unique.

    Args:
        pix: ``long [H, W]`` from :func:`crop_pixel_index`.
        mask: ``bool [H, W]``: the crop pixels wanted.

    Returns:
        np.ndarray: ``int64`` flat pixel indices (padding left out).
    """
    sel = pix[mask.to(pix.device).bool() & (pix >= 0)]
    return np.unique(sel.cpu().numpy().astype(np.int64))


def merge_requests(
    gathered: Sequence[Sequence[Tuple[int, np.ndarray]]]
) -> Dict[int, List[np.ndarray]]:
    """The requests of all ranks per image, in request order.

    Args:
        gathered: per rank, ``(image index, flat pixels)`` per sample.

    Returns:
        dict: image index -> its requested pixel arrays (first request
        first; the dict keeps the order images were first asked for).
    """
    merged: Dict[int, List[np.ndarray]] = {}
    for rank_requests in gathered:
        for index, flat in rank_requests:
            merged.setdefault(int(index), []).append(flat)
    return merged


def unlabelled_within(parts: Sequence[np.ndarray], labelled: np.ndarray,
                      left: int) -> np.ndarray:
    """The requested pixels of one image that can be bought.

    Args:
        parts: the image's requested pixel arrays (:func:`merge_requests`).
        labelled: the image's flat round map (``> 0``: bought before).
        left: pixels the budget still buys.

    Returns:
        np.ndarray: the unlabelled requested pixels, sorted, at most
        ``left`` of them (the lowest indices).
    """
    flat = np.unique(np.concatenate(parts))
    flat = flat[labelled[flat] == 0]
    return flat[:left]


def log_record(commit: int, iteration: int, spent: int,
               images: Sequence[int]) -> Dict[str, Any]:
    """One line of ``online.jsonl``: a commit and the iteration it bought
    at.

    Args:
        commit: the store's commit number (1-based).
        iteration: the training iteration the purchase was made at.
        spent: pixels bought by this commit.
        images: indices of the images that received labels.

    Returns:
        dict: ``commit``, ``iteration``, ``spent`` and the sorted ``images``.
    """
    return dict(
        commit=commit, iteration=iteration, spent=spent, images=sorted(images))


class PurchaseLedger:
    """Which commit was bought at which iteration (commit ``k`` is entry
    ``k - 1``), from the records of the purchase log."""

    def __init__(self) -> None:
        self.iterations: List[int] = []
        self.spent: List[int] = []
        self.images: List[List[int]] = []

    @classmethod
    def from_records(cls, records: Sequence[Dict[str, Any]], committed: int,
                     log_path: str, store_root: str) -> 'PurchaseLedger':
        """The ledger of ``records`` (commits ``1..committed`` in order).

        Args:
            records: the log's records of the commits the store holds.
            committed: the store's last commit.
            log_path: the log (named in the error).
            store_root: the store (named in the error).

        Raises:
            RuntimeError: if the records are not commits ``1..committed``.
        """
        if [r['commit'] for r in records] != list(range(1, committed + 1)):
            raise RuntimeError(
                f'{log_path} does not list commits 1..{committed} of the '
                f'label store {store_root}: the online purchase log and '
                'the store disagree')
        ledger = cls()
        ledger.iterations = [int(r['iteration']) for r in records]
        ledger.spent = [int(r['spent']) for r in records]
        ledger.images = [list(r['images']) for r in records]
        return ledger

    def __len__(self) -> int:
        return len(self.iterations)

    def spent_before(self, iteration: int) -> int:
        """Pixels bought at iterations ``< iteration``.

        Args:
            iteration: training iteration (exclusive bound).

        Returns:
            int: the summed ``spent`` of those commits.
        """
        return sum(s for s, t in zip(self.spent, self.iterations)
                   if t < iteration)

    def count_from(self, iteration: int) -> int:
        """Purchases made at iterations ``>= iteration`` (replayed).

        Args:
            iteration: training iteration (inclusive bound).

        Returns:
            int: the number of such commits.
        """
        return sum(1 for t in self.iterations if t >= iteration)

    def visible_commit(self, before_iter: int) -> int:
        """The last commit made at an iteration ``< before_iter``.

        Args:
            before_iter: training iteration (exclusive bound).

        Returns:
            int: that commit's number (``0``: none yet).
        """
        return bisect.bisect_left(self.iterations, before_iter)

    def commit_at(self, iteration: int) -> Optional[int]:
        """The commit made at ``iteration``.

        Args:
            iteration: training iteration.

        Returns:
            int, optional: the commit's number, ``None`` if no purchase was
            made at ``iteration``.
        """
        i = bisect.bisect_left(self.iterations, iteration)
        if i < len(self.iterations) and self.iterations[i] == iteration:
            return i + 1
        return None

    def add(self, iteration: int, spent: int, images: Sequence[int]) -> None:
        """Record the next commit.

        Args:
            iteration: training iteration of the purchase (iterations are
                expected to increase from commit to commit).
            spent: pixels bought.
            images: indices of the images that received labels (stored
                sorted).
        """
        self.iterations.append(int(iteration))
        self.spent.append(int(spent))
        self.images.append(sorted(images))
