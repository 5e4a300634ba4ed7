"""Pictures of active rounds: bought regions on target images, curves."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from skimage.segmentation import find_boundaries


def overlay_bought_regions(image: np.ndarray, region_map: np.ndarray,
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
        vis = overlay_bought_regions(img[..., ::-1], rmap, bought)
        if vis.shape[1] > max_width:
            scale = max_width / vis.shape[1]
            vis = cv2.resize(vis, (max_width, int(vis.shape[0] * scale)),
                             interpolation=cv2.INTER_AREA)
        path = osp.join(out_dir, f'{stem}.jpg')
        tmp = path + '.tmp.jpg'
        cv2.imwrite(tmp, vis[..., ::-1])
        os.replace(tmp, path)
        paths.append(path)
    return paths


def read_rounds(work_dir: str) -> List[Dict]:
    """The committed ``active/round_<k>.json`` reports of a run, by round."""
    state_path = osp.join(work_dir, 'active', 'state.json')
    if not osp.isfile(state_path):
        raise FileNotFoundError(f'{work_dir} holds no active label store '
                                f'({state_path} is missing)')
    with open(state_path) as f:
        last = int(json.load(f)['round'])
    out = []
    for k in range(1, last + 1):
        path = osp.join(work_dir, 'active', f'round_{k}.json')
        if osp.isfile(path):
            with open(path) as f:
                out.append(json.load(f))
    return out


def plot_curves(runs: Dict[str, str], out_path: str,
                title: Optional[str] = None,
                baseline: Optional[float] = None) -> str:
    """mIoU vs % labelled target pixels, one line per run (ADeADA Fig. 3).

    Args:
        runs: ``{label: work_dir}``.
        out_path: image file to write (``.png``/``.pdf``...).
        title: figure title.
        baseline: optional horizontal line (e.g. full supervision mIoU).

    Returns:
        str: ``out_path``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4.2), dpi=120)
    for label, work_dir in runs.items():
        rows = [r for r in read_rounds(work_dir) if r.get('miou') is not None]
        if not rows:
            continue
        x = [100.0 * r['labeled_fraction'] for r in rows]
        y = [float(r['miou']) for r in rows]
        ax.plot(x, y, marker='o', label=label)
    if baseline is not None:
        ax.axhline(baseline, color='grey', linestyle='--',
                   label='full supervision')
    ax.set_xlabel('% of target pixels labelled')
    ax.set_ylabel('mIoU (%)')
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_path)), exist_ok=True)
    fig.savefig(out_path)
    plt.close(fig)
    return out_path
