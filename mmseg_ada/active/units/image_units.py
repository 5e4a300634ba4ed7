"""Image units: whole images (classification)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from mmseg_ada.registry import UNITS
from ..pool import Selection, UnitPool
from ..requirements import POOL_FIELDS
from ..uncertainty import row_uncertainty
from .base import BaseUnits, PoolItem, Purchase

__all__ = ['ImageUnits']


def _row(x: Any) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


@UNITS.register_module()
class ImageUnits(BaseUnits):
    """Whole target images, cost 1 (0 once labelled).

    Rows: ``prob`` (softmax), ``feature`` (the embedding, when required),
    ``stats`` (entropy, confidence, margin of the softmax) and every other
    required output in ``extras`` (``'logits'``, ``'domain'``, ...).
    """

    kind = 'image'
    store_type = 'ImageLabelStore'

    def total_cost(self) -> int:
        """The number of images."""
        return len(self.items)

    def image_pixels(self) -> np.ndarray:
        """``int64 [num_images]`` ones: an image costs 1."""
        return np.ones(len(self.items), dtype=np.int64)

    def collect(self, item: PoolItem, outputs: Dict[str, Any], store: Any,
                strategy: Any, round_idx: int, budget: int) -> UnitPool:
        """One row for the image (see :meth:`BaseUnits.collect`).

        Args:
            item: the image.
            outputs: the model's per-image outputs (``'prob'``, ...).
            store: the label store, or ``None`` (the source pool).
            strategy: unused.
            round_idx: unused.
            budget: unused.

        Returns:
            UnitPool: one row, cost 0 if the image is labelled, else 1.
        """
        prob = _row(outputs['prob'])[None]
        labeled = store is not None and store.round_of(item.index) > 0
        feat = outputs.get('feature')
        return UnitPool(
            image_index=np.asarray([item.index], np.int64),
            unit_id=np.zeros(1, np.int64),
            cost=np.asarray([0 if labeled else 1], np.int64),
            prob=prob,
            feature=None if feat is None else _row(feat).reshape(1, -1),
            stats=row_uncertainty(prob),
            extras={
                k: _row(v)[None]
                for k, v in outputs.items()
                if k not in POOL_FIELDS and v is not None
            },
            kind='image')

    def commit(self, store: Any, pool: UnitPool,
               selection: Selection) -> Purchase:
        """Add the picked images to the store.

        Args:
            store: the label store (pending round).
            pool: the pool the strategy picked from.
            selection: the picks (rows of ``pool``).

        Returns:
            Purchase: what was added.
        """
        ids = pool.image_index[selection.index]
        added = store.add(ids.tolist())
        return Purchase(
            spent=int(added),
            num_units=int(ids.size),
            images=sorted(int(i) for i in ids))
