"""Kinds of unit: how model outputs become pool rows, and picks purchases."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from ..pool import Selection, UnitPool

__all__ = ['BaseUnits', 'PoolItem', 'Purchase']


@dataclass
class PoolItem:
    """One image of the target (or source) pool.

    Args:
        index: dataset index.
        stem: file name without the dataset's suffix (the store's key).
        shape: ``(H, W)`` at full resolution (``(1, 1)`` for image units).
        img_path: the image file.
    """

    index: int
    stem: str
    shape: Tuple[int, int]
    img_path: str = ''


@dataclass
class Purchase:
    """What a commit added to the store.

    Args:
        spent: units' cost spent (pixels or images).
        num_units: how many units were bought (their kind is the
            :class:`BaseUnits`'s).
        images: dataset indices of the images touched.
        masks: per touched image, the ``bool [H, W]`` pixels bought
            (segmentation; empty for image units).
        region_maps: per touched image, the region map (region units).
    """

    spent: int = 0
    num_units: int = 0
    images: List[int] = field(default_factory=list)
    masks: Dict[int, np.ndarray] = field(default_factory=dict)
    region_maps: Dict[int, np.ndarray] = field(default_factory=dict)


class BaseUnits:
    """A kind of unit (region, pixel, image).

    The selection pass calls :meth:`collect` on every rank for each image of
    its shard; rank 0 calls :meth:`commit` with the strategy's picks.

    Attributes:
        kind: ``'region'``, ``'pixel'`` or ``'image'``.
        store_type: the label store backend these units need.
    """

    kind: str = ''
    store_type: str = 'MaskLabelStore'

    def __init__(self) -> None:
        self.items: List[PoolItem] = []
        self._image_pixels = np.zeros(0, np.int64)
        self._total_pixels = 0

    def setup(self, items: Sequence[PoolItem]) -> None:
        """Take the pool's images; caches their pixel counts.

        Args:
            items: the pool's images, in dataset order.
        """
        self.items = list(items)
        self._image_pixels = np.asarray(
            [it.shape[0] * it.shape[1] for it in self.items], dtype=np.int64)
        self._image_pixels.setflags(write=False)
        self._total_pixels = int(self._image_pixels.sum())

    def total_cost(self) -> int:
        """The cost of buying everything (pixels, or images)."""
        return self._total_pixels

    def min_cost(self, at_most: int = 0) -> int:
        """The cost of the cheapest unit of the pool (nothing labelled).

        Args:
            at_most: a unit costing at most this may be returned as soon as
                one is found (so accepting a budget need not read every
                image); otherwise the exact minimum is returned.

        Returns:
            int: 1 here (a pixel, an image); regions override it.
        """
        return 1

    def image_pixels(self) -> np.ndarray:
        """``int64 [num_images]`` pixels per image (1 for image units);
        computed once by :meth:`setup` (read-only)."""
        return self._image_pixels

    def fingerprint(self) -> Dict[str, Any]:
        """What must not change between a run and its resume."""
        return dict(kind=self.kind)

    def check(self) -> None:
        """Raise a clear error if a resource the units need is missing."""

    def collect(self, item: PoolItem, outputs: Dict[str, Any], store: Any,
                strategy: Any, round_idx: int, budget: int) -> UnitPool:
        """Pool rows of one image from the model's outputs on it.

        Args:
            item: the image.
            outputs: the model's per-image outputs (``'prob'``, ...).
            store: the label store (read: what is labelled), or ``None``
                for a pool without labels (the source pool).
            strategy: the strategy (pixel units use its ``pixel_score``).
            round_idx: the round.
            budget: the round's budget (pixel units size their candidates).

        Returns:
            UnitPool: the image's rows (labelled units cost 0 or are left
            out, by kind).
        """
        raise NotImplementedError

    def commit(self, store: Any, pool: UnitPool,
               selection: Selection) -> Purchase:
        """Write the picks into ``store`` (rank 0, pending round).

        Args:
            store: the label store.
            pool: the pool the strategy picked from.
            selection: the picks (rows of ``pool``).

        Returns:
            Purchase: what was added (units already labelled cost nothing).
        """
        raise NotImplementedError
