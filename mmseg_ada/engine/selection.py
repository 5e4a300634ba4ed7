"""The selection pass: model -> per-region statistics -> picks -> label store.

Every function here is rank-aware: each rank scores its shard of the pool,
the pooled rows are gathered and ordered by image index on every rank, the
strategy runs once (rank 0), its picks are broadcast and every rank checks
it holds the same picks; only rank 0 writes the label store.
"""
from __future__ import annotations

import hashlib
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_rank, get_world_size, is_main_process)
from mmengine.utils import ProgressBar

from mmseg_ada.active.pooling import build_region_pool
from mmseg_ada.active.regions import RegionCache
from mmseg_ada.active.strategies.base import RegionPool, Selection


def _predictions(model: torch.nn.Module, dataloader, stems: Sequence[str],
                 stem_of: Any) -> Iterator[Tuple[int, str, Tuple[int, int],
                                                 torch.Tensor,
                                                 Optional[torch.Tensor]]]:
    """Run ``model`` (eval mode, no grad) over this rank's shard.

    Yields ``(image_index, stem, ori_shape, prob [C, h, w], feature
    [D, h', w'] or None)`` per image, with a progress bar on rank 0, and
    restores the model's training mode afterwards.
    """
    index_of = {s: i for i, s in enumerate(stems)}
    was_training = model.training
    model.eval()
    bar = ProgressBar(len(dataloader)) if is_main_process() else None
    try:
        with torch.no_grad():
            for batch in dataloader:
                data = model.data_preprocessor(batch, False)
                probs, feats = model.predict_prob_and_feature(
                    data['inputs'], data['data_samples'])
                for j, sample in enumerate(data['data_samples']):
                    stem = stem_of(sample.metainfo['img_path'])
                    yield (index_of[stem], stem,
                           tuple(sample.metainfo['ori_shape'][:2]),
                           probs[j].float().cpu(),
                           None if feats is None else feats[j].float().cpu())
                if bar is not None:
                    bar.update()
    finally:
        model.train(was_training)
        if bar is not None:
            print(flush=True)


def _gather_by_index(parts: Dict[int, Any]) -> Dict[int, Any]:
    """Merge every rank's ``{image_index: value}`` (on every rank).

    ``DefaultSampler`` pads the last shard with duplicates; keying by image
    index collapses them.
    """
    if get_world_size() > 1:
        merged: Dict[int, Any] = {}
        for rank_parts in all_gather_object(parts):
            merged.update(rank_parts)
        parts = merged
    return dict(sorted(parts.items()))


def score_pool(model: torch.nn.Module,
               dataloader,
               stems: Sequence[str],
               stem_of: Any,
               region_cache: RegionCache,
               labeled_mask: Optional[Any] = None,
               with_features: bool = False,
               desc: str = 'scoring') -> RegionPool:
    """Run ``model`` over ``dataloader`` and pool the outputs per region.

    Args:
        model: an :class:`~mmseg_ada.models.ADAEncoderDecoder` (unwrapped).
        dataloader: test-pipeline loader over the pool (this rank's shard).
        stems: stem of every dataset index (defines ``image_index``).
        stem_of: callable ``img_path -> stem``.
        region_cache: where the region maps are.
        labeled_mask: callable ``(stem, shape) -> bool [H, W]`` of already
            labelled pixels, or ``None``.
        with_features: pool the head's features too.
        desc: label used in errors.

    Returns:
        RegionPool: the rows of all images, on every rank, sorted by
        ``(image_index, region_id)``.
    """
    parts: Dict[int, RegionPool] = {}
    for idx, stem, shape, prob, feat in _predictions(model, dataloader,
                                                     stems, stem_of):
        lab = labeled_mask(stem, shape) if labeled_mask else None
        parts[idx] = build_region_pool(
            prob, torch.from_numpy(region_cache.load(stem, shape)),
            labeled_mask=None if lab is None else torch.from_numpy(lab),
            feature=feat if with_features else None,
            image_index=idx)
    parts = _gather_by_index(parts)
    if not parts:
        raise RuntimeError(f'{desc}: the pool dataloader yielded no image')
    return RegionPool.cat(list(parts.values()))


def digest(index: np.ndarray, pool: RegionPool) -> str:
    """A short hash of the picked (image, region, cost) triples."""
    h = hashlib.sha1()
    for arr in (pool.image_index[index], pool.region_id[index],
                pool.cost[index]):
        h.update(np.ascontiguousarray(arr, dtype=np.int64).tobytes())
    return h.hexdigest()


def select_once(strategy, pool: RegionPool, budget: int, round_idx: int,
                **context: Any) -> Selection:
    """Run ``strategy`` on rank 0, broadcast, and check every rank agrees.

    Raises:
        RuntimeError: if any rank ends up with other picks than rank 0.
    """
    obj: List[Optional[Selection]] = [None]
    if get_rank() == 0:
        obj[0] = strategy.select(pool, budget, round_idx=round_idx, **context)
    if get_world_size() > 1:
        broadcast_object_list(obj, src=0)
        sel = obj[0]
        digests = all_gather_object(digest(sel.index, pool))
        if len(set(digests)) != 1:
            raise RuntimeError(
                f'active round {round_idx}: ranks disagree on the picks '
                f'(digests {digests}); pools differ between ranks')
    return obj[0]


def picks_by_image(selection: Selection,
                   pool: RegionPool) -> Dict[int, np.ndarray]:
    """``{image_index: region ids}`` of a selection."""
    idx = np.asarray(selection.index, dtype=np.int64)
    out: Dict[int, List[int]] = {}
    for i, r in zip(pool.image_index[idx].tolist(),
                    pool.region_id[idx].tolist()):
        out.setdefault(int(i), []).append(int(r))
    return {k: np.asarray(v, dtype=np.int64) for k, v in sorted(out.items())}


def region_mask(region_map: np.ndarray, region_ids: np.ndarray) -> np.ndarray:
    """``bool [H, W]``: pixels of ``region_map`` in ``region_ids``."""
    lut = np.zeros(int(region_map.max()) + 1, dtype=bool)
    ids = region_ids[region_ids <= region_map.max()]
    lut[ids] = True
    return lut[region_map]


def class_histogram(label: np.ndarray, mask: np.ndarray,
                    num_classes: int) -> np.ndarray:
    """Pixels of each ground-truth class inside ``mask`` (255 ignored)."""
    vals = label[mask]
    vals = vals[vals < num_classes]
    return np.bincount(vals.astype(np.int64), minlength=num_classes)


def image_sizes(paths: Sequence[str]) -> List[Tuple[int, int]]:
    """``(H, W)`` of every image, read from the file headers."""
    from PIL import Image
    out = []
    for p in paths:
        with Image.open(p) as im:
            w, h = im.size
        out.append((int(h), int(w)))
    return out


def select_pixels_pass(model: torch.nn.Module,
                       dataloader,
                       stems: Sequence[str],
                       stem_of: Any,
                       strategy,
                       labeled_mask: Any,
                       budget_fraction: float,
                       round_idx: int) -> Dict[int, np.ndarray]:
    """Pixel-level selection: the top-k unlabelled pixels of every image.

    Each image buys ``floor(budget_fraction * H * W)`` pixels (so the round
    never exceeds ``floor(budget_fraction * total pixels)``), chosen by
    ``strategy.select_image_pixels`` on the softmax at full resolution,
    seeded by (seed, round, image) so the picks do not depend on the rank
    that scored the image.

    Returns:
        ``{image_index: flat pixel indices}`` on every rank.
    """
    import torch.nn.functional as F
    picks: Dict[int, np.ndarray] = {}
    for idx, stem, (h, w), prob, _ in _predictions(model, dataloader, stems,
                                                   stem_of):
        prob = F.interpolate(prob[None], size=(h, w), mode='bilinear',
                             align_corners=False)[0]
        mask = strategy.select_image_pixels(
            prob, labeled_mask(stem, (h, w)),
            int(np.floor(budget_fraction * h * w)),
            round_idx=round_idx, image_index=idx)
        picks[idx] = np.flatnonzero(mask).astype(np.int64)
    picks = _gather_by_index(picks)
    if get_world_size() > 1:
        h = hashlib.sha1()
        for i, flat in picks.items():
            h.update(np.int64(i).tobytes() + flat.tobytes())
        digests = all_gather_object(h.hexdigest())
        if len(set(digests)) != 1:
            raise RuntimeError(f'active round {round_idx}: ranks disagree '
                               f'on the pixel picks ({digests})')
    return picks
