"""Pictures of active rounds: bought units on target images, curves."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np


def overlay_bought_regions(image: np.ndarray,
                           region_map: np.ndarray,
                           bought: np.ndarray,
                           colour: Tuple[int, int, int] = (255, 64, 0),
                           alpha: float = 0.5) -> np.ndarray:
    """RGB image with region borders (white) and bought pixels tinted.

    Args:
        image: ``uint8 [H, W, 3]`` RGB.
        region_map: ``int [H, W]`` region ids.
        bought: ``bool [H, W]`` pixels bought this round.
        colour: tint of the bought pixels.
        alpha: tint opacity.

    Returns:
        np.ndarray: ``uint8 [H, W, 3]``.
    """
    from skimage.segmentation import find_boundaries
    out = image.astype(np.float32).copy()
    tint = np.asarray(colour, dtype=np.float32)
    out[bought] = (1 - alpha) * out[bought] + alpha * tint
    out[find_boundaries(region_map, mode='inner')] = 255
    out[find_boundaries(bought.astype(np.int32), mode='inner')] = tint
    return np.clip(out, 0, 255).astype(np.uint8)


def draw_round_overlays(out_dir: str,
                        items: Sequence[Tuple[str, np.ndarray, np.ndarray,
                                              str]],
                        max_width: int = 1024) -> List[str]:
    """Write ``<out_dir>/<stem>.jpg`` overlays; returns the paths.

    Args:
        out_dir: destination folder (created).
        items: ``(image_path, region_map, bought_mask, stem)`` tuples.
        max_width: images wider than this are downscaled.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for img_path, rmap, bought, stem in items:
        img = cv2.imread(img_path, cv2.IMREAD_COLOR)
        if img is None or img.shape[:2] != rmap.shape:
            continue
        if img.shape[1] > max_width:  # downscale first: borders are costly
            size = (max_width, int(img.shape[0] * max_width / img.shape[1]))
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            rmap = cv2.resize(
                rmap.astype(np.int32), size, interpolation=cv2.INTER_NEAREST)
            bought = cv2.resize(
                bought.astype(np.uint8), size,
                interpolation=cv2.INTER_NEAREST) > 0
        vis = overlay_bought_regions(img[..., ::-1], rmap, bought)
        path = osp.join(out_dir, f'{stem}.jpg')
        tmp = path + '.tmp.jpg'
        cv2.imwrite(tmp, vis[..., ::-1])
        os.replace(tmp, path)
        paths.append(path)
    return paths


def read_start(work_dir: str) -> Optional[Dict]:
    """``active/start.json``: the score before the first round.

    Args:
        work_dir: the run's work dir.

    Returns:
        dict | None: the parsed file; ``None`` if absent.
    """
    path = osp.join(work_dir, 'active', 'start.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def read_rounds(work_dir: str, allow_gaps: bool = False) -> List[Dict]:
    """The committed ``active/round_<k>.json`` reports of a run, by round;
    for a run that bought online, its validations (``active/evals.json``).

    Args:
        work_dir: the run's work dir.
        allow_gaps: return the reports that exist when a committed round's
            report is missing (each report carries its ``round``) instead
            of raising ``FileNotFoundError`` naming it.
    """
    evals = osp.join(work_dir, 'active', 'evals.json')
    if osp.isfile(evals):
        with open(evals) as f:
            return json.load(f)
    state_path = osp.join(work_dir, 'active', 'state.json')
    if not osp.isfile(state_path):
        raise FileNotFoundError(f'{work_dir} holds no active label store '
                                f'({state_path} is missing)')
    with open(state_path) as f:
        last = int(json.load(f)['round'])
    out, missing = [], []
    for k in range(1, last + 1):
        path = osp.join(work_dir, 'active', f'round_{k}.json')
        if osp.isfile(path):
            with open(path) as f:
                out.append(json.load(f))
        else:
            missing.append(path)
    if missing and not allow_gaps:
        raise FileNotFoundError(
            f'{work_dir}: the report of {len(missing)} committed round(s) '
            f'is missing ({", ".join(missing)}; {state_path} says rounds '
            f'1..{last} are committed): the rounds after it would be shown '
            'as earlier ones. Restore it, or allow the gap (plot_active_'
            'curves.py --allow-gaps) to show the other rounds under their '
            'own numbers')
    return out


def plot_curves(runs: Dict[str, str],
                out_path: str,
                title: Optional[str] = None,
                baseline: Optional[float] = None,
                lower: Optional[float] = None,
                allow_gaps: bool = False) -> str:
    """Score vs % labelled target, one line per run (ADeADA Fig. 3 view).

    The score is each round's ``score`` (the metric the run's
    :class:`~mmseg_ada.engine.hooks.RoundMetricHook` records: mIoU for
    segmentation, accuracy for classification).

    Args:
        runs: ``{label: work_dir}``.
        out_path: image file to write (``.png``/``.pdf``...).
        title: figure title.
        baseline: optional upper horizontal line (full supervision).
        lower: optional lower horizontal line (source only).
        allow_gaps: see :func:`read_rounds`.

    Returns:
        str: ``out_path``.
    """
    plt, fig, ax = curve_figure()
    unit, name = 'units', 'score'
    for label, work_dir in runs.items():
        rows = [
            r for r in read_rounds(work_dir, allow_gaps)
            if r.get('score') is not None
        ]
        if not rows:
            continue
        unit = {
            'region': 'pixels',
            'pixel': 'pixels',
            'image': 'images'
        }.get(rows[0].get('unit'), unit)
        name = rows[0].get('score_name', name)
        x = [100.0 * r['labeled_fraction'] for r in rows]
        y = [float(r['score']) for r in rows]
        start = read_start(work_dir)
        if start is not None and start.get('score') is not None:
            x, y = [0.0] + x, [float(start['score'])] + y
        ax.plot(x, y, marker='o', label=label)
    return save_curve_figure(plt, fig, ax, out_path, unit, name, title,
                             baseline, lower)


def curve_figure() -> tuple:
    """A new figure for score-vs-labelled curves (Agg backend).

    Returns:
        tuple: ``matplotlib.pyplot``, the figure and its axes.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    return plt, fig, ax


def save_curve_figure(plt: Any, fig: Any, ax: Any, out_path: str, unit: str,
                      ylabel: str, title: Optional[str],
                      baseline: Optional[float],
                      lower: Optional[float]) -> str:
    """Finish a :func:`curve_figure` (reference lines, labels, legend),
    write it to ``out_path`` and close it.

    Args:
        plt: ``matplotlib.pyplot``.
        fig: the figure.
        ax: its axes, with the curves drawn.
        out_path: image file to write.
        unit: what the x axis counts (``'pixels'``, ``'images'``...).
        ylabel: the y axis label.
        title: figure title.
        baseline: optional upper horizontal line (target only).
        lower: optional lower horizontal line (source only).

    Returns:
        str: ``out_path``.
    """
    if baseline is not None:
        ax.axhline(baseline, color='grey', linestyle='--', label='target only')
    if lower is not None:
        ax.axhline(lower, color='grey', linestyle=':', label='source only')
    ax.set_xlabel(f'% of target {unit} labelled')
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    fig.savefig(out_path)
    plt.close(fig)
    return out_path


def draw_image_grid(out_path: str,
                    items: Sequence[Tuple[str, str]],
                    thumb: int = 96,
                    columns: int = 8) -> Optional[str]:
    """A contact sheet of bought images with captions (image units).

    Args:
        out_path: the JPEG to write.
        items: ``(image_path, caption)`` pairs.
        thumb: thumbnail side in pixels.
        columns: thumbnails per row.

    Returns:
        str: ``out_path`` (``None`` when no image could be read).
    """
    tiles = []
    for path, caption in items:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            continue
        img = cv2.resize(img, (thumb, thumb), interpolation=cv2.INTER_AREA)
        tile = np.full((thumb + 16, thumb, 3), 255, np.uint8)
        tile[:thumb] = img
        cv2.putText(tile, caption[:14], (2, thumb + 12),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        return None
    rows = []
    for r in range(0, len(tiles), columns):
        row = tiles[r:r + columns]
        row += [np.full_like(tiles[0], 255)] * (columns - len(row))
        rows.append(np.concatenate(row, axis=1))
    sheet = np.concatenate(rows, axis=0)
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    tmp = out_path + '.tmp.jpg'
    cv2.imwrite(tmp, sheet)
    os.replace(tmp, out_path)
    return out_path
