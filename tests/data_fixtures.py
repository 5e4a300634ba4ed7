"""Miniature GTA5 / SYNTHIA datasets in their real on-disk formats.

Shared by the dataset, converter and metric tests.  The expected trainIds
are written out by hand here from the Cityscapes ``labels.py`` table and the
SYNTHIA RAND-CITYSCAPES README, independently of
``mmseg_ada.datasets.label_maps``.
"""
import os
import os.path as osp

import cv2
import numpy as np
from PIL import Image

# Cityscapes label id -> trainId (cityscapesScripts labels.py), written out.
CITYSCAPES_EXPECTED = {
    0: 255,
    1: 255,
    2: 255,
    3: 255,
    4: 255,
    5: 255,
    6: 255,
    7: 0,
    8: 1,
    9: 255,
    10: 255,
    11: 2,
    12: 3,
    13: 4,
    14: 255,
    15: 255,
    16: 255,
    17: 5,
    18: 255,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    29: 255,
    30: 255,
    31: 16,
    32: 17,
    33: 18,
    255: 255,
}

# SYNTHIA class id (README) -> trainId, 16-class protocol, lanemarking 255.
SYNTHIA_EXPECTED = {
    0: 255,  # void
    1: 10,  # sky
    2: 2,  # building
    3: 0,  # road
    4: 1,  # sidewalk
    5: 4,  # fence
    6: 8,  # vegetation
    7: 5,  # pole
    8: 13,  # car
    9: 7,  # traffic sign
    10: 11,  # pedestrian
    11: 18,  # bicycle
    12: 17,  # motorcycle
    13: 255,  # parking-slot
    14: 255,  # road-work
    15: 6,  # traffic light
    16: 255,  # terrain (not in the 16-class protocol)
    17: 12,  # rider
    18: 255,  # truck (not in the 16-class protocol)
    19: 15,  # bus
    20: 255,  # train (not in the 16-class protocol)
    21: 3,  # wall
    22: 255,  # lanemarking (ignored by default)
}

# 5x8 GTA5 label holding every id 0..33, 255 and a few repeats.
GTA5_IDS = np.array(
    list(range(34)) + [255, 0, 7, 33, 26, 255], dtype=np.uint8).reshape(5, 8)
# 4x6 SYNTHIA label holding every id 0..22 and a repeat.
SYNTHIA_IDS = np.array(list(range(23)) + [3], dtype=np.uint16).reshape(4, 6)


def expected(ids: np.ndarray, table: dict) -> np.ndarray:
    """Map ``ids`` pixel by pixel through ``table`` (slow and obvious)."""
    out = np.empty(ids.shape, dtype=np.uint8)
    for idx in np.ndindex(ids.shape):
        out[idx] = table[int(ids[idx])]
    return out


def cityscapes_id_palette() -> list:
    """A 256-colour palette: trainId colours for the 19 classes, else black.

    Several ids share black, so reading the PNG as colours (cv2) instead of
    palette indices cannot recover the ids.
    """
    from mmseg.datasets import CityscapesDataset
    colours = CityscapesDataset.METAINFO['palette']
    pal = []
    for i in range(256):
        t = CITYSCAPES_EXPECTED.get(i, 255)
        pal += list(colours[t]) if t != 255 else [0, 0, 0]
    return pal


def write_rgb(path: str, h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, img)
    return img


def write_gta5_label(path: str, ids: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    im = Image.fromarray(ids.astype(np.uint8))  # 'L'; putpalette -> 'P'
    im.putpalette(cityscapes_id_palette())
    assert im.mode == 'P'
    im.save(path)


def make_gta5(root, stems=('00001', '00002'), ids=GTA5_IDS, img_hw=None):
    """GTA5 layout: ROOT/images/<stem>.png, ROOT/labels/<stem>.png (P)."""
    root = str(root)
    h, w = img_hw or ids.shape
    for k, stem in enumerate(stems):
        write_rgb(osp.join(root, 'images', stem + '.png'), h, w, seed=k)
        write_gta5_label(
            osp.join(root, 'labels', stem + '.png'), np.roll(ids, k))
    return root


def synthia_label_bgr(ids: np.ndarray) -> np.ndarray:
    """16-bit HxWx3 in cv2's BGR order: class id in R (index 2).

    G holds instance-like values above 255 and B a constant 7, so reading the
    wrong channel fails the tests.
    """
    h, w = ids.shape
    g = (np.arange(h * w, dtype=np.uint16).reshape(h, w) * 397 + 300)
    b = np.full((h, w), 7, dtype=np.uint16)
    return np.stack([b, g, ids.astype(np.uint16)], axis=-1)


def write_synthia_label(path: str, ids: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, synthia_label_bgr(ids))


def make_synthia(root, stems=('0000000', '0000001'), ids=SYNTHIA_IDS):
    """SYNTHIA layout: ROOT/RGB/<stem>.png, ROOT/GT/LABELS/<stem>.png."""
    root = str(root)
    h, w = ids.shape
    for k, stem in enumerate(stems):
        write_rgb(osp.join(root, 'RGB', stem + '.png'), h, w, seed=k)
        write_synthia_label(
            osp.join(root, 'GT', 'LABELS', stem + '.png'), np.roll(ids, k))
    return root


def read_png(path: str) -> np.ndarray:
    out = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert out is not None, path
    return out
