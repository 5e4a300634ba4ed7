"""The oracle transform: target labels survive only where they were bought."""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmseg_ada.active.stores import MaskLabelStore

_STORES: Dict[str, MaskLabelStore] = {}


def _store(work_dir: str) -> MaskLabelStore:
    """A per-process read-only view of the store, refreshed on every use."""
    store = _STORES.get(work_dir)
    if store is None:
        store = _STORES[work_dir] = MaskLabelStore(work_dir, readonly=True)
    store.refresh()  # one os.stat; reloads the state after a new commit
    return store


@TRANSFORMS.register_module()
class LoadActiveLabelMask(BaseTransform):
    """Set every target label pixel that was not bought to ``ignore_index``.

    Must come right after ``LoadAnnotations`` (before any resize, crop or
    flip), so the mask is applied at the label's own resolution.
    :class:`~mmseg_ada.datasets.LabeledSubsetDataset` inserts it there and
    fills ``results['active_work_dir']``, ``results['active_stem']`` and
    ``results['active_round']`` (the rounds training has reached: later
    rounds of the store stay hidden).  A missing mask means nothing of the
    image is labelled.

    Required keys: ``gt_seg_map``, ``active_work_dir``, ``active_stem``.
    Modified keys: ``gt_seg_map``.  Added keys: ``active_labeled_pixels``.

    Args:
        ignore_index (int): the value of unlabelled pixels.
    """

    def __init__(self, ignore_index: int = 255) -> None:
        self.ignore_index = int(ignore_index)

    def transform(self, results: dict) -> Optional[dict]:
        for key in ('gt_seg_map', 'active_work_dir', 'active_stem'):
            if key not in results:
                raise KeyError(
                    f'LoadActiveLabelMask needs results[{key!r}] (put it '
                    'right after LoadAnnotations, inside a '
                    'LabeledSubsetDataset); image: '
                    f"{results.get('img_path', '?')}")
        gt = results['gt_seg_map']
        mask = _store(results['active_work_dir']).mask(
            results['active_stem'],
            gt.shape[:2],
            upto=results.get('active_round'))
        gt = np.where(mask, gt, np.asarray(self.ignore_index, gt.dtype))
        results['gt_seg_map'] = gt
        results['active_labeled_pixels'] = int(np.count_nonzero(mask))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ignore_index={self.ignore_index})'
