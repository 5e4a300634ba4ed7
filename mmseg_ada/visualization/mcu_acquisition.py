"""A figure of what ADA-MCU bought and pseudo-labelled in a few crops.

:class:`~mmseg_ada.models.segmentors.MCUEncoderDecoder` keeps the arrays of
an acquisition every ``vis_interval`` iterations
(``model.acquisition_record``); :func:`write_acquisition_figure` draws them
(:func:`draw_acquisition`) into ``mcu_acquisition_<iter>.png``, called by
:class:`~mmseg_ada.engine.hooks.MCUAcquisitionHook` after the iteration.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = [
    'GROUP_COLOURS', 'default_palette', 'draw_acquisition', 'resolve_vis_dir',
    'write_acquisition_figure'
]

#: Colours of the uncertainty groups (RGB): low, medium, high.
GROUP_COLOURS = np.array([[46, 160, 67], [240, 200, 40], [214, 39, 40]],
                         dtype=np.uint8)


def default_palette(num_classes: int) -> np.ndarray:
    """Cityscapes' palette for 19 classes, a seeded one otherwise.

    Args:
        num_classes: ``C``.

    Returns:
        np.ndarray: ``uint8 [C, 3]`` RGB colours (random with seed 0 when
        ``C != 19``).
    """
    if num_classes == 19:
        from mmseg.datasets import CityscapesDataset
        return np.array(CityscapesDataset.METAINFO['palette'], np.uint8)
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (num_classes, 3), dtype=np.uint8)


def _paint(base: np.ndarray, labels: np.ndarray, palette: np.ndarray,
           radius: int, ignore_index: int) -> np.ndarray:
    out = (base * 0.35).astype(np.uint8)
    lab = labels.copy()
    keep = (lab != ignore_index) & (lab >= 0) & (lab < len(palette))
    if radius > 0 and keep.any():
        import cv2

        # grow every labelled pixel into a small square of its colour
        k = 2 * radius + 1
        grown = cv2.dilate(
            np.where(keep, lab, -1).astype(np.float32),
            np.ones((k, k), np.uint8))
        lab = grown.astype(np.int64)
        keep = lab >= 0
    out[keep] = palette[lab[keep]]
    return out


def draw_acquisition(images: Sequence[np.ndarray],
                     bought: Sequence[np.ndarray],
                     pseudo: Sequence[np.ndarray],
                     groups: Optional[Sequence[np.ndarray]] = None,
                     palette: Optional[np.ndarray] = None,
                     num_classes: int = 19,
                     ignore_index: int = 255,
                     radius: int = 1) -> np.ndarray:
    """One row per crop: image | groups | bought labels | pseudo-labels.

    Args:
        images (Sequence[np.ndarray]): RGB uint8 ``[H, W, 3]`` crops.
        bought (Sequence[np.ndarray]): ``[H, W]`` labels of bought pixels
            (``ignore_index`` elsewhere).
        pseudo (Sequence[np.ndarray]): ``[H, W]`` pseudo-labels likewise.
        groups (Sequence[np.ndarray], optional): ``[H, W]`` uncertainty
            groups (0 low, 1 medium, 2 high, -1 invalid).
        palette (np.ndarray, optional): ``[C, 3]`` RGB colours.
        num_classes (int): ``C`` for the default palette.
        ignore_index (int): Unlabelled value.
        radius (int): Sparse labelled pixels are drawn as squares of this
            radius so they stay visible.

    Returns:
        np.ndarray: RGB uint8 figure.
    """
    if palette is None:
        palette = default_palette(num_classes)
    palette = np.asarray(palette, np.uint8)
    rows = []
    for i, img in enumerate(images):
        img = np.asarray(img, np.uint8)
        panels = [img]
        if groups is not None:
            g = np.asarray(groups[i])
            panel = (img * 0.35).astype(np.uint8)
            ok = g >= 0
            panel[ok] = (0.5 * panel[ok] + 0.5 * GROUP_COLOURS[g[ok]]).astype(
                np.uint8)
            panels.append(panel)
        panels.append(
            _paint(img, np.asarray(bought[i]), palette, radius, ignore_index))
        panels.append(
            _paint(img, np.asarray(pseudo[i]), palette, radius, ignore_index))
        sep = np.full((img.shape[0], 4, 3), 255, np.uint8)
        row = [panels[0]]
        for p in panels[1:]:
            row += [sep, p]
        rows.append(np.concatenate(row, axis=1))
    width = max(r.shape[1] for r in rows)
    out = []
    for r in rows:
        pad = np.full((r.shape[0], width - r.shape[1], 3), 255, np.uint8)
        out += [
            np.concatenate([r, pad], 1),
            np.full((4, width, 3), 255, np.uint8)
        ]
    return np.concatenate(out[:-1], axis=0)


def resolve_vis_dir(vis_dir: Optional[str] = None) -> Optional[str]:
    """``vis_dir``, or ``mcu_acquisition`` beside the runner's
    visualisation data (the current ``Visualizer``'s save dir).

    Args:
        vis_dir: the model's ``vis_dir`` (``None``: the default).

    Returns:
        The folder, or ``None`` when there is neither.
    """
    if vis_dir:
        return vis_dir
    from mmengine.visualization import Visualizer
    try:
        vis = Visualizer.get_current_instance()
    except RuntimeError:  # no visualizer built (no runner)
        return None
    for backend in getattr(vis, '_vis_backends', {}).values():
        save_dir = getattr(backend, '_save_dir', None)
        if save_dir:
            return osp.join(save_dir, 'mcu_acquisition')
    return None


def write_acquisition_figure(record: Dict[str, Any]) -> np.ndarray:
    """Draw an acquisition record and write it (when there is a folder).

    Args:
        record: ``MCUEncoderDecoder.acquisition_record``: ``iteration``,
            ``images``, ``bought``, ``pseudo``, ``groups``, ``num_classes``,
            ``ignore_index`` and ``vis_dir``.

    Returns:
        np.ndarray: the RGB uint8 figure, written to
        ``<vis_dir>/mcu_acquisition_<iteration:07d>.png`` (see
        :func:`resolve_vis_dir`).
    """
    fig = draw_acquisition(
        record['images'],
        record['bought'],
        record['pseudo'],
        record['groups'],
        num_classes=record['num_classes'],
        ignore_index=record['ignore_index'])
    out_dir = resolve_vis_dir(record.get('vis_dir'))
    if out_dir is None:
        return fig
    os.makedirs(out_dir, exist_ok=True)
    import mmcv
    mmcv.imwrite(
        fig[..., ::-1],
        osp.join(out_dir, f"mcu_acquisition_{record['iteration']:07d}.png"))
    return fig
