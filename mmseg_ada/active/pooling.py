"""Per-pixel uncertainty and vectorised per-region pooling (torch).

Pooling is one ``index_add_`` over the flattened map (no Python loop over
regions); channels are processed in chunks only when the accumulation dtype
differs from the input's, which bounds the extra memory of the cast.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .strategies.base import RegionPool

__all__ = [
    'pool_by_region', 'pixel_uncertainty', 'resize_region_map',
    'build_region_pool'
]

ArrayLike = Union[torch.Tensor, np.ndarray]


def _as_tensor(x: ArrayLike) -> torch.Tensor:
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))


def pool_by_region(values: ArrayLike,
                   region_map: ArrayLike,
                   num_regions: Optional[int] = None,
                   ignore_mask: Optional[ArrayLike] = None,
                   reduce: str = 'mean',
                   dtype: Optional[torch.dtype] = None,
                   chunk_elems: int = 1 << 24
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
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
        raise ValueError(
            f'region ids must be in [0, {num_regions}), got '
            f'[{int(idx.min())}, {int(idx.max())}]')
    if ignore_mask is not None:
        ign = _as_tensor(ignore_mask).to(v.device)
        if tuple(ign.shape) != (H, W):
            raise ValueError(f'ignore_mask has shape {tuple(ign.shape)}, '
                             f'expected {(H, W)}')
        # Ignored pixels go to a spare bin R that is dropped at the end.
        idx = torch.where(ign.reshape(-1).bool(),
                          torch.full_like(idx, num_regions), idx)
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


def pixel_uncertainty(prob: ArrayLike) -> Dict[str, torch.Tensor]:
    """Per-pixel uncertainty of a softmax map.

    Args:
        prob: ``[C, H, W]`` class probabilities (``C >= 2``).

    Returns:
        dict: ``[H, W]`` maps ``'entropy'`` (``-sum_c p log p``, natural
        log, ``0 log 0 = 0``), ``'confidence'`` (max probability) and
        ``'margin'`` (top-1 minus top-2 probability).
    """
    p = _as_tensor(prob)
    if p.dim() != 3 or p.shape[0] < 2:
        raise ValueError('prob must be [C, H, W] with C >= 2, got shape '
                         f'{tuple(p.shape)}')
    if not p.is_floating_point():
        raise ValueError(f'prob must be floating point, got {p.dtype}')
    top2 = p.topk(2, dim=0).values
    return dict(
        entropy=torch.special.entr(p).sum(0),
        confidence=top2[0],
        margin=top2[0] - top2[1])


def resize_region_map(region_map: ArrayLike,
                      size: Sequence[int]) -> torch.Tensor:
    """Nearest-neighbour resize of a region map (pixel-centre sampling).

    Args:
        region_map: integer ``[H, W]``.
        size: ``(h, w)`` wanted.

    Returns:
        torch.Tensor: ``int64 [h, w]``.
    """
    rmap = _as_tensor(region_map).long()
    H, W = rmap.shape
    h, w = int(size[0]), int(size[1])
    if (h, w) == (H, W):
        return rmap
    ys = ((torch.arange(h, dtype=torch.float64) + 0.5) * (H / h)).long()
    xs = ((torch.arange(w, dtype=torch.float64) + 0.5) * (W / w)).long()
    ys = ys.clamp_(max=H - 1).to(rmap.device)
    xs = xs.clamp_(max=W - 1).to(rmap.device)
    return rmap[ys][:, xs]


def build_region_pool(prob: ArrayLike,
                      region_map: ArrayLike,
                      labeled_mask: Optional[ArrayLike] = None,
                      feature: Optional[ArrayLike] = None,
                      image_index: int = 0,
                      num_regions: Optional[int] = None) -> RegionPool:
    """The :class:`RegionPool` rows of one image.

    ``cost`` counts each region's unlabelled pixels at the region map's
    (full) resolution; regions with cost 0 (fully labelled) are dropped.
    Probabilities, uncertainty statistics and features are averaged over
    the region's unlabelled pixels at their own resolution: when ``prob`` or
    ``feature`` is smaller than ``region_map`` (e.g. 1/8-resolution
    features) the region map and the labelled mask are resized to it with
    nearest neighbour.  A region that keeps no unlabelled pixel at the
    resolution of ``prob`` or ``feature`` (a sliver below the stride) is
    dropped as well.

    Args:
        prob: ``[C, h, w]`` softmax probabilities.
        region_map: integer ``[H, W]`` region ids ``0..R-1`` (full res).
        labeled_mask: optional bool ``[H, W]`` already labelled pixels.
        feature: optional ``[D, h', w']`` feature map.
        image_index: dataset index of the image (copied to every row).
        num_regions: ``R``; default ``region_map.max() + 1``.

    Returns:
        RegionPool: one row per purchasable region, with ``stats`` keys
        ``'entropy'``, ``'confidence'`` and ``'margin'`` (region means of
        the per-pixel values of :func:`pixel_uncertainty`).
    """
    p = _as_tensor(prob)
    rmap = _as_tensor(region_map).long()
    if rmap.dim() != 2:
        raise ValueError(f'region_map must be [H, W], got {tuple(rmap.shape)}')
    if num_regions is None:
        num_regions = int(rmap.max()) + 1 if rmap.numel() else 0
    R = int(num_regions)
    lab = (torch.zeros(rmap.shape, dtype=torch.bool, device=rmap.device)
           if labeled_mask is None else
           _as_tensor(labeled_mask).bool().to(rmap.device))
    if lab.shape != rmap.shape:
        raise ValueError(f'labeled_mask has shape {tuple(lab.shape)}, '
                         f'region_map {tuple(rmap.shape)}')
    idx = torch.where(lab, torch.full_like(rmap, R), rmap).reshape(-1)
    cost = torch.bincount(idx, minlength=R + 1)[:R]

    def pool_at(values: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        size = values.shape[-2:]
        r = resize_region_map(rmap, size).to(values.device)
        ign = None
        if labeled_mask is not None:
            ign = resize_region_map(lab.long(), size).bool().to(values.device)
        return pool_by_region(values, r, R, ignore_mask=ign)

    if not p.is_floating_point():
        raise ValueError(f'prob must be floating point, got {p.dtype}')
    unc = pixel_uncertainty(p)
    prob_mean, count = pool_at(p)
    unc_mean, _ = pool_at(
        torch.stack([unc['entropy'], unc['confidence'], unc['margin']]))
    keep = (cost > 0) & (count.to(cost.device) > 0)
    feat_mean = None
    if feature is not None:
        f = _as_tensor(feature)
        if f.dim() != 3:
            raise ValueError(f'feature must be [D, h, w], got '
                             f'{tuple(f.shape)}')
        feat_mean, fcount = pool_at(f.float())
        keep &= fcount.to(cost.device) > 0
    rows = torch.nonzero(keep).reshape(-1)

    def take(t: torch.Tensor) -> np.ndarray:
        return t[rows.to(t.device)].cpu().numpy().astype(np.float32)

    unc_rows = take(unc_mean).T.copy()
    return RegionPool(
        image_index=np.full(len(rows), int(image_index), dtype=np.int64),
        region_id=rows.cpu().numpy().astype(np.int64),
        cost=cost[rows].cpu().numpy().astype(np.int64),
        prob=take(prob_mean),
        stats=dict(entropy=unc_rows[0], confidence=unc_rows[1],
                   margin=unc_rows[2]),
        feature=None if feat_mean is None else take(feat_mean))
