"""Per-pixel uncertainty and vectorised per-region pooling (torch).

Pooling is one ``index_add_`` over the flattened map (no Python loop over
regions); channels are processed in chunks only when the accumulation dtype
differs from the input's, which bounds the extra memory of the cast.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .pool import UnitPool
from .uncertainty import pixel_uncertainty

__all__ = ['pool_by_region', 'resize_region_map', 'build_region_pool']

ArrayLike = Union[torch.Tensor, np.ndarray]


def _as_tensor(x: ArrayLike) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def pool_by_region(
        values: ArrayLike,
        region_map: ArrayLike,
        num_regions: Optional[int] = None,
        ignore_mask: Optional[ArrayLike] = None,
        reduce: str = 'mean',
        dtype: Optional[torch.dtype] = None,
        chunk_elems: int = 1 << 24) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sum or average ``values`` over the regions of ``region_map``.

    Args:
        values: ``[C, H, W]`` or ``[H, W]`` float values.
        region_map: integer ``[H, W]`` region ids in ``0..num_regions-1``.
        num_regions: ``R``; default ``region_map.max() + 1``.
        ignore_mask: optional bool ``[H, W]``; ``True`` pixels are left out
            of the sums and counts.
        reduce: ``'mean'`` or ``'sum'``.  Means of regions without pixels
            are 0.
        dtype: accumulation (and output) dtype; default the input's float
            dtype.  ``torch.float64`` makes sums over millions of pixels
            exact to ~1e-12 at ~3x the cost.
        chunk_elems: with a dtype cast, at most this many elements are cast
            at a time (bounds memory for e.g. 256-d features).

    Returns:
        tuple: ``(pooled [R, C] (or [R] for 2-D values), counts int64 [R])``.
    """
    if reduce not in ('mean', 'sum'):
        raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    v = _as_tensor(values)
    squeeze = v.dim() == 2
    if squeeze:
        v = v.unsqueeze(0)
    if v.dim() != 3:
        raise ValueError('values must be [C, H, W] or [H, W], got shape '
                         f'{tuple(v.shape)}')
    if not v.is_floating_point():
        v = v.float()
    C, H, W = v.shape
    rmap = _as_tensor(region_map).to(v.device)
    if tuple(rmap.shape) != (H, W):
        raise ValueError(f'region_map has shape {tuple(rmap.shape)}, values '
                         f'have spatial shape {(H, W)}')
    idx = rmap.reshape(-1).long()
    if num_regions is None:
        num_regions = int(idx.max()) + 1 if idx.numel() else 0
    num_regions = int(num_regions)
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= num_regions):
        raise ValueError(f'region ids must be in [0, {num_regions}), got '
                         f'[{int(idx.min())}, {int(idx.max())}]')
    if ignore_mask is not None:
        ign = _as_tensor(ignore_mask).to(v.device)
        if tuple(ign.shape) != (H, W):
            raise ValueError(f'ignore_mask has shape {tuple(ign.shape)}, '
                             f'expected {(H, W)}')
        # Ignored pixels go to a spare bin R that is dropped at the end.
        idx = torch.where(
            ign.reshape(-1).bool(), torch.full_like(idx, num_regions), idx)
    n_bins = num_regions + 1
    counts = torch.bincount(idx, minlength=n_bins)[:num_regions]
    acc = v.dtype if dtype is None else dtype
    flat = v.reshape(C, -1)
    out = torch.zeros(C, n_bins, dtype=acc, device=v.device)
    if acc == v.dtype:
        out.index_add_(1, idx, flat)
    else:
        step = max(1, int(chunk_elems) // max(1, flat.shape[1]))
        for c0 in range(0, C, step):
            out[c0:c0 + step].index_add_(1, idx, flat[c0:c0 + step].to(acc))
    out = out[:, :num_regions].t()
    if reduce == 'mean':
        out = out / counts.clamp(min=1).to(acc).unsqueeze(1)
    out = out.contiguous()
    return (out[:, 0] if squeeze else out), counts


def resize_region_map(region_map: ArrayLike,
                      size: Sequence[int]) -> torch.Tensor:
    """Nearest-neighbour resize of a region map (pixel-centre sampling).

    Args:
        region_map: integer ``[H, W]``.
        size: ``(h, w)`` wanted.

    Returns:
        torch.Tensor: ``int64 [h, w]``.
    """
    rmap = _as_tensor(region_map)
    H, W = rmap.shape
    h, w = int(size[0]), int(size[1])
    if (h, w) == (H, W):
        return rmap.long()
    ys = ((torch.arange(h, dtype=torch.float64) + 0.5) * (H / h)).long()
    xs = ((torch.arange(w, dtype=torch.float64) + 0.5) * (W / w)).long()
    ys = ys.clamp_(max=H - 1).to(rmap.device)
    xs = xs.clamp_(max=W - 1).to(rmap.device)
    return rmap[ys][:, xs].long()


def build_region_pool(prob: ArrayLike,
                      region_map: ArrayLike,
                      labeled_mask: Optional[ArrayLike] = None,
                      feature: Optional[ArrayLike] = None,
                      image_index: int = 0,
                      num_regions: Optional[int] = None,
                      extras: Optional[Dict[str, ArrayLike]] = None,
                      region_sizes: Optional[np.ndarray] = None) -> UnitPool:
    """The region rows of one image.

    ``cost`` counts each region's unlabelled pixels at the region map's
    (full) resolution; a fully labelled region stays in the pool with cost
    0 (never bought, but part of the domain: ADeADA fits ``p_T`` on every
    target region, Algorithm 1).  A region's descriptors - mean
    probability, mean uncertainty statistics, mean feature, means of the
    ``extras`` maps - are averaged over *all* its pixels at their own
    resolution: when a map is smaller than ``region_map`` (e.g. 1/8
    resolution features) the region map is resized to it with nearest
    neighbour.  A region without a pixel at the resolution of some map (a
    sliver below the stride) is dropped.

    Args:
        prob: ``[C, h, w]`` softmax probabilities.
        region_map: integer ``[H, W]`` region ids ``0..R-1`` (full res).
        labeled_mask: optional bool ``[H, W]`` already labelled pixels.
        feature: optional ``[D, h', w']`` feature map.
        image_index: dataset index of the image (copied to every row).
        num_regions: ``R``; default ``region_map.max() + 1``.
        extras: further ``[K, h'', w'']`` maps to average per region (e.g.
            ``'aux_prob'``).
        region_sizes: optional ``[R]`` pixels of each region at full
            resolution (a cache of ``bincount(region_map)``).

    Returns:
        UnitPool: one row per region (``kind='region'``) with ``stats``
        ``'entropy'``, ``'confidence'`` and ``'margin'`` (region means of
        the per-pixel values of :func:`pixel_uncertainty`).
    """
    p = _as_tensor(prob)
    # costs at full resolution in numpy (a 2048x1024 map: ~5 ms, no int64
    # copy); means at each map's own resolution in torch
    rmap_np = (
        region_map.cpu().numpy()
        if isinstance(region_map, torch.Tensor) else np.asarray(region_map))
    if rmap_np.ndim != 2:
        raise ValueError(f'region_map must be [H, W], got {rmap_np.shape}')
    if num_regions is None:
        num_regions = int(rmap_np.max()) + 1 if rmap_np.size else 0
    R = int(num_regions)
    if region_sizes is None:
        region_sizes = np.bincount(rmap_np.reshape(-1), minlength=R)[:R]
    cost = np.asarray(region_sizes, dtype=np.int64)[:R].copy()
    if labeled_mask is not None:
        lab = (
            labeled_mask.cpu().numpy() if isinstance(
                labeled_mask, torch.Tensor) else np.asarray(labeled_mask))
        if lab.shape != rmap_np.shape:
            raise ValueError(f'labeled_mask has shape {lab.shape}, '
                             f'region_map {rmap_np.shape}')
        cost -= np.bincount(rmap_np[lab.astype(bool)], minlength=R)[:R]
    cost = torch.from_numpy(cost)
    rmap = torch.from_numpy(rmap_np)
    if not p.is_floating_point():
        raise ValueError(f'prob must be floating point, got {p.dtype}')

    keep = torch.ones(R, dtype=torch.bool)
    unc = pixel_uncertainty(p)
    maps = dict(
        prob=p,
        unc=torch.stack([unc['entropy'], unc['confidence'], unc['margin']]))
    if feature is not None:
        maps['feature'] = _as_tensor(feature)
    maps.update({k: _as_tensor(v) for k, v in (extras or {}).items()})
    for name, v in maps.items():
        if v.dim() != 3:
            raise ValueError(f'{name} must be [K, h, w], got {tuple(v.shape)}')
    # one pass per resolution: the maps of a size share the resized region
    # map and its counts
    means: Dict[str, torch.Tensor] = {}
    by_size: Dict[Tuple[int, int], list] = {}
    for name, v in maps.items():
        by_size.setdefault((tuple(v.shape[-2:]), v.device), []).append(name)
    for (size, device), names in by_size.items():
        r = resize_region_map(rmap, size).to(device)
        stacked = torch.cat([maps[n].float() for n in names])
        mean, count = pool_by_region(stacked, r, R)
        keep.mul_(count.cpu() > 0)
        splits = mean.split([maps[n].shape[0] for n in names], dim=1)
        means.update(zip(names, splits))
    prob_mean, unc_mean = means['prob'], means['unc']
    feat_mean = means.get('feature')
    extra_means = {k: means[k] for k in (extras or {})}
    rows = torch.nonzero(keep).reshape(-1)

    def take(t: torch.Tensor) -> np.ndarray:
        return t[rows.to(t.device)].cpu().numpy().astype(np.float32)

    unc_rows = take(unc_mean).T.copy()
    return UnitPool(
        image_index=np.full(len(rows), int(image_index), dtype=np.int64),
        unit_id=rows.cpu().numpy().astype(np.int64),
        cost=cost[rows].cpu().numpy().astype(np.int64),
        prob=take(prob_mean),
        stats=dict(
            entropy=unc_rows[0], confidence=unc_rows[1], margin=unc_rows[2]),
        feature=None if feat_mean is None else take(feat_mean),
        extras={
            k: take(v)
            for k, v in extra_means.items()
        },
        kind='region')
