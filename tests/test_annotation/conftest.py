"""Tiny runs with a committed round and its request, built without a model.

``seg_run``: a mask store whose round 1 bought two regions of image 0 and
one of image 1 (and round 2: a region of image 2), with the request of
each round (unit maps, the model's classes) as the run writes it, and a
known truth per image.  ``cls_run``: an image store that bought images 1, 3
and 4 in round 1.
"""
import os
import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from mmseg_ada.active.oracles.layout import request_dir
from mmseg_ada.active.stores import ImageLabelStore, MaskLabelStore
from mmseg_ada.annotation.request import AnnotationRequest, RequestedImage
from mmseg_ada.annotation.rounds import export_round

CLASSES = ('road', 'sidewalk', 'traffic light', 'car')
SHAPES = [(20, 30), (16, 24), (12, 18)]


class Truth:
    """What a person would answer (a stand-in ground-truth oracle)."""

    def __init__(self, maps=None, labels=None):
        self.maps, self.labels = maps or {}, labels or {}

    def ground_truth(self, index):
        return self.maps[int(index)]

    def image_label(self, index):
        return self.labels[int(index)]


def _report(k, spent, labeled, total, unit):
    return dict(
        round=k,
        strategy='hand',
        unit=unit,
        budget=spent,
        spent=spent,
        labeled=labeled,
        total=total,
        labeled_fraction=labeled / total)


def _images(root, shapes):
    paths = []
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(shapes):
        p = osp.join(root, 'images', f'city{i % 2}', f'img{i}.png')
        os.makedirs(osp.dirname(p), exist_ok=True)
        cv2.imwrite(p, rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        paths.append(p)
    return paths


def make_seg_run(root, rounds=2):
    """See the module docstring; returns a namespace."""
    work = osp.join(root, 'work')
    paths = _images(root, SHAPES)
    rng = np.random.default_rng(1)
    truth = Truth(
        maps={
            i: rng.integers(0, len(CLASSES), s).astype(np.uint8)
            for i, s in enumerate(SHAPES)
        })
    truth.maps[0][0, :] = 255  # an ignore row inside a region
    # regions: image 0 -> units 7 (rows 0..4) and 9 (rows 10..12, cols
    # 0..9); image 1 -> unit 3 (cols 5..9); round 2: image 2, unit 1
    plan = {
        1: {
            0: [(7, np.s_[0:5, :], 1), (9, np.s_[10:13, 0:10], 3)],
            1: [(3, np.s_[:, 5:10], 2)]
        },
        2: {
            2: [(1, np.s_[2:6, 2:8], 0)]
        }
    }
    store = MaskLabelStore(work, dict(a=1))
    total = sum(h * w for h, w in SHAPES)
    labeled = 0
    requests = {}
    for k in range(1, rounds + 1):
        images, unit_maps, pred_maps = [], {}, {}
        spent = 0
        for i, regions in plan[k].items():
            h, w = SHAPES[i]
            units = np.zeros((h, w), np.int32)
            pred = np.full((h, w), 255, np.uint8)
            for j, (rid, sl, c) in enumerate(regions, start=1):
                units[sl] = j
                pred[sl] = c
            spent += store.add(f'img{i}', units > 0)
            stem = f'img{i}'
            images.append(
                RequestedImage(i, stem, f'city{i % 2}/img{i}.png', paths[i], h,
                               w, int((units
                                       > 0).sum()), [r[0] for r in regions]))
            unit_maps[stem], pred_maps[stem] = units, pred
        req = AnnotationRequest(k, 'mask', 'region', CLASSES,
                                osp.join(root, 'images'), images)
        req.save(request_dir(work, k), unit_maps, pred_maps)
        labeled += spent
        store.commit(k, _report(k, spent, labeled, total, 'region'))
        requests[k] = req
    return SimpleNamespace(
        work=work, store=store, truth=truth, requests=requests, paths=paths)


def make_cls_run(root):
    work = osp.join(root, 'work')
    shapes = [(8, 8)] * 6
    paths = _images(root, shapes)
    truth = Truth(labels={i: (i * 3) % len(CLASSES) for i in range(6)})
    store = ImageLabelStore(work, dict(a=1))
    ids = [1, 3, 4]
    store.add(ids)
    images = [
        RequestedImage(
            i,
            f'img{i}',
            f'city{i % 2}/img{i}.png',
            paths[i],
            8,
            8,
            1, [],
            predicted=(i + 1) % len(CLASSES)) for i in ids
    ]
    req = AnnotationRequest(1, 'image', 'image', CLASSES,
                            osp.join(root, 'images'), images)
    req.save(request_dir(work, 1))
    store.commit(1, _report(1, 3, 3, 6, 'image'))
    return SimpleNamespace(
        work=work, store=store, truth=truth, requests={1: req}, paths=paths)


@pytest.fixture
def seg_run(tmp_path):
    run = make_seg_run(str(tmp_path))
    for k in run.requests:
        for fmt in ('labelstudio', 'cvat', 'png'):
            export_round(run.work, k, fmt)
    yield run
    run.store.close()


@pytest.fixture
def cls_run(tmp_path):
    run = make_cls_run(str(tmp_path))
    for fmt in ('labelstudio', 'cvat', 'list'):
        export_round(run.work, 1, fmt)
    yield run
    run.store.close()
