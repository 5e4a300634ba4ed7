"""Format writers: the real datasets' on-disk layouts (GTA5, SYNTHIA,
Cityscapes) and the preview grid."""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np
from PIL import Image

from mmseg_ada.datasets.label_maps import CITYSCAPES_ID_TO_TRAINID
from .classes import CITYSCAPES_ID_PALETTE, SYNTHIA_ID_OF_CITYSCAPES_ID

__all__ = [
    'SOURCE_FORMATS', 'TARGET_TRAIN_CITIES', 'TARGET_VAL_CITIES',
    'source_dirs', 'write_source', 'write_target', 'colourise', 'write_preview'
]

SOURCE_FORMATS = ('gta5', 'synthia')
TARGET_TRAIN_CITIES = ('aachen', 'bochum', 'bremen')
TARGET_VAL_CITIES = ('frankfurt', 'lindau', 'munster')


def _imwrite(path: str, array: np.ndarray) -> None:
    if not cv2.imwrite(path, array):
        raise OSError(f'cv2.imwrite could not write {path!r}')


def _write_rgb(path: str, image: np.ndarray) -> None:
    _imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def _palette_bytes() -> List[int]:
    flat = [v for rgb in CITYSCAPES_ID_PALETTE for v in rgb]
    return flat + [0] * (768 - len(flat))


def _source_paths(root: str, fmt: str, index: int) -> Tuple[str, str]:
    if fmt == 'gta5':
        stem = f'{index + 1:05d}.png'
        return (osp.join(root, 'gta5', 'images',
                         stem), osp.join(root, 'gta5', 'labels', stem))
    stem = f'{index:07d}.png'
    return (osp.join(root, 'synthia', 'RGB',
                     stem), osp.join(root, 'synthia', 'GT', 'LABELS', stem))


def source_dirs(root: str, fmt: str) -> Tuple[str, str]:
    """The image and label folders of a source dataset.

    Args:
        root: the synthetic data root.
        fmt: ``'gta5'`` or ``'synthia'``.

    Returns:
        tuple[str, str]: ``gta5/images``, ``gta5/labels`` or
        ``synthia/RGB``, ``synthia/GT/LABELS`` under ``root``.
    """
    img, ann = _source_paths(root, fmt, 0)
    return osp.dirname(img), osp.dirname(ann)


def _target_stem(split: str, index: int) -> Tuple[str, str]:
    cities = TARGET_TRAIN_CITIES if split == 'train' else TARGET_VAL_CITIES
    city = cities[index % len(cities)]
    return city, f'{city}_{index // len(cities):06d}_000019'


def write_source(root: str, fmt: str, index: int, image: np.ndarray,
                 label: np.ndarray, inst: np.ndarray) -> None:
    """Write source frame ``index`` in the layout of ``fmt`` (the folders of
    :func:`source_dirs` must exist).

    GTA5: ``<index + 1:05d>.png`` image and a palette PNG of the Cityscapes
    ids; SYNTHIA: ``<index:07d>.png`` image and a 16-bit label PNG with the
    SYNTHIA class id in R and the instance id in G.

    Args:
        root: the synthetic data root.
        fmt: ``'gta5'`` or ``'synthia'``.
        index: the frame's 0-based index.
        image: ``uint8 [H, W, 3]`` RGB image.
        label: ``uint8 [H, W]`` Cityscapes label ids.
        inst: ``[H, W]`` instance ids (SYNTHIA only).
    """
    img_path, ann_path = _source_paths(root, fmt, index)
    _write_rgb(img_path, image)
    if fmt == 'gta5':
        pil = Image.fromarray(label)  # mode 'L' ...
        pil.putpalette(_palette_bytes())  # ... becomes 'P' with the palette
        pil.save(ann_path)
    else:
        to_synthia = np.zeros(256, np.uint16)
        for cid, sid in SYNTHIA_ID_OF_CITYSCAPES_ID.items():
            to_synthia[cid] = sid
        gt = np.zeros(label.shape + (3, ), np.uint16)
        gt[..., 2] = to_synthia[label]  # R (cv2 writes BGR)
        gt[..., 1] = inst  # G: instance id
        _imwrite(ann_path, gt)


def write_target(root: str, split: str, index: int, image: np.ndarray,
                 label: np.ndarray) -> None:
    """Write a Cityscapes frame (``leftImg8bit`` image, ``gtFine``
    ``labelIds`` and ``labelTrainIds``), folders made.

    Args:
        root: the synthetic data root.
        split: ``'train'`` (cities :data:`TARGET_TRAIN_CITIES`) or another
            split (:data:`TARGET_VAL_CITIES`).
        index: the frame's 0-based index in the split (cities in turn).
        image: ``uint8 [H, W, 3]`` RGB image.
        label: ``uint8 [H, W]`` Cityscapes label ids.
    """
    city, stem = _target_stem(split, index)
    img_dir = osp.join(root, 'cityscapes', 'leftImg8bit', split, city)
    ann_dir = osp.join(root, 'cityscapes', 'gtFine', split, city)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    _write_rgb(osp.join(img_dir, f'{stem}_leftImg8bit.png'), image)
    _imwrite(osp.join(ann_dir, f'{stem}_gtFine_labelIds.png'), label)
    _imwrite(
        osp.join(ann_dir, f'{stem}_gtFine_labelTrainIds.png'),
        CITYSCAPES_ID_TO_TRAINID[label])


def colourise(label_ids: np.ndarray) -> np.ndarray:
    """Colour Cityscapes label ids with their palette.

    Args:
        label_ids: ``uint8 [H, W]`` Cityscapes label ids.

    Returns:
        np.ndarray: ``uint8 [H, W, 3]`` RGB (black for ids past the
        palette).
    """
    palette = np.zeros((256, 3), np.uint8)
    palette[:len(CITYSCAPES_ID_PALETTE)] = CITYSCAPES_ID_PALETTE
    return palette[label_ids]


def write_preview(path: str, rows: List[Tuple[str, List[np.ndarray]]],
                  shape: Tuple[int, int]) -> None:
    """Write a grid: one titled row per entry of ``rows``.

    Args:
        path: the image file to write.
        rows: ``(title, cells)`` per row; the title may have ``\\n``
            lines, the cells are ``uint8 [H, W, 3]`` RGB images.
        shape: ``(H, W)`` of every cell.
    """
    h, w = shape
    margin, gap = 96, 2
    n_cols = max(len(cells) for _, cells in rows)
    grid = np.full((len(rows) * (h + gap), margin + n_cols * (w + gap), 3),
                   255, np.uint8)
    for i, (title, cells) in enumerate(rows):
        y = i * (h + gap)
        for k, line in enumerate(title.split('\n')):
            cv2.putText(grid, line, (4, y + h // 2 - 6 + 14 * k),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                        cv2.LINE_AA)
        for j, cell in enumerate(cells):
            x = margin + j * (w + gap)
            grid[y:y + h, x:x + w] = cell
    _write_rgb(path, grid)
