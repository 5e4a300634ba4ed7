"""Pixel picking for ADA-MCU's contrastive units (Sec. III-B.1, III-C)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def class_argmax(logits: Tensor) -> Tensor:
    """The predicted class of every pixel: ``logits.max(1).indices`` (the
    first maximum), bit for bit.

    On the CPU from vectorised reductions instead of ``max``'s strided
    argmax (~4x faster on ``[2, 19, 128, 256]``), one image at a time (a
    temporary of one image's logits): the class maximum, a float mask of
    the classes equal to it, weighted ``C - k`` for class ``k`` so that the
    first maximum weighs most.  A pixel without an equal maximum (a NaN)
    makes it fall back to ``max``; so do other devices and dtypes.

    Args:
        logits (Tensor): ``[B, C, ...]`` scores.

    Returns:
        Tensor: int64 ``[B, ...]`` classes.
    """
    c = logits.shape[1] if logits.dim() > 1 else 0
    if logits.device.type != 'cpu' or logits.dtype not in (
            torch.float32, torch.float64) or not 0 < c < 2**24 or \
            logits.numel() == 0:
        return logits.max(1).indices
    weight = torch.arange(c, 0, -1, dtype=logits.dtype)
    weight = weight.view(c, *([1] * (logits.dim() - 2)))
    best = logits.new_empty((logits.shape[0], *logits.shape[2:]))
    hit = torch.empty_like(logits[0])
    for i, image in enumerate(logits):
        torch.eq(image, image.amax(0, keepdim=True), out=hit)
        torch.amax(hit.mul_(weight), 0, out=best[i])
    if bool((best == 0).any()):  # NaN: no class equals the maximum
        return logits.max(1).indices
    return c - best.long()


def _first_k_per_class(idx: Tensor,
                       lab: Tensor,
                       k: int,
                       generator: Optional[torch.Generator],
                       counts: Optional[Tensor] = None) -> Tensor:
    """Uniform ``k`` per class of ``idx`` by a random order and a sort.

    ``counts`` (``bincount(lab)``, optional) gives every class's start in
    the sorted order, hence each element's rank within its class.
    """
    perm = torch.randperm(idx.numel(), generator=generator).to(idx.device)
    lab_sorted, order = torch.sort(lab[perm], stable=True)
    idx = idx[perm[order]]
    if counts is None:
        counts = torch.bincount(lab)
    starts = torch.cumsum(counts, 0) - counts
    # rank of every element within its class
    rank = torch.arange(lab_sorted.numel(), device=idx.device) - \
        starts[lab_sorted]
    return idx[rank < k]


def cap_per_class(mask: Tensor,
                  labels: Tensor,
                  k: int,
                  generator: Optional[torch.Generator],
                  oversample: float = 4.) -> Tensor:
    """At most ``k`` pixels of each class of ``mask``, uniformly at random.

    Exact: every class keeps ``min(k, n_c)`` of its ``n_c`` candidates, a
    uniformly random subset.  Dense masks are first thinned (each pixel of
    class ``c`` kept with probability ``min(1, oversample * k / n_c)``, an
    exchangeable draw, so the survivors of a class are a uniform subset),
    then ``k`` per class are drawn from the survivors; a class left with
    fewer than ``min(k, n_c)`` survivors (vanishingly rare at
    ``oversample=4``) is redrawn without thinning.  This avoids sorting
    every candidate of a full-resolution mask.

    Args:
        mask (Tensor): ``[H, W]`` bool candidates.
        labels (Tensor): ``[H, W]`` int64 class (``>= 0``) of every pixel.
        k (int): Cap per class (``< 0``: no cap).
        generator (torch.Generator): CPU generator of the draw.
        oversample (float): Thinning factor (``<= 0``: no thinning).

    Returns:
        Tensor: Flat int64 indices (into ``H * W``) of the kept pixels,
        sorted.
    """
    flat = mask.reshape(-1)
    if k < 0:
        return flat.nonzero().squeeze(1)
    # class + 1 on candidates, 0 elsewhere: one bincount counts both
    key = (labels.reshape(-1) + 1) * flat
    counts = torch.bincount(key)
    n = int(flat.numel() - counts[0])
    if n == 0:
        return flat.nonzero().squeeze(1)
    counts[0] = 0
    # thin only when it removes most candidates
    if oversample > 0 and 2 * int(
            counts.clamp(max=int(oversample * k) + 1).sum()) < n:
        prob = (oversample * k / counts.clamp_min(1).double()).clamp(max=1.)
        prob[0] = 0.
        u = torch.rand(
            flat.numel(), generator=generator,
            dtype=torch.float64).to(flat.device)
        # index_select: the same gather as prob[key], faster
        idx = (u < prob.to(flat.device).index_select(0, key)).nonzero()
        idx = idx.squeeze(1)
        lab = key[idx]
        got = torch.bincount(lab, minlength=counts.numel())
        if bool((got >= counts.clamp(max=k)).all()):
            return _first_k_per_class(idx, lab, k, generator,
                                      got).sort().values
    idx = flat.nonzero().squeeze(1)
    lab = key[idx]
    # counts (0 at 0) == bincount(key[idx]): every candidate has a class
    return _first_k_per_class(idx, lab, k, generator, counts).sort().values


def _sampling_coords(flat_index: Tensor, out_size: Tuple[int, int],
                     align_corners: bool, dtype: torch.dtype) -> Tensor:
    """``grid_sample`` coordinates ``[N, 2]`` (x, y) of full-resolution
    pixels."""
    height, width = out_size
    y = torch.div(flat_index, width, rounding_mode='floor').to(dtype)
    x = (flat_index % width).to(dtype)
    if align_corners:
        gy = 2 * y / max(height - 1, 1) - 1
        gx = 2 * x / max(width - 1, 1) - 1
    else:
        gy = (2 * y + 1) / height - 1
        gx = (2 * x + 1) / width - 1
    return torch.stack([gx, gy], dim=-1)


def pixel_sampling_grid(out_size: Tuple[int, int],
                        align_corners: bool = False,
                        dtype: torch.dtype = torch.float32,
                        device: Optional[torch.device] = None) -> Tensor:
    """The sampling coordinates of every pixel of an ``out_size`` grid: the
    ``grid`` table of :func:`gather_pixel_features` (the same arithmetic
    per pixel, so the same coordinates bit for bit).

    Args:
        out_size (tuple[int, int]): ``(H, W)``.
        align_corners (bool): As in :func:`gather_pixel_features`.
        dtype (torch.dtype): Of the feature maps it will sample.
        device (torch.device, optional): Device of the table.

    Returns:
        Tensor: ``[H * W, 2]`` ``(x, y)`` in ``[-1, 1]``.
    """
    flat = torch.arange(out_size[0] * out_size[1], device=device)
    return _sampling_coords(flat, out_size, align_corners, dtype)


def gather_pixel_features(feat: Tensor,
                          flat_index: Tensor,
                          out_size: Tuple[int, int],
                          align_corners: bool = False,
                          grid: Optional[Tensor] = None) -> Tensor:
    """Features of full-resolution pixels from a low-resolution map.

    Equal to bilinearly resizing ``feat`` to ``out_size`` (as mmseg's
    ``resize``) and reading the pixels ``flat_index``, without building the
    full-resolution map (``grid_sample`` at the pixel centres).

    Args:
        feat (Tensor): ``[D, h, w]`` feature map.
        flat_index (Tensor): int64 ``[N]`` indices into ``H * W``.
        out_size (tuple[int, int]): ``(H, W)`` of the pixel grid.
        align_corners (bool): As in the resize it replaces.
        grid (Tensor, optional): :func:`pixel_sampling_grid` of
            ``out_size``, ``align_corners`` and ``feat``'s dtype: the
            coordinates are read from it (two ops instead of about ten, the
            same values); ``None``: computed for the pixels.

    Returns:
        Tensor: ``[N, D]`` features.
    """
    d = feat.shape[0]
    if flat_index.numel() == 0:
        return feat.new_zeros((0, d))
    if grid is None:
        grid = _sampling_coords(flat_index, out_size, align_corners,
                                feat.dtype)
    elif tuple(grid.shape) != (out_size[0] * out_size[1], 2):
        raise ValueError(f'gather_pixel_features: grid of shape '
                         f'{tuple(grid.shape)} for a pixel grid of '
                         f'{tuple(out_size)}: expected '
                         f'({out_size[0] * out_size[1]}, 2)')
    else:
        grid = grid.index_select(0, flat_index)
    out = F.grid_sample(
        feat[None],
        grid.view(1, 1, -1, 2),
        mode='bilinear',
        padding_mode='border',
        align_corners=align_corners)
    return out.view(d, -1).t()  # [1, D, 1, N] -> [N, D]


def class_centres(feats: Tensor, labels: Tensor,
                  num_classes: int) -> Tuple[Tensor, Tensor]:
    """Mean feature of every class present (the "aggregation" of Sec.
    III-B.1).

    Args:
        feats (Tensor): ``[N, D]``.
        labels (Tensor): int64 ``[N]`` in ``[0, num_classes)``.
        num_classes (int): ``C``.

    Returns:
        tuple[Tensor, Tensor]: ``[K, D]`` centres and their int64 ``[K]``
        classes (ascending), ``K`` = number of classes present.
    """
    if feats.shape[0] != labels.shape[0]:
        raise ValueError(f'class_centres: {feats.shape[0]} features but '
                         f'{labels.shape[0]} labels')
    sums = feats.new_zeros((num_classes, feats.shape[1]))
    sums = sums.index_add(0, labels, feats)
    counts = torch.bincount(labels, minlength=num_classes)
    present = (counts > 0).nonzero().squeeze(1)
    centres = sums[present] / counts[present].unsqueeze(1).to(feats.dtype)
    return centres, present


def anchor_mask(labels: Tensor,
                preds: Tensor,
                eligible: Tensor,
                ignore_index: int = 255) -> Tensor:
    """Hard anchors: eligible labelled pixels the model gets wrong
    (Sec. III-C.1).

    Source: ``eligible`` = every labelled pixel; target: the bought pixels
    of the high-uncertainty group.

    Args:
        labels (Tensor): ``[..., H, W]`` int64 labels (``ignore_index``:
            none).
        preds (Tensor): Same shape, predicted classes.
        eligible (Tensor): Same shape, bool.
        ignore_index (int): Unlabelled value.

    Returns:
        Tensor: Bool mask of anchors.
    """
    return eligible & (labels != ignore_index) & (preds != labels)
