"""Region maps of images: SLIC superpixels or a square grid.

Pure algorithms on arrays.  A region map is an integer ``[H, W]`` array at
the image's full resolution whose ids are contiguous ``0..R-1``.  SLIC is
computed at a reduced working resolution (``work_scale``) and upsampled
with nearest neighbour, which cuts its cost roughly by ``work_scale ** 2``
while keeping the ~40 regions per image that ADeADA uses.

The maps of a dataset are computed once by ``tools/precompute_regions.py``
into a :class:`~mmseg_ada.active.region_cache.RegionCache`, which the
region units read.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Tuple

import cv2
import numpy as np

__all__ = [
    'DEFAULT_PARAMS', 'slic_regions', 'grid_regions', 'relabel_contiguous',
    'regions_to_mask', 'compute_regions'
]

#: Parameters of each method and their defaults.
DEFAULT_PARAMS: Dict[str, Dict[str, Any]] = {
    'slic': dict(n_segments=60, compactness=10.0, work_scale=0.25),
    'grid': dict(cell_size=256),
}


def relabel_contiguous(region_map: np.ndarray) -> Tuple[np.ndarray, int]:
    """Renumber the ids of ``region_map`` to ``0..R-1`` (order kept).

    Args:
        region_map: non-negative integer ``[H, W]`` map.

    Returns:
        tuple: ``(int32 [H, W] relabelled map, R)``.
    """
    region_map = np.asarray(region_map)
    if region_map.size == 0:
        return region_map.astype(np.int32), 0
    if region_map.min() < 0:
        raise ValueError('region ids must be non-negative, got min '
                         f'{int(region_map.min())}')
    present = np.bincount(region_map.ravel().astype(np.int64)) > 0
    lut = np.cumsum(present) - 1
    return lut[region_map].astype(np.int32), int(present.sum())


def grid_regions(h: int, w: int, cell_size: int) -> np.ndarray:
    """Square regions of ``cell_size`` pixels, numbered row by row.

    The last row / column of cells is cut by the image border.

    Args:
        h: image height.
        w: image width.
        cell_size: side of a cell in pixels.

    Returns:
        np.ndarray: ``int32 [h, w]`` with ids ``0..ceil(h/c)*ceil(w/c)-1``.
    """
    if h <= 0 or w <= 0:
        raise ValueError(f'image size must be positive, got {h}x{w}')
    if cell_size <= 0:
        raise ValueError(f'cell_size must be positive, got {cell_size}')
    n_cols = -(-w // cell_size)
    rows = (np.arange(h, dtype=np.int32) // cell_size)[:, None]
    cols = (np.arange(w, dtype=np.int32) // cell_size)[None, :]
    return rows * n_cols + cols


def slic_regions(image: np.ndarray,
                 n_segments: int = 60,
                 compactness: float = 10.0,
                 work_scale: float = 0.25) -> np.ndarray:
    """SLIC superpixels of ``image`` at full resolution.

    The image is downsampled (area interpolation) by ``work_scale``,
    segmented with :func:`skimage.segmentation.slic` (``start_label=0``,
    connectivity enforced) and the labels are upsampled with nearest
    neighbour to the full size, then relabelled to ``0..R-1``.

    Args:
        image: ``uint8 [H, W, 3]`` RGB image (or ``[H, W]`` grey).
        n_segments: SLIC's requested number of segments.  On 2:1 street
            images skimage's seed grid plus connectivity enforcement give
            about 2/3 of it, so the default 60 yields the ~40 regions per
            image that ADeADA uses.
        compactness: SLIC compactness (higher = more square regions).
        work_scale: working resolution relative to the image (``<= 1``).

    Returns:
        np.ndarray: ``int32 [H, W]`` region ids ``0..R-1``.
    """
    from skimage.segmentation import slic

    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError('slic_regions expects an [H, W, 3] RGB or [H, W] '
                         f'image, got shape {image.shape}')
    if not 0 < work_scale <= 1:
        raise ValueError(f'work_scale must be in (0, 1], got {work_scale}')
    h, w = image.shape[:2]
    wh, ww = max(1, round(h * work_scale)), max(1, round(w * work_scale))
    small = image
    if (wh, ww) != (h, w):
        small = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
    labels = slic(
        small,
        n_segments=int(n_segments),
        compactness=float(compactness),
        start_label=0,
        channel_axis=-1 if small.ndim == 3 else None)
    labels, n = relabel_contiguous(labels)
    if (wh, ww) != (h, w):
        dtype = np.uint16 if n <= 65536 else np.int32
        labels = cv2.resize(
            labels.astype(dtype), (w, h),
            interpolation=cv2.INTER_NEAREST).astype(np.int32)
        # an upsampling by whole factors keeps every working pixel, so
        # every id (e.g. 1024x2048 from 256x512); otherwise a region
        # smaller than a step may vanish
        exact = h % wh == 0 and w % ww == 0
        if not exact and np.count_nonzero(
                np.bincount(labels.ravel(), minlength=n)) != n:
            labels, n = relabel_contiguous(labels)
    return labels


def regions_to_mask(region_map: np.ndarray,
                    region_ids: Iterable[int]) -> np.ndarray:
    """``bool [H, W]``: pixels whose region is one of ``region_ids``.

    Args:
        region_map: integer ``[H, W]`` region map.
        region_ids: ids of the wanted regions.

    Returns:
        np.ndarray: the mask.
    """
    region_map = np.asarray(region_map)
    if not isinstance(region_ids, np.ndarray):
        region_ids = list(region_ids)
    ids = np.asarray(region_ids, dtype=np.int64).ravel()
    n = int(region_map.max()) + 1 if region_map.size else 0
    lut = np.zeros(max(n, 1), dtype=bool)
    ids = ids[(ids >= 0) & (ids < n)]
    lut[ids] = True
    return lut[region_map]


def compute_regions(method: str, params: Dict[str, Any],
                    image: np.ndarray) -> np.ndarray:
    """The region map of ``image`` by ``method``.

    Args:
        method: ``'slic'`` or ``'grid'``.
        params: the method's parameters (see :data:`DEFAULT_PARAMS`).
        image: ``uint8 [H, W, 3]`` RGB image.

    Returns:
        np.ndarray: ``int32 [H, W]`` region ids ``0..R-1``.
    """
    if method == 'slic':
        return slic_regions(image, **params)
    if method == 'grid':
        return grid_regions(image.shape[0], image.shape[1], **params)
    raise ValueError(f"unknown region method {method!r}; expected 'slic' or "
                     "'grid'")
