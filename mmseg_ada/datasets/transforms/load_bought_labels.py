"""The oracle transform: a target image's labels, as the oracle gives them."""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmseg_ada.active.stores import MaskLabelStore

__all__ = ['LoadBoughtLabels']

_STORES: Dict[str, MaskLabelStore] = {}


def _store(work_dir: str) -> MaskLabelStore:
    """A per-process read-only view of the store, refreshed on every use."""
    store = _STORES.get(work_dir)
    if store is None:
        store = _STORES[work_dir] = MaskLabelStore(work_dir, readonly=True)
    store.refresh()  # one os.stat; reloads the state after a new commit
    return store


@TRANSFORMS.register_module()
class LoadBoughtLabels(BaseTransform):
    """Load the labels of a target image's bought pixels from the oracle.

    Takes the place of ``LoadAnnotations`` in the pipeline of a
    :class:`~mmseg_ada.datasets.LabeledSubsetDataset` (mask mode), which puts
    it there and fills ``results['active_oracle']``, ``'active_work_dir'``,
    ``'active_stem'``, ``'image_index'`` and ``'active_round'`` (the rounds
    training has reached: later rounds of the store stay hidden).  The label
    map is the oracle's answer for the pixels the store says were bought
    (``gt_seg_map``, 255 everywhere else), at the image's own resolution,
    before any resize, crop or flip: target labels reach a loss only where
    they were bought, and only as the oracle (ground truth, or a person)
    gave them.

    Required keys: ``ori_shape`` (from ``LoadImageFromFile``),
    ``active_oracle``, ``active_work_dir``, ``active_stem``, ``image_index``,
    ``seg_fields``.  Added keys: ``gt_seg_map``, ``active_labeled_pixels``.
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load the bought labels (see the class docstring).

        Args:
            results: the pipeline's results, with the required keys.

        Returns:
            dict: ``results`` with ``gt_seg_map`` and
            ``active_labeled_pixels`` (``active_oracle`` removed).

        Raises:
            KeyError: naming a missing required key.
        """
        for key in ('ori_shape', 'active_oracle', 'active_work_dir',
                    'active_stem', 'image_index'):
            if key not in results:
                raise KeyError(
                    f'LoadBoughtLabels needs results[{key!r}] (it replaces '
                    'LoadAnnotations, after LoadImageFromFile, inside a '
                    'LabeledSubsetDataset); image: '
                    f"{results.get('img_path', '?')}")
        stamps = _store(results['active_work_dir']).round_map(
            results['active_stem'],
            results['ori_shape'][:2],
            upto=results.get('active_round'))
        # the oracle leaves the results here (no copy travels further)
        oracle = results.pop('active_oracle')
        gt = oracle.bought_labels(results['image_index'], stamps)
        results['gt_seg_map'] = np.ascontiguousarray(gt, dtype=np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        results['active_labeled_pixels'] = int(np.count_nonzero(stamps))
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
