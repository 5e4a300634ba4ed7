"""Region units: superpixels (or grid cells) of target images."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Tuple

import numpy as np

from mmseg_ada.registry import UNITS
from ..pool import Selection, UnitPool
from ..pooling import build_region_pool
from ..region_cache import RegionCache
from ..requirements import POOL_FIELDS
from .base import BaseUnits, PoolItem, Purchase

__all__ = ['RegionUnits']


@UNITS.register_module()
class RegionUnits(BaseUnits):
    """Regions of a precomputed region cache (SLIC or grid).

    A region's cost is its unlabelled pixels at full resolution; its
    descriptors are means over all its pixels (see
    :func:`~mmseg_ada.active.pooling.build_region_pool`).  Fully labelled
    regions stay in the pool with cost 0.

    Args:
        cache: directory made by ``tools/precompute_regions.py``.
    """

    kind = 'region'
    store_type = 'MaskLabelStore'
    #: threads that decode region maps and write stamp maps in
    #: :meth:`commit` (each image's write is atomic; the store commits the
    #: round after all of them)
    commit_threads: int = 4

    def __init__(self, cache: str) -> None:
        super().__init__()
        self.cache_dir = cache
        self._cache: Optional[RegionCache] = None
        self._sizes: Dict[str, np.ndarray] = {}  # pixels per region

    @property
    def cache(self) -> RegionCache:
        """The opened region cache."""
        if self._cache is None:
            self._cache = RegionCache.open(self.cache_dir)
        return self._cache

    def fingerprint(self) -> Dict[str, Any]:
        """The kind and the region cache's method and parameters."""
        return dict(
            kind=self.kind, method=self.cache.method, params=self.cache.params)

    def check(self) -> None:
        """Raise ``FileNotFoundError`` if the cache lacks an image's map."""
        missing = [it.stem for it in self.items if not self.cache.has(it.stem)]
        if missing:
            raise FileNotFoundError(
                f'region cache {self.cache_dir} has no map for '
                f'{len(missing)} of {len(self.items)} images (e.g. '
                f'{missing[0]!r}); build it with: ' +
                self.cache.tool_command())

    def region_sizes(self, item: PoolItem) -> np.ndarray:
        """Pixels of every region id of ``item`` (cached).

        Args:
            item: the image.

        Returns:
            np.ndarray: ``int64 [R]`` counts.
        """
        sizes = self._sizes.get(item.stem)
        if sizes is None:
            sizes = self._sizes[item.stem] = np.bincount(
                self.region_map(item).reshape(-1))
        return sizes

    def min_cost(self, at_most: int = 0) -> int:
        """The pixels of the smallest region of the pool (see
        :meth:`BaseUnits.min_cost`).

        Args:
            at_most: stop reading region maps once a region of at most this
                many pixels is found; otherwise every map is read.

        Returns:
            int: the smallest region size found (1 if no region).
        """
        best = None
        for item in self.items:
            sizes = self.region_sizes(item)
            sizes = sizes[sizes > 0]
            if not sizes.size:
                continue
            low = int(sizes.min())
            best = low if best is None else min(best, low)
            if best <= at_most:
                break
        return 1 if best is None else best

    def region_map(self, item: PoolItem) -> np.ndarray:
        """The full-resolution region map of ``item``.

        Args:
            item: the image.

        Returns:
            np.ndarray: ``[H, W]`` region ids, from the cache.
        """
        return self.cache.load(item.stem, item.shape)

    def collect(self, item: PoolItem, outputs: Dict[str, Any], store: Any,
                strategy: Any, round_idx: int, budget: int) -> UnitPool:
        """One row per region of the image (see :meth:`BaseUnits.collect`).

        Args:
            item: the image.
            outputs: the model's per-image outputs (``'prob'``, ...).
            store: the label store, or ``None`` (the source pool).
            strategy: unused.
            round_idx: unused.
            budget: unused.

        Returns:
            UnitPool: the regions, costing their unlabelled pixels.
        """
        lab = None
        if store is not None and store.is_labeled(item.stem):
            lab = store.mask(item.stem, item.shape)
        extras = {
            k: v
            for k, v in outputs.items()
            if k not in POOL_FIELDS and v is not None
        }
        rmap = self.region_map(item)
        sizes = self._sizes.get(item.stem)
        if sizes is None:
            sizes = self._sizes[item.stem] = np.bincount(rmap.reshape(-1))
        return build_region_pool(
            outputs['prob'],
            rmap,
            labeled_mask=lab,
            region_sizes=sizes,
            feature=outputs.get('feature'),
            image_index=item.index,
            extras=extras)

    def commit(self, store: Any, pool: UnitPool,
               selection: Selection) -> Purchase:
        """Stamp the picked regions into the images' masks
        (``commit_threads`` images at a time).

        Args:
            store: the label store (pending round).
            pool: the pool the strategy picked from.
            selection: the picks (rows of ``pool``).

        Returns:
            Purchase: what was added.
        """
        out = Purchase()
        idx = selection.index
        images = np.unique(pool.image_index[idx])

        def buy(i: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
            ids = pool.unit_id[idx[pool.image_index[idx] == i]]
            item = self.items[int(i)]
            rmap = self.region_map(item)
            top = int(rmap.max())
            lut = np.zeros(top + 1, dtype=bool)
            lut[ids[ids <= top]] = True
            # one read of the stamp map: add_mask keeps what was unlabelled
            return ids, rmap, store.add_mask(item.stem, lut[rmap])

        # the images' region maps are decoded and their stamp maps encoded
        # and written in a few threads (cv2 releases the GIL); the purchase
        # is assembled in image order, as one loop would
        workers = min(self.commit_threads, len(images))
        if workers > 1:
            ex = ThreadPoolExecutor(
                workers, thread_name_prefix='active-commit')
            try:
                bought = list(ex.map(buy, images))
            finally:
                # on a failure the images not started are not written (the
                # round is rolled back from the journal when reopened)
                ex.shutdown(wait=True, cancel_futures=True)
        else:
            bought = [buy(i) for i in images]
        for i, (ids, rmap, mask) in zip(images, bought):
            added = int(np.count_nonzero(mask))
            out.spent += added
            out.num_units += int(ids.size)
            if added:
                out.images.append(int(i))
                out.masks[int(i)] = mask
                out.region_maps[int(i)] = rmap
        return out
