"""Build a round's annotation request from its purchase (rank 0).

Called by :class:`~mmseg_ada.engine.ActiveSelector` between the units'
commit and the store's commit when the oracle is a person's
(:class:`~mmseg_ada.active.oracles.HumanOracle`): the request lists what
was bought and, with ``predictions``, the model's class of each bought unit
(one extra forward pass over the touched images, with the pool pipeline, in
eval mode), so that the person corrects rather than draws.
"""
from __future__ import annotations

import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch.utils.data import DataLoader, Subset

from mmseg_ada.active.oracles.layout import request_dir
from mmseg_ada.active.units import PoolItem, Purchase
from mmseg_ada.annotation.request import AnnotationRequest, RequestedImage
from .utils import image_sizes

__all__ = ['write_request', 'image_root']


def image_root(items: Sequence[PoolItem]) -> str:
    """The deepest folder holding every target image.

    Args:
        items: the pool's images (their ``img_path``).

    Returns:
        str: the common folder of their absolute paths (``''`` without
        images).
    """
    paths = [osp.abspath(it.img_path) for it in items]
    if not paths:
        return ''
    return osp.commonpath([osp.dirname(p) for p in paths])


@torch.no_grad()
def _predict(model: Any, loader: Any, items: Sequence[PoolItem],
             indices: Sequence[int]) -> Dict[int, torch.Tensor]:
    """``{image index: 'prob' output}`` of ``model`` on ``indices``."""
    ds = loader.dataset
    pos = {
        osp.abspath(ds.get_data_info(j)['img_path']): j
        for j in range(len(ds))
    }
    index_of = {osp.abspath(items[i].img_path): i for i in indices}
    wanted = []
    for i in indices:
        p = osp.abspath(items[i].img_path)
        if p not in pos:
            raise KeyError(f'the pool dataloader has no image {p}')
        wanted.append(pos[p])
    sub = DataLoader(
        Subset(ds, wanted),
        batch_size=loader.batch_size or 1,
        collate_fn=loader.collate_fn,
        num_workers=0,
        shuffle=False)
    was_training = model.training
    model.eval()
    out: Dict[int, torch.Tensor] = {}
    try:
        for batch in sub:
            data = model.data_preprocessor(batch, False)
            res = model.predict_active(data['inputs'], data['data_samples'],
                                       ('prob', ))
            for sample, prob in zip(data['data_samples'], res['prob']):
                path = osp.abspath(sample.metainfo['img_path'])
                out[index_of[path]] = prob.detach().float().cpu()
    finally:
        model.train(was_training)
    return out


def _unit_map(mask: np.ndarray, region_map: Any) -> tuple:
    """Unit numbers (1-based) of the bought pixels, and the region ids."""
    if region_map is None:  # pixel units: one group
        return mask.astype(np.int32), []
    ids = np.unique(region_map[mask])
    units = np.zeros(mask.shape, np.int32)
    units[mask] = np.searchsorted(ids, region_map[mask]) + 1
    return units, [int(x) for x in ids]


def _predicted_classes(prob: torch.Tensor, units: np.ndarray,
                       by_unit: bool) -> np.ndarray:
    """``uint8 [H, W]`` the model's class of every asked pixel: the argmax
    of each unit's mean softmax (regions) or of each pixel's (pixels)."""
    h, w = units.shape
    full = F.interpolate(
        prob[None], size=(h, w), mode='bilinear', align_corners=False)[0]
    asked = units > 0
    out = np.full((h, w), 255, np.uint8)
    p = full[:, torch.from_numpy(asked)].numpy()  # [C, M]
    if not by_unit:
        out[asked] = p.argmax(0).astype(np.uint8)
        return out
    u = units[asked] - 1
    n = int(u.max()) + 1
    sums = np.stack([np.bincount(u, weights=pc, minlength=n) for pc in p])
    out[asked] = sums.argmax(0)[u].astype(np.uint8)
    return out


def write_request(selector: Any,
                  round_idx: int,
                  purchase: Purchase,
                  predictions: bool,
                  root: Optional[str] = None) -> AnnotationRequest:
    """Write round ``round_idx``'s request (rank 0, before the commit).

    Args:
        selector: the :class:`~mmseg_ada.engine.ActiveSelector` (its units,
            model, pool loader, classes and oracle).
        round_idx: the round being committed.
        purchase: what the units' commit added.
        predictions: save the model's class of each bought unit.
        root: the request folder (default: the run's
            ``active/annotate/round_<k>/request``).

    Returns:
        AnnotationRequest: the saved request.
    """
    units = selector.units
    items: List[PoolItem] = units.items
    root_dir = image_root(items)
    root = root or request_dir(selector.runner.work_dir, round_idx)
    indices = sorted(int(i) for i in purchase.images)
    probs: Dict[int, torch.Tensor] = {}
    if predictions and indices:
        print_log(
            f'active round {round_idx}: the model labels the '
            f'{len(indices)} touched images (suggestions for the annotator)',
            logger='current')
        probs = _predict(selector.model,
                         selector._loader('target', selector.pool_loader_cfg),
                         items, indices)
    images, unit_maps, pred_maps = [], {}, {}
    for i in indices:
        it = items[i]
        name = osp.relpath(osp.abspath(it.img_path),
                           root_dir).replace(osp.sep, '/')
        if units.kind == 'image':
            pred = (
                int(probs[i].reshape(-1).argmax()) if predictions else None)
            (h, w), = image_sizes([it.img_path])
            images.append(
                RequestedImage(i, it.stem, name, osp.abspath(it.img_path), h,
                               w, 1, [], pred))
            continue
        mask = purchase.masks[i]
        umap, region_ids = _unit_map(mask, purchase.region_maps.get(i))
        h, w = mask.shape
        images.append(
            RequestedImage(i, it.stem, name, osp.abspath(it.img_path), h, w,
                           int(mask.sum()), region_ids))
        unit_maps[it.stem] = umap
        if predictions:
            pred_maps[it.stem] = _predicted_classes(
                probs[i], umap, by_unit=bool(region_ids))
    req = AnnotationRequest(
        round=round_idx,
        kind='image' if units.kind == 'image' else 'mask',
        unit=units.kind,
        classes=selector.class_names,
        image_root=root_dir,
        images=images,
        predictions=predictions)
    req.save(root, unit_maps, pred_maps)
    return req
