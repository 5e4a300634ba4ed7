"""A small synthetic source/target pair in the real on-disk formats.

The demo (``make demo``, ``make demo-active``) and many tests need a
source/target domain-adaptation pair that is tiny, deterministic, generated
in seconds and stored exactly like the real datasets, so that the real
converters and mmseg's real dataset classes run on it:

* **source**, GTA5 layout (default)::

      ROOT/gta5/images/00001.png      RGB
      ROOT/gta5/labels/00001.png      'P' mode, values = Cityscapes label ids,
                                      Cityscapes palette attached

  No ``*_labelTrainIds.png`` is written: ``tools/dataset_converters/gta5.py``
  makes them, as for the real dataset.  With ``source_format='synthia'``::

      ROOT/synthia/RGB/0000000.png        RGB
      ROOT/synthia/GT/LABELS/0000000.png  uint16, 3 channels: R = SYNTHIA
                                          class id, G = instance id, B = 0

* **target**, Cityscapes layout (read by mmseg's ``CityscapesDataset``)::

      ROOT/cityscapes/leftImg8bit/{train,val}/<city>/
          <city>_<seq:06d>_000019_leftImg8bit.png
      ROOT/cityscapes/gtFine/{train,val}/<city>/
          <city>_<seq:06d>_000019_gtFine_labelIds.png       uint8 label ids
          <city>_<seq:06d>_000019_gtFine_labelTrainIds.png  uint8 trainIds

* ``ROOT/preview.png`` (a grid of source and target images with colourised
  labels) and ``ROOT/synthetic_meta.json`` (the parameters; written last).

Scenes are street-like (sky, buildings and trees above the horizon, road
and sidewalks below it, cars, persons, poles carrying traffic signs or
lights) over ten of the 19 Cityscapes classes (:data:`SYNTHETIC_CLASSES`).
The domains differ the way GTA5 and Cityscapes do, strongly enough that a
source-only model is clearly worse on the target than a target-trained one,
but not so much that nothing transfers:

* **Appearance.**  The source is sunny and saturated with flat cartoon
  shading; the target is overcast and muted (lower contrast, white-balance
  drift, slight blur, sensor noise) with textured road, sidewalk, facades,
  foliage and clouds.  Some classes keep their colour family (sky stays
  blue, vegetation green, road dark grey); others change: facades are brick
  in the source but brick, grey, blue-grey or beige in the target, cars
  blue vs. red, silver, black or blue, persons magenta vs. dark clothes,
  poles yellow vs. grey, traffic signs red vs. yellow.
* **Content.**  Target cars are smaller and more numerous; *person* is rare
  in the source (about 1 image in 10) and in nearly every target image, the
  kind of class that density-aware selection should find; the target has
  more poles, and an ego-vehicle hood (ignored, label id 1) at the bottom of
  every image.

With the defaults, the demo DeepLabV3+ (ResNet-18, 16 base channels,
``configs/demo``, 600 iterations) reaches about 25 mIoU on the target val
split when trained on the source and about 65 when trained on the labelled
target train split (person: 0 vs. 64 IoU).

Every image is drawn from its own random generator seeded by
``(seed, domain, split, index)``, so the output is byte-identical for equal
parameters and the first images do not change when counts grow.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image
from skimage import draw

__all__ = [
    'SYNTHETIC_CLASSES', 'CITYSCAPES_ID_TO_TRAINID_TABLE',
    'CITYSCAPES_ID_PALETTE', 'SYNTHIA_ID_OF_CITYSCAPES_ID',
    'TARGET_TRAIN_CITIES', 'TARGET_VAL_CITIES', 'GENERATOR_VERSION',
    'render_scene', 'make_synthetic_da'
]

#: Bumped whenever the pictures change, so stale datasets get rebuilt.
GENERATOR_VERSION = 2
META_FILE = 'synthetic_meta.json'
SOURCE_FORMATS = ('gta5', 'synthia')
DOMAINS = ('source', 'target')

# yapf: disable  (tables)
#: The classes drawn, as (name, Cityscapes label id).
SYNTHETIC_CLASSES: Tuple[Tuple[str, int], ...] = (
    ('road', 7), ('sidewalk', 8), ('building', 11), ('pole', 17),
    ('traffic light', 19), ('traffic sign', 20), ('vegetation', 21),
    ('sky', 23), ('person', 24), ('car', 26))
_ROAD, _SIDEWALK, _BUILDING, _POLE, _LIGHT, _SIGN, _VEG, _SKY, _PERSON, \
    _CAR = (cid for _, cid in SYNTHETIC_CLASSES)
_EGO = 1  # 'ego vehicle' (trainId 255), target only

#: Cityscapes label id (index, 0..33) -> trainId (255 = ignore), the
#: standard 19-class mapping of cityscapesScripts.
CITYSCAPES_ID_TO_TRAINID_TABLE: Tuple[int, ...] = (
    255, 255, 255, 255, 255, 255, 255, 0, 1, 255,  # 0-9
    255, 2, 3, 4, 255, 255, 255, 5, 255, 6,  # 10-19
    7, 8, 9, 10, 11, 12, 13, 14, 15, 255,  # 20-29
    255, 16, 17, 18)  # 30-33

#: Cityscapes label id -> RGB colour (the GTA5 / Cityscapes label palette).
CITYSCAPES_ID_PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (111, 74, 0),
    (81, 0, 81), (128, 64, 128), (244, 35, 232), (250, 170, 160),
    (230, 150, 140), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (180, 165, 180), (150, 100, 100), (150, 120, 90), (153, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35),
    (152, 251, 152), (70, 130, 180), (220, 20, 60), (255, 0, 0),
    (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 0, 90), (0, 0, 110),
    (0, 80, 100), (0, 0, 230), (119, 11, 32))

#: Cityscapes label id -> SYNTHIA RAND-CITYSCAPES class id, for the classes
#: drawn here (ego vehicle -> 0 void).
SYNTHIA_ID_OF_CITYSCAPES_ID: Dict[int, int] = {
    _EGO: 0, _ROAD: 3, _SIDEWALK: 4, _BUILDING: 2, _POLE: 7, _LIGHT: 15,
    _SIGN: 9, _VEG: 6, _SKY: 1, _PERSON: 10, _CAR: 8}

TARGET_TRAIN_CITIES = ('aachen', 'bochum', 'bremen')
TARGET_VAL_CITIES = ('frankfurt', 'lindau', 'munster')

# ---------------------------------------------------------------------------
# Domain styles.  Colours are RGB; ``variants`` lists alternative colours
# of a class, one drawn per object (facade, car, person); textures are
# amplitudes of a smooth (``coarse``) and a per-pixel (``fine``) grey noise
# field in grey levels.
_STYLES = {
    'source': dict(  # GTA-like: sunny, saturated, flat cartoon shading
        palette={
            _ROAD: (70, 70, 82), _SIDEWALK: (196, 156, 120),
            _BUILDING: (176, 98, 66), _POLE: (214, 200, 56),
            _LIGHT: (34, 34, 38), _SIGN: (232, 48, 40),
            _VEG: (46, 172, 48), _SKY: (84, 156, 250),
            _PERSON: (232, 84, 172), _CAR: (40, 72, 212),
            _EGO: (30, 30, 30)},
        instance_jitter=14.0, stuff_jitter=8.0,
        coarse={_VEG: 10.0, _BUILDING: 3.0, _ROAD: 2.0},
        fine={},
        fine_default=1.5, coarse_default=0.0,
        window_tint=-60.0, marking_tint=150.0, tile_tint=0.0,
        sky_gradient=40.0,
        contrast=(1.0, 1.15), brightness=(-5.0, 10.0), white_balance=0.0,
        blur_sigma=0.0, sensor_noise=1.5,
        horizon=(0.36, 0.48),
        num_cars=(1, 3), car_width=0.42,
        person_prob=0.12, num_persons=(1, 1), person_height=0.5,
        cross_prob=0.0,
        num_poles=(1, 3), sign_prob=0.6, light_prob=0.3,
        num_trees=(2, 4), num_street_trees=(1, 2),
        facade_prob=0.5, ego_vehicle=False, variants={}),
    'target': dict(  # Cityscapes-like: overcast, muted, textured, blurred
        palette={
            _ROAD: (100, 96, 108), _SIDEWALK: (168, 160, 162),
            _BUILDING: (130, 122, 112), _POLE: (150, 150, 146),
            _LIGHT: (50, 52, 40), _SIGN: (222, 190, 50),
            _VEG: (78, 126, 54), _SKY: (150, 180, 214),
            _PERSON: (74, 52, 92), _CAR: (150, 44, 54),
            _EGO: (38, 38, 44)},
        variants={
            _BUILDING: ((130, 122, 112), (150, 100, 80), (112, 116, 126),
                        (164, 152, 128)),
            _CAR: ((150, 44, 54), (160, 160, 166), (46, 46, 56),
                   (52, 78, 170)),
            _PERSON: ((74, 52, 92), (62, 62, 72), (120, 64, 52))},
        instance_jitter=16.0, stuff_jitter=8.0,
        coarse={_ROAD: 6.0, _SIDEWALK: 5.0, _BUILDING: 8.0, _VEG: 16.0,
                _SKY: 10.0},
        fine={_ROAD: 8.0, _SIDEWALK: 6.0, _BUILDING: 5.0, _VEG: 10.0},
        fine_default=3.0, coarse_default=2.0,
        window_tint=-40.0, marking_tint=90.0, tile_tint=-22.0,
        sky_gradient=20.0,
        contrast=(0.85, 0.95), brightness=(-10.0, 5.0), white_balance=0.04,
        blur_sigma=0.5, sensor_noise=3.0,
        horizon=(0.40, 0.50),
        num_cars=(2, 6), car_width=0.32,
        person_prob=0.95, num_persons=(3, 6), person_height=0.5,
        cross_prob=0.25,
        num_poles=(2, 4), sign_prob=0.6, light_prob=0.3,
        num_trees=(2, 5), num_street_trees=(1, 2),
        facade_prob=0.7, ego_vehicle=True),
}

# yapf: enable

_DOMAIN_CODE = {'source': 0, 'target': 1}
_SPLIT_CODE = {'train': 0, 'val': 1}


class _Canvas:
    """Label map, per-pixel colour offsets and instance ids drawn together.

    Args:
        shape (tuple[int, int]): ``(height, width)``.
    """

    def __init__(self, shape: Tuple[int, int]) -> None:
        self.shape = shape
        self.label = np.zeros(shape, np.uint8)
        self.offset = np.zeros(shape + (3, ), np.float32)
        self.inst = np.zeros(shape, np.uint16)
        self.num_inst = 0

    def paint(self,
              rr: np.ndarray,
              cc: np.ndarray,
              cls: int,
              offset: Sequence[float] = (0., 0., 0.),
              inst: int = 0) -> None:
        """Set class, colour offset and instance of the pixels (rr, cc)."""
        self.label[rr, cc] = cls
        self.offset[rr, cc] = offset
        self.inst[rr, cc] = inst

    def tint(self, rr: np.ndarray, cc: np.ndarray, offset: Sequence[float],
             cls: int) -> None:
        """Add a colour offset to the pixels (rr, cc) of class ``cls``."""
        keep = self.label[rr, cc] == cls
        self.offset[rr[keep], cc[keep]] += np.asarray(offset, np.float32)

    def new_instance(self) -> int:
        """Return a fresh instance id (1, 2, ...)."""
        self.num_inst += 1
        return self.num_inst


def _rect(canvas: _Canvas, r0: float, c0: float, r1: float,
          c1: float) -> Tuple[np.ndarray, np.ndarray]:
    """Pixels of the axis-aligned box spanning rows r0..r1, cols c0..c1."""
    r0, r1 = sorted((int(round(r0)), int(round(r1))))
    c0, c1 = sorted((int(round(c0)), int(round(c1))))
    h, w = canvas.shape
    if r1 < 0 or c1 < 0 or r0 >= h or c0 >= w:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    rr, cc = draw.rectangle((r0, c0), (r1, c1), shape=canvas.shape)
    return rr.ravel().astype(np.intp), cc.ravel().astype(np.intp)


def _poly(canvas: _Canvas, rows: Sequence[float],
          cols: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
    return draw.polygon(
        np.asarray(rows, float), np.asarray(cols, float), shape=canvas.shape)


def _ellipse(canvas: _Canvas, r: float, c: float, rr: float,
             rc: float) -> Tuple[np.ndarray, np.ndarray]:
    return draw.ellipse(r, c, max(rr, 0.6), max(rc, 0.6), shape=canvas.shape)


def _jitter(rng: np.random.Generator, sigma: float) -> np.ndarray:
    return rng.normal(0.0, sigma, 3).astype(np.float32)


def _colour_offset(rng: np.random.Generator, style: dict, cls: int,
                   sigma: float) -> np.ndarray:
    """Offset from the palette colour of ``cls`` for one object: a random
    pick among the style's colour variants of the class (if any) plus
    Gaussian jitter."""
    off = _jitter(rng, sigma)
    variants = style['variants'].get(cls)
    if variants:
        pick = variants[int(rng.integers(len(variants)))]
        off += np.asarray(pick, np.float32) - np.asarray(
            style['palette'][cls], np.float32)
    return off


class _Street:
    """Geometry of one street scene: horizon, vanishing point, road edges."""

    def __init__(self, rng: np.random.Generator, shape: Tuple[int, int],
                 horizon: Tuple[float, float]) -> None:
        h, w = shape
        self.h, self.w = h, w
        self.yh = int(round(h * rng.uniform(*horizon)))
        self.vx = w * rng.uniform(0.4, 0.6)
        self.half_top = w * rng.uniform(0.01, 0.03)
        self.xl = w * rng.uniform(-0.25, 0.15)
        self.xr = w * rng.uniform(0.85, 1.25)

    def depth(self, y: float) -> float:
        """0 at the horizon, 1 at the bottom row."""
        return float(
            np.clip((y - self.yh) / max(self.h - 1 - self.yh, 1), 0.0, 1.0))

    def road_edges(self, y: float) -> Tuple[float, float]:
        t = self.depth(y)
        left = (self.vx - self.half_top) + t * (
            self.xl - (self.vx - self.half_top))
        right = (self.vx + self.half_top) + t * (
            self.xr - (self.vx + self.half_top))
        return left, right


def _draw_windows(canvas: _Canvas, rng: np.random.Generator, top: float,
                  bottom_left: float, bottom_right: float, top_right: float,
                  c0: float, c1: float, tint: float) -> None:
    """Tint a grid of windows on a (possibly perspective) facade.

    The facade spans columns c0..c1; its top edge runs from ``top`` (at c0)
    to ``top_right`` (at c1) and its bottom edge from ``bottom_left`` to
    ``bottom_right``.  Each pixel gets facade coordinates (u across, f
    down, both 0..1) and is a window pixel where both fall inside a cell's
    window part, so the grid follows the perspective.
    """
    width = c1 - c0
    if abs(width) < 6:
        return
    n_cols = max(1, int(abs(width) // rng.uniform(6.0, 10.0)))
    n_rows = int(rng.integers(2, 6))
    h, w = canvas.shape
    x_lo = int(np.clip(np.floor(min(c0, c1)), 0, w - 1))
    x_hi = int(np.clip(np.ceil(max(c0, c1)), 0, w - 1))
    cols = np.arange(x_lo, x_hi + 1, dtype=np.float32)
    u = (cols - c0) / width
    t_top = top + u * (top_right - top)
    t_bot = bottom_left + u * (bottom_right - bottom_left)
    y_lo = int(np.clip(np.floor(min(t_top.min(), t_bot.min())), 0, h - 1))
    y_hi = int(np.clip(np.ceil(max(t_top.max(), t_bot.max())), 0, h - 1))
    rows = np.arange(y_lo, y_hi + 1, dtype=np.float32)[:, None]
    f = (rows - t_top) / np.maximum(t_bot - t_top, 1e-3)
    fu = (u * n_cols) % 1.0
    fv = ((f - 0.1) / 0.8 * n_rows) % 1.0
    inside = (u >= 0) & (u < 1) & (fu >= 0.25) & (fu < 0.75)
    mask = inside & (f >= 0.1) & (f < 0.9) & (fv >= 0.2) & (fv < 0.7)
    rr, cc = np.nonzero(mask)
    canvas.tint(rr + y_lo, cc + x_lo, (tint, tint, tint * 0.6), _BUILDING)


def _draw_tree(canvas: _Canvas, rng: np.random.Generator, cy: float, cx: float,
               ry: float, rx: float, foot: Optional[float],
               jitter: float) -> None:
    if foot is not None:
        trunk_w = max(1.0, rx * 0.15)
        canvas.paint(
            *_rect(canvas, cy, cx - trunk_w / 2, foot, cx + trunk_w / 2), _VEG,
            (-40., -50., -30.))
    off = _jitter(rng, jitter)
    for _ in range(int(rng.integers(1, 4))):  # a few lobes per canopy
        canvas.paint(
            *_ellipse(canvas, cy + rng.normal(0, ry * 0.3),
                      cx + rng.normal(0, rx * 0.3), ry * rng.uniform(0.6, 1.0),
                      rx * rng.uniform(0.6, 1.0)), _VEG, off)


def _draw_car(canvas: _Canvas, rng: np.random.Generator, street: _Street,
              foot: float, style: dict) -> None:
    s = street.depth(foot)
    width = street.w * style['car_width'] * s * rng.uniform(0.8, 1.2)
    width = max(width, 5.0)
    height = width * rng.uniform(0.5, 0.65)
    left, right = street.road_edges(foot)
    lo, hi = left + width / 2, right - width / 2
    cx = rng.uniform(lo, hi) if hi > lo else (left + right) / 2
    inst = canvas.new_instance()
    off = _colour_offset(rng, style, _CAR, style['instance_jitter'])
    x0, x1 = cx - width / 2, cx + width / 2
    # body, cabin (trapezoid), wheels
    canvas.paint(
        *_rect(canvas, foot - 0.62 * height, x0, foot - 0.12 * height, x1),
        _CAR, off, inst)
    inset = width * rng.uniform(0.12, 0.22)
    rr, cc = _poly(canvas, [
        foot - height, foot - height, foot - 0.6 * height, foot - 0.6 * height
    ], [
        x0 + inset + width * 0.08, x1 - inset - width * 0.08,
        x1 - width * 0.06, x0 + width * 0.06
    ])
    canvas.paint(rr, cc, _CAR, off, inst)
    glass = (-70., -60., -30.)
    rr, cc = _poly(canvas, [
        foot - 0.95 * height, foot - 0.95 * height, foot - 0.66 * height,
        foot - 0.66 * height
    ], [
        x0 + inset + width * 0.1, x1 - inset - width * 0.1, x1 - width * 0.1,
        x0 + width * 0.1
    ])
    canvas.tint(rr, cc, glass, _CAR)
    wheel_r = 0.16 * height
    for wx in (x0 + 0.2 * width, x1 - 0.2 * width):
        rr, cc = _ellipse(canvas, foot - wheel_r, wx, wheel_r, wheel_r * 1.1)
        canvas.paint(rr, cc, _CAR, off - 90.0, inst)


def _draw_person(canvas: _Canvas, rng: np.random.Generator, street: _Street,
                 foot: float, style: dict) -> bool:
    s = street.depth(foot)
    height = max(
        street.h * style['person_height'] * s * rng.uniform(0.85, 1.15), 6.0)
    width = height * 0.36
    left, right = street.road_edges(foot)
    if rng.uniform() < style['cross_prob']:
        cx = rng.uniform(left + width, right - width) \
            if right - left > 2 * width else (left + right) / 2
    else:
        sides = []
        if left - width > 0:
            sides.append((0.0 + width / 2, left - width / 2))
        if right + width < street.w:
            sides.append((right + width / 2, street.w - width / 2))
        if not sides:
            return False
        lo, hi = sides[int(rng.integers(len(sides)))]
        cx = rng.uniform(lo, hi)
    inst = canvas.new_instance()
    off = _colour_offset(rng, style, _PERSON, style['instance_jitter'])
    leg_w = max(width * 0.22, 0.6)
    for dx in (-0.2, 0.2):  # legs
        lx = cx + dx * width
        canvas.paint(
            *_rect(canvas, foot - 0.48 * height, lx - leg_w / 2, foot,
                   lx + leg_w / 2), _PERSON, off - 30.0, inst)
    canvas.paint(*_ellipse(canvas, foot - 0.66 * height, cx, 0.22 * height,
                           width / 2), _PERSON, off, inst)  # torso
    skin = np.array((60., 30., 10.), np.float32)
    canvas.paint(
        *_ellipse(canvas, foot - 0.92 * height, cx, 0.09 * height,
                  max(0.09 * height, 0.6)), _PERSON, off + skin, inst)
    return True


def _draw_pole(canvas: _Canvas, rng: np.random.Generator, street: _Street,
               foot: float, style: dict) -> None:
    s = street.depth(foot)
    left, right = street.road_edges(foot)
    margin = 2.0 + 6.0 * s
    if left - margin > 1 and (right + margin > street.w - 2
                              or rng.uniform() < 0.5):
        cx = left - margin
    elif right + margin < street.w - 2:
        cx = right + margin
    else:
        return
    height = min(street.h * (0.25 + 0.65 * s) * rng.uniform(0.8, 1.1),
                 foot - 2)
    top = foot - height
    pw = max(3.0, street.w / 256 * 6.0 * s)
    off = _jitter(rng, style['stuff_jitter'])
    canvas.paint(*_rect(canvas, top, cx - pw / 2, foot, cx + pw / 2 - 1),
                 _POLE, off)
    size = max(4.0, street.h * 0.10 * (0.35 + s))
    u = rng.uniform()
    if u < style['sign_prob']:
        inst = canvas.new_instance()
        off = _jitter(rng, style['instance_jitter'] * 0.5)
        shape = int(rng.integers(3))
        if shape == 0:
            rr, cc = draw.disk((top, cx), size, shape=canvas.shape)
        elif shape == 1:
            rr, cc = _poly(canvas,
                           [top - size, top + size * 0.8, top + size * 0.8],
                           [cx, cx - size, cx + size])
        else:
            rr, cc = _rect(canvas, top - size * 0.7, cx - size,
                           top + size * 0.7, cx + size)
        canvas.paint(rr, cc, _SIGN, off, inst)
        ri, ci = draw.disk((top, cx),
                           max(size * 0.45, 0.8),
                           shape=canvas.shape)
        canvas.tint(ri, ci, (40., 40., 40.), _SIGN)
    elif u < style['sign_prob'] + style['light_prob']:
        inst = canvas.new_instance()
        bw = max(3.0, size * 0.9)
        canvas.paint(
            *_rect(canvas, top - 1.4 * size, cx - bw / 2, top + 1.4 * size,
                   cx + bw / 2), _LIGHT, _jitter(rng, 4.0), inst)
        lamp = [(200., -20., -20.), (-20., 200., 60.),
                (200., 160., -20.)][int(rng.integers(3))]
        ri, ci = draw.disk((top - 0.6 * size, cx),
                           max(bw * 0.3, 0.6),
                           shape=canvas.shape)
        canvas.tint(ri, ci, lamp, _LIGHT)


def _layout(rng: np.random.Generator, shape: Tuple[int, int],
            style: dict) -> Tuple[_Canvas, _Street]:
    """Draw the label map (and colour offsets) of one street scene."""
    h, w = shape
    canvas = _Canvas(shape)
    street = _Street(rng, shape, style['horizon'])
    yh = street.yh
    sj = style['stuff_jitter']
    canvas.paint(*_rect(canvas, 0, 0, h - 1, w - 1), _SKY, _jitter(rng, sj))

    # background buildings along the horizon, with windows
    x = -rng.uniform(0, w * 0.1)
    while x < w:
        bw = w * rng.uniform(0.05, 0.18)
        if rng.uniform() > 0.15:
            top = yh - h * rng.uniform(0.08, 0.38)
            canvas.paint(*_rect(canvas, top, x, yh - 1, x + bw - 1), _BUILDING,
                         _colour_offset(rng, style, _BUILDING, sj))
            _draw_windows(canvas, rng, top, yh - 1, yh - 1, top, x, x + bw - 1,
                          style['window_tint'])
        x += bw
    for _ in range(
            int(
                rng.integers(style['num_trees'][0],
                             style['num_trees'][1] + 1))):
        _draw_tree(canvas, rng, yh - h * rng.uniform(0.0, 0.12),
                   rng.uniform(0, w), h * rng.uniform(0.05, 0.12),
                   w * rng.uniform(0.03, 0.08), None, sj)

    # ground: sidewalk everywhere below the horizon, then facades and road
    canvas.paint(*_rect(canvas, yh, 0, h - 1, w - 1), _SIDEWALK,
                 _jitter(rng, sj))
    if style['tile_tint']:
        for r in range(yh + 2, h, 5):
            rr, cc = _rect(canvas, r, 0, r, w - 1)
            canvas.tint(rr, cc, (style['tile_tint'], ) * 3, _SIDEWALK)
    for side in (0, 1):
        if rng.uniform() >= style['facade_prob']:
            continue
        top_near = h * rng.uniform(-0.3, 0.1)
        top_far = yh - h * rng.uniform(0.1, 0.3)
        bottom_near = yh + (h - yh) * rng.uniform(0.2, 0.5)
        if side == 0:
            edge, far = 0.0, min(street.vx - street.half_top - w * 0.03,
                                 w * rng.uniform(0.15, 0.35))
        else:
            edge, far = w - 1.0, max(street.vx + street.half_top + w * 0.03,
                                     w * rng.uniform(0.65, 0.85))
        canvas.paint(
            *_poly(canvas, [top_near, top_far, yh, bottom_near],
                   [edge, far, far, edge]), _BUILDING,
            _colour_offset(rng, style, _BUILDING, sj))
        _draw_windows(canvas, rng, top_near, bottom_near, yh, top_far, edge,
                      far, style['window_tint'])
    canvas.paint(
        *_poly(canvas, [yh, yh, h + 1, h + 1], [
            street.vx - street.half_top, street.vx + street.half_top,
            street.xr, street.xl
        ]), _ROAD, _jitter(rng, sj))
    # dashed centre line (labelled road, as in Cityscapes and GTA5)
    bottom_c = (street.xl + street.xr) / 2
    t = 0.05
    while t < 1.0:
        t1 = min(t + 0.04 + 0.12 * t, 1.0)
        rows, cols = [], []
        for tt, sgn in ((t, -1), (t, 1), (t1, 1), (t1, -1)):
            y = yh + tt * (h - 1 - yh)
            c = street.vx + tt * (bottom_c - street.vx)
            rows.append(y)
            cols.append(c + sgn * (0.3 + w * 0.006 * tt))
        rr, cc = _poly(canvas, rows, cols)
        canvas.tint(rr, cc, (style['marking_tint'], ) * 3, _ROAD)
        t = t1 + 0.04 + 0.1 * t1

    # objects, painted far to near so that near ones occlude
    objects: List[Tuple[float, int, str]] = []

    def feet(n: int, lo: float) -> np.ndarray:
        return yh + (h - 1 - yh) * rng.uniform(lo, 1.0, n)

    n_cars = int(rng.integers(style['num_cars'][0], style['num_cars'][1] + 1))
    objects += [(f, i, 'car') for i, f in enumerate(feet(n_cars, 0.15))]
    n_persons = 0
    if rng.uniform() < style['person_prob']:
        n_persons = int(
            rng.integers(style['num_persons'][0], style['num_persons'][1] + 1))
    objects += [(f, i, 'person') for i, f in enumerate(feet(n_persons, 0.2))]
    n_poles = int(
        rng.integers(style['num_poles'][0], style['num_poles'][1] + 1))
    objects += [(f, i, 'pole') for i, f in enumerate(feet(n_poles, 0.15))]
    n_trees = int(
        rng.integers(style['num_street_trees'][0],
                     style['num_street_trees'][1] + 1))
    objects += [(f, i, 'tree') for i, f in enumerate(feet(n_trees, 0.1))]
    for foot, _, kind in sorted(objects):
        if kind == 'car':
            _draw_car(canvas, rng, street, foot, style)
        elif kind == 'person':
            _draw_person(canvas, rng, street, foot, style)
        elif kind == 'pole':
            _draw_pole(canvas, rng, street, foot, style)
        else:
            s = street.depth(foot)
            left, right = street.road_edges(foot)
            cx = left - w * 0.04 * (0.5 + s) if rng.uniform() < 0.5 \
                else right + w * 0.04 * (0.5 + s)
            ry = h * 0.12 * (0.4 + s)
            _draw_tree(canvas, rng, foot - h * 0.45 * (0.4 + s), cx, ry,
                       ry * rng.uniform(0.8, 1.3), foot, sj)

    if style['ego_vehicle']:  # the hood at the bottom of Cityscapes frames
        rr, cc = _ellipse(canvas, h + h * 0.02, w * rng.uniform(0.45, 0.55),
                          h * rng.uniform(0.08, 0.12), w * 0.75)
        canvas.paint(rr, cc, _EGO, _jitter(rng, 4.0))
    return canvas, street


def _smooth_noise(rng: np.random.Generator,
                  shape: Tuple[int, int],
                  cell: int = 12) -> np.ndarray:
    h, w = shape
    low = rng.standard_normal((max(2, h // cell), max(2, w // cell)))
    field = cv2.resize(
        low.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return field / max(float(field.std()), 1e-6)


def _lut(values: Dict[int, float], default: float) -> np.ndarray:
    lut = np.full(256, default, np.float32)
    for k, v in values.items():
        lut[k] = v
    return lut


def render_scene(
        shape: Tuple[int, int], domain: str,
        rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one synthetic street scene of a domain.

    Args:
        shape (tuple[int, int]): ``(height, width)`` of the image.
        domain (str): ``'source'`` (GTA-like) or ``'target'``
            (Cityscapes-like).
        rng (np.random.Generator): The random generator to draw from.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``image`` (HxWx3 uint8,
        RGB), ``label_ids`` (HxW uint8 Cityscapes label ids) and
        ``instances`` (HxW uint16, 0 for stuff, 1.. for each car, person,
        traffic sign and traffic light).
    """
    if domain not in _STYLES:
        raise ValueError(f'domain must be one of {DOMAINS}, got {domain!r}')
    style = _STYLES[domain]
    h, w = shape
    canvas, street = _layout(rng, shape, style)
    label = canvas.label

    palette = np.zeros((256, 3), np.float32)
    for cid, rgb in style['palette'].items():
        palette[cid] = rgb
    img = palette[label] + canvas.offset
    tex = _lut(style['coarse'], style['coarse_default'])[label] * \
        _smooth_noise(rng, shape)
    tex += _lut(style['fine'], style['fine_default'])[label] * \
        rng.standard_normal(shape).astype(np.float32)
    img += tex[..., None]
    rows = np.arange(h, dtype=np.float32)[:, None]
    grad = style['sky_gradient'] * (rows / max(street.yh, 1) - 0.5)
    img += np.where(label == _SKY, grad, 0.0)[..., None]

    contrast = rng.uniform(*style['contrast'])
    img = (img - 128.0) * contrast + 128.0 + rng.uniform(*style['brightness'])
    if style['white_balance']:
        img *= 1.0 + rng.uniform(-style['white_balance'],
                                 style['white_balance'], 3).astype(np.float32)
    if style['blur_sigma'] > 0:
        img = cv2.GaussianBlur(img, (0, 0), style['blur_sigma'])
    img += rng.normal(0.0, style['sensor_noise'], img.shape).astype(np.float32)
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return image, label.copy(), canvas.inst.copy()


# ---------------------------------------------------------------------------
# Writing.
def _rng(seed: int, domain: str, split: str,
         index: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(
            [seed, _DOMAIN_CODE[domain], _SPLIT_CODE[split], index]))


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


def _source_dirs(root: str, fmt: str) -> Tuple[str, str]:
    img, ann = _source_paths(root, fmt, 0)
    return osp.dirname(img), osp.dirname(ann)


def _target_stem(split: str, index: int) -> Tuple[str, str]:
    cities = TARGET_TRAIN_CITIES if split == 'train' else TARGET_VAL_CITIES
    city = cities[index % len(cities)]
    return city, f'{city}_{index // len(cities):06d}_000019'


def _write_source(root: str, fmt: str, index: int, image: np.ndarray,
                  label: np.ndarray, inst: np.ndarray) -> None:
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


def _write_target(root: str, split: str, index: int, image: np.ndarray,
                  label: np.ndarray) -> None:
    city, stem = _target_stem(split, index)
    img_dir = osp.join(root, 'cityscapes', 'leftImg8bit', split, city)
    ann_dir = osp.join(root, 'cityscapes', 'gtFine', split, city)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    _write_rgb(osp.join(img_dir, f'{stem}_leftImg8bit.png'), image)
    _imwrite(osp.join(ann_dir, f'{stem}_gtFine_labelIds.png'), label)
    table = np.full(256, 255, np.uint8)
    table[:len(CITYSCAPES_ID_TO_TRAINID_TABLE)] = \
        CITYSCAPES_ID_TO_TRAINID_TABLE
    _imwrite(
        osp.join(ann_dir, f'{stem}_gtFine_labelTrainIds.png'), table[label])


def _colourise(label_ids: np.ndarray) -> np.ndarray:
    palette = np.zeros((256, 3), np.uint8)
    palette[:len(CITYSCAPES_ID_PALETTE)] = CITYSCAPES_ID_PALETTE
    return palette[label_ids]


def _write_preview(path: str, rows: List[Tuple[str, List[np.ndarray]]],
                   shape: Tuple[int, int]) -> None:
    """A grid: one titled row per entry of ``rows`` (RGB images)."""
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


def _params(num_source: int, num_target_train: int, num_target_val: int,
            size: Tuple[int, int], seed: int, source_format: str) -> dict:
    return dict(
        version=GENERATOR_VERSION,
        num_source=num_source,
        num_target_train=num_target_train,
        num_target_val=num_target_val,
        size=[int(size[0]), int(size[1])],
        seed=seed,
        source_format=source_format)


def _count(path: str, suffix: str) -> int:
    n = 0
    for _, _, files in os.walk(path):
        n += sum(1 for f in files if f.endswith(suffix))
    return n


def _state(root: str, params: dict) -> str:
    """'missing', 'empty', 'complete', 'stale' (ours) or 'foreign'."""
    if not osp.exists(root):
        return 'missing'
    if not osp.isdir(root):
        return 'foreign'
    if not os.listdir(root):
        return 'empty'
    meta_path = osp.join(root, META_FILE)
    if not osp.isfile(meta_path):
        return 'foreign'
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return 'stale'
    if not isinstance(meta, dict) or meta.get('params') != params:
        return 'stale'
    img_dir, ann_dir = _source_dirs(root, params['source_format'])
    city = osp.join(root, 'cityscapes')
    counts = ((_count(img_dir, '.png'), params['num_source']), (_count(
        osp.join(city, 'leftImg8bit', 'train'),
        '_leftImg8bit.png'), params['num_target_train']), (_count(
            osp.join(city, 'leftImg8bit', 'val'),
            '_leftImg8bit.png'), params['num_target_val']),
              (_count(osp.join(city, 'gtFine'), '_gtFine_labelTrainIds.png'),
               params['num_target_train'] + params['num_target_val']))
    if any(found != expected for found, expected in counts):
        return 'stale'
    return 'complete'


def _check_args(num_source: int, num_target_train: int, num_target_val: int,
                size: Sequence[int], seed: int, source_format: str) -> None:
    for name, value in (('num_source', num_source), ('num_target_train',
                                                     num_target_train),
                        ('num_target_val', num_target_val)):
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or value < 1):
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) for s in size)
            or size[0] < 32 or size[1] < 32):
        raise ValueError('size must be (height, width) with integers >= 32, '
                         f'got {size!r}')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    if source_format not in SOURCE_FORMATS:
        raise ValueError(f'source_format must be one of {SOURCE_FORMATS}, '
                         f'got {source_format!r}')


def _info(root: str, params: dict, created: bool) -> dict:
    img_dir, ann_dir = _source_dirs(root, params['source_format'])
    return dict(
        root=root,
        created=created,
        source_format=params['source_format'],
        source_root=osp.join(root, params['source_format']),
        source_img_dir=img_dir,
        source_ann_dir=ann_dir,
        target_root=osp.join(root, 'cityscapes'),
        num_source=params['num_source'],
        num_target_train=params['num_target_train'],
        num_target_val=params['num_target_val'],
        size=tuple(params['size']),
        seed=params['seed'],
        preview=osp.join(root, 'preview.png'),
        meta=osp.join(root, META_FILE),
        classes=[name for name, _ in SYNTHETIC_CLASSES])


def _build(tmp: str, params: dict, show_progress: bool) -> None:
    fmt = params['source_format']
    shape = tuple(params['size'])
    seed = params['seed']
    for d in _source_dirs(tmp, fmt):
        os.makedirs(d, exist_ok=True)
    jobs = [('source', 'train', i) for i in range(params['num_source'])]
    jobs += [('target', 'train', i) for i in range(params['num_target_train'])]
    jobs += [('target', 'val', i) for i in range(params['num_target_val'])]
    bar = None
    if show_progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(jobs))
    preview = {'source': [], 'target': []}
    n_preview = 4
    for domain, split, index in jobs:
        image, label, inst = render_scene(shape, domain,
                                          _rng(seed, domain, split, index))
        if domain == 'source':
            _write_source(tmp, fmt, index, image, label, inst)
        else:
            _write_target(tmp, split, index, image, label)
        if split == 'train' and len(preview[domain]) < n_preview:
            preview[domain].append((image, _colourise(label)))
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    target_name = 'cityscapes'
    _write_preview(
        osp.join(tmp, 'preview.png'),
        [(f'source\n({fmt})', [p[0] for p in preview['source']]),
         ('source\nlabels', [p[1] for p in preview['source']]),
         (f'target\n({target_name})', [p[0] for p in preview['target']]),
         ('target\nlabels', [p[1] for p in preview['target']])], shape)
    img_dir, ann_dir = _source_dirs(tmp, fmt)
    meta = dict(
        params=params,
        classes={
            name: cid
            for name, cid in SYNTHETIC_CLASSES
        },
        layout=dict(
            source_img_dir=osp.relpath(img_dir, tmp),
            source_ann_dir=osp.relpath(ann_dir, tmp),
            target_root='cityscapes'))
    meta_tmp = osp.join(tmp, META_FILE + '.tmp')
    with open(meta_tmp, 'w') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
    os.replace(meta_tmp, osp.join(tmp, META_FILE))


def make_synthetic_da(root: str,
                      num_source: int = 60,
                      num_target_train: int = 40,
                      num_target_val: int = 80,
                      size: Tuple[int, int] = (128, 256),
                      seed: int = 0,
                      source_format: str = 'gta5',
                      overwrite: bool = False,
                      show_progress: bool = False) -> dict:
    """Write a synthetic source/target pair in the real on-disk formats.

    The dataset is built in a hidden temporary directory next to ``root``
    and renamed into place when complete; ``root/synthetic_meta.json`` marks
    a complete dataset.  If ``root`` already holds a complete dataset made
    with the same parameters nothing is written (unless ``overwrite``); a
    dataset of ours with other parameters is rebuilt.  A non-empty ``root``
    without ``synthetic_meta.json`` is never deleted.

    Args:
        root (str): Output directory (created; its parent must be writable).
        num_source (int): Number of source images. Defaults to 60.
        num_target_train (int): Number of target training images (the
            unlabelled pool of active DA). Defaults to 40.
        num_target_val (int): Number of target validation images (enough
            for a stable mIoU). Defaults to 80.
        size (tuple[int, int]): ``(height, width)`` of all images.
            Defaults to (128, 256).
        seed (int): Random seed; equal parameters give identical bytes.
            Defaults to 0.
        source_format (str): ``'gta5'`` or ``'synthia'``. Defaults to
            ``'gta5'``.
        overwrite (bool): Rebuild even if a complete dataset with the same
            parameters exists. Defaults to False.
        show_progress (bool): Show a progress bar. Defaults to False.

    Returns:
        dict: ``root``, ``created`` (False when an existing dataset was
        kept), ``source_format``, ``source_root``, ``source_img_dir``,
        ``source_ann_dir``, ``target_root`` (the Cityscapes root),
        ``num_source``, ``num_target_train``, ``num_target_val``, ``size``,
        ``seed``, ``preview``, ``meta`` (paths) and ``classes`` (names of
        the classes drawn).

    Raises:
        ValueError: If an argument is out of range.
        FileExistsError: If ``root`` exists and is not a dataset written by
            this function (no ``synthetic_meta.json``) and is not empty.
    """
    _check_args(num_source, num_target_train, num_target_val, size, seed,
                source_format)
    params = _params(
        int(num_source), int(num_target_train), int(num_target_val),
        (int(size[0]), int(size[1])), int(seed), source_format)
    root = osp.abspath(root)
    state = _state(root, params)
    if state == 'foreign':
        raise FileExistsError(
            f'{root!r} exists and is not a synthetic dataset (no {META_FILE} '
            'inside); refusing to overwrite it. Choose another root or '
            'remove it yourself.')
    if state == 'complete' and not overwrite:
        return _info(root, params, created=False)

    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=parent)
    old = tmp + '.old'
    try:
        _build(tmp, params, show_progress)
        if osp.exists(root):
            os.rename(root, old)
        try:
            os.rename(tmp, root)
        except OSError:
            # another process finished the same dataset in the meantime
            if _state(root, params) != 'complete':
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return _info(root, params, created=True)
