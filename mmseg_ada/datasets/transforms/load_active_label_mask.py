"""The oracle: target labels survive only where the label store bought them."""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmseg_ada.active.label_store import LabelStore

_STORES: Dict[str, LabelStore] = {}


def _store(work_dir: str) -> LabelStore:
    """A per-process read-only view of the store, refreshed on every use."""
    store = _STORES.get(work_dir)
    if store is None:
        store = _STORES[work_dir] = LabelStore(work_dir, readonly=True)
    store.refresh()  # one os.stat; reloads state after a new commit
    return store


@TRANSFORMS.register_module()
class LoadActiveLabelMask(BaseTransform):
    """Set every target label pixel that was not bought to ``ignore_index``.

    Must come right after ``LoadAnnotations`` (before any resize, crop or
    flip), so the mask is applied at the label's own resolution.
    :class:`~mmseg_ada.datasets.ActiveTargetDataset` inserts it there and
    fills ``results['active_work_dir']`` and ``results['active_stem']``.
    Only the rounds the store has *committed* count; a missing mask means
    nothing of the image is labelled.

    Required keys: ``gt_seg_map``, ``active_work_dir``, ``active_stem``.
    Modified keys: ``gt_seg_map``.

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
                    'right after LoadAnnotations, inside an '
                    'ActiveTargetDataset); image: '
                    f"{results.get('img_path', '?')}")
        gt = results['gt_seg_map']
        mask = _store(results['active_work_dir']).mask(
            results['active_stem'], gt.shape[:2])
        gt = np.where(mask, gt, np.asarray(self.ignore_index, gt.dtype))
        results['gt_seg_map'] = gt
        results['active_labeled_pixels'] = int(np.count_nonzero(mask))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ignore_index={self.ignore_index})'
