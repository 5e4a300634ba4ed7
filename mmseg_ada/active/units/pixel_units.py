"""Pixel units: single pixels of target images."""
from __future__ import annotations

import math
from typing import Any, Dict

import numpy as np
import torch
import torch.nn.functional as F

from mmseg_ada.registry import UNITS
from ..pool import Selection, UnitPool
from ..requirements import POOL_FIELDS
from ..uncertainty import pixel_uncertainty
from .base import BaseUnits, PoolItem, Purchase

__all__ = ['PixelUnits']


def values_at_pixels(m: Any, pixels: np.ndarray, h: int, w: int) -> np.ndarray:
    """A ``[K, h', w']`` map's values at full-resolution pixels.

    The values ``F.interpolate(m, size=(h, w), mode='bilinear',
    align_corners=False)`` has at the flat indices ``pixels`` of an
    ``h x w`` image, computed at those pixels only (a feature map upsampled
    to the full image would not fit in memory).

    Args:
        m: ``[K, h', w']`` map (tensor or array).
        pixels: ``int [N]`` flat indices ``y * w + x`` of the image.
        h: full-resolution height.
        w: full-resolution width.

    Returns:
        ``float32 [N, K]``.
    """
    m = torch.as_tensor(m).float()
    if m.dim() != 3:
        raise ValueError(f'expected a [K, h, w] map, got {tuple(m.shape)}')
    idx = torch.from_numpy(np.asarray(pixels, dtype=np.int64))
    if tuple(m.shape[-2:]) == (h, w):
        return m.reshape(m.shape[0], -1)[:, idx].t().numpy().astype(np.float32)
    ys, xs = np.divmod(np.asarray(pixels, dtype=np.float64), w)
    grid = np.stack([(xs + 0.5) / w * 2 - 1, (ys + 0.5) / h * 2 - 1], -1)
    out = F.grid_sample(
        m[None],
        torch.from_numpy(grid).float()[None, None],
        mode='bilinear',
        padding_mode='border',
        align_corners=False)
    return out[0, :, 0].t().numpy().astype(np.float32)


@UNITS.register_module()
class PixelUnits(BaseUnits):
    """Single pixels at full resolution (cost 1 each).

    A pool of every pixel of every image would not fit in memory, so each
    image offers only its best unlabelled candidates by the strategy's
    :meth:`~mmseg_ada.active.strategies.BaseStrategy.pixel_score` (computed
    on the softmax upsampled to full resolution, with a generator seeded by
    (seed, round, image), so picks do not depend on the rank that scored
    the image): its share of the round budget ``floor(B * px_i / sum px)``
    when the strategy buys per image (``pixel_quota='image'``), or
    ``candidate_factor`` times that share when images compete
    (``'global'``).  Rows carry ``stats`` (entropy, confidence, margin,
    score) and ``extras['pred_class']``; ``keep_prob=True`` also keeps each
    candidate's ``[C]`` probabilities.  Every other output the strategy
    required is passed through at the candidates, bilinearly upsampled
    like the softmax: ``'feature'`` into ``pool.feature``, the rest (e.g.
    ``'aux_prob'``, ``'domain'``) into ``pool.extras`` under their names.

    Args:
        keep_prob: keep per-candidate probabilities in ``pool.prob``.
    """

    kind = 'pixel'
    store_type = 'MaskLabelStore'

    def __init__(self, keep_prob: bool = False) -> None:
        super().__init__()
        self.keep_prob = bool(keep_prob)

    def collect(self, item: PoolItem, outputs: Dict[str, Any], store: Any,
                strategy: Any, round_idx: int, budget: int) -> UnitPool:
        """The image's best unlabelled candidate pixels (see the class
        docstring and :meth:`BaseUnits.collect`).

        Args:
            item: the image.
            outputs: the model's per-image outputs (``'prob'``, ...).
            store: the label store, or ``None`` (the source pool).
            strategy: the strategy (``pixel_score``, ``rng``,
                ``pixel_quota``, ``candidate_factor``).
            round_idx: the round.
            budget: the round's budget (sizes the candidates).

        Returns:
            UnitPool: one row per candidate, sorted by pixel index.
        """
        h, w = item.shape
        prob = outputs['prob'].float()
        prob = F.interpolate(
            prob[None], size=(h, w), mode='bilinear', align_corners=False)[0]
        rng = strategy.rng(round_idx, item.index)
        score = np.asarray(
            strategy.pixel_score(prob, rng), dtype=np.float64).reshape(-1)
        total = max(self._total_pixels, 1)  # summed once, in setup()
        share = (int(budget) * h * w) // total
        if getattr(strategy, 'pixel_quota', 'image') == 'global':
            share = int(math.ceil(share * strategy.candidate_factor))
        cand = np.arange(h * w)
        if store is not None:
            cand = np.flatnonzero(~store.mask(item.stem, item.shape).ravel())
        # shuffle first so ties are broken at random (but reproducibly)
        cand = cand[rng.permutation(cand.size)]
        k = min(share, cand.size)
        if k < cand.size:
            vals = score[cand]
            if np.isnan(vals).any():
                raise ValueError(f'{type(strategy).__name__}.pixel_score '
                                 f'gave NaN on image {item.stem!r}')
            cand = cand[np.argpartition(-vals, k - 1)[:k]] if k else cand[:0]
        cand = np.sort(cand)
        flat = prob.reshape(prob.shape[0], -1)[:, torch.from_numpy(cand)]
        unc = pixel_uncertainty(flat[:, :, None])
        feature = outputs.get('feature')
        if feature is not None:
            feature = values_at_pixels(feature, cand, h, w)
        extras = {
            k: values_at_pixels(v, cand, h, w)
            for k, v in outputs.items()
            if k not in POOL_FIELDS and v is not None
        }
        if 'pred_class' in extras:
            raise ValueError("PixelUnits: a model output named 'pred_class' "
                             'would hide the predicted class')
        return UnitPool(
            image_index=np.full(cand.size, item.index, np.int64),
            unit_id=cand.astype(np.int64),
            cost=np.ones(cand.size, np.int64),
            prob=flat.t().numpy().astype(np.float32)
            if self.keep_prob else None,
            feature=feature,
            stats=dict(
                score=score[cand].astype(np.float32),
                **{
                    k: v[:, 0].numpy().astype(np.float32)
                    for k, v in unc.items()
                }),
            extras=dict(
                pred_class=flat.argmax(0).numpy().astype(np.int64), **extras),
            kind='pixel')

    def commit(self, store: Any, pool: UnitPool,
               selection: Selection) -> Purchase:
        """Stamp the picked pixels into the images' masks.

        Args:
            store: the label store (pending round).
            pool: the pool the strategy picked from.
            selection: the picks (rows of ``pool``).

        Returns:
            Purchase: what was added.
        """
        out = Purchase()
        idx = selection.index
        for i in np.unique(pool.image_index[idx]):
            item = self.items[int(i)]
            flat = pool.unit_id[idx[pool.image_index[idx] == i]]
            fresh = store.add_pixels(item.stem, item.shape, flat)
            out.spent += int(fresh.size)
            out.num_units += int(flat.size)
            if fresh.size:
                m = np.zeros(item.shape[0] * item.shape[1], dtype=bool)
                m[fresh] = True
                out.images.append(int(i))
                out.masks[int(i)] = m.reshape(item.shape)
        return out
