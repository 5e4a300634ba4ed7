"""Rendering: one synthetic street scene of a domain, as arrays."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from skimage import draw

from .classes import (BUILDING, CAR, EGO, LIGHT, PERSON, POLE, ROAD, SIDEWALK,
                      SIGN, SKY, VEG)

__all__ = ['DOMAINS', 'render_scene']

DOMAINS = ('source', 'target')

# yapf: disable  (tables)
# ---------------------------------------------------------------------------
# Domain styles.  Colours are RGB; ``variants`` lists alternative colours
# of a class, one drawn per object (facade, car, person); textures are
# amplitudes of a smooth (``coarse``) and a per-pixel (``fine``) grey noise
# field in grey levels.  ``_SHARED_STYLE`` holds what the two domains
# have in common; ``_STYLES`` how each domain looks and what it contains.
_SHARED_STYLE = dict(
    stuff_jitter=8.0, person_height=0.5, sign_prob=0.6, light_prob=0.3,
    num_street_trees=(1, 2), variants={})
_STYLES = {
    'source': dict(  # GTA-like: sunny, saturated, flat cartoon shading
        _SHARED_STYLE,
        palette={
            ROAD: (70, 70, 82), SIDEWALK: (196, 156, 120),
            BUILDING: (176, 98, 66), POLE: (214, 200, 56),
            LIGHT: (34, 34, 38), SIGN: (232, 48, 40),
            VEG: (46, 172, 48), SKY: (84, 156, 250),
            PERSON: (232, 84, 172), CAR: (40, 72, 212),
            EGO: (30, 30, 30)},
        instance_jitter=14.0,
        coarse={VEG: 10.0, BUILDING: 3.0, ROAD: 2.0},
        fine={},
        fine_default=1.5, coarse_default=0.0,
        window_tint=-60.0, marking_tint=150.0, tile_tint=0.0,
        sky_gradient=40.0,
        contrast=(1.0, 1.15), brightness=(-5.0, 10.0), white_balance=0.0,
        blur_sigma=0.0, sensor_noise=1.5,
        horizon=(0.36, 0.48),
        num_cars=(1, 3), car_width=0.42,
        person_prob=0.12, num_persons=(1, 1),
        cross_prob=0.0,
        num_poles=(1, 3), num_trees=(2, 4),
        facade_prob=0.5, ego_vehicle=False),
    'target': dict(  # Cityscapes-like: overcast, muted, textured, blurred
        _SHARED_STYLE,
        palette={
            ROAD: (100, 96, 108), SIDEWALK: (168, 160, 162),
            BUILDING: (130, 122, 112), POLE: (150, 150, 146),
            LIGHT: (50, 52, 40), SIGN: (222, 190, 50),
            VEG: (78, 126, 54), SKY: (150, 180, 214),
            PERSON: (74, 52, 92), CAR: (150, 44, 54),
            EGO: (38, 38, 44)},
        variants={
            BUILDING: ((130, 122, 112), (150, 100, 80), (112, 116, 126),
                       (164, 152, 128)),
            CAR: ((150, 44, 54), (160, 160, 166), (46, 46, 56),
                  (52, 78, 170)),
            PERSON: ((74, 52, 92), (62, 62, 72), (120, 64, 52))},
        instance_jitter=16.0,
        coarse={ROAD: 6.0, SIDEWALK: 5.0, BUILDING: 8.0, VEG: 16.0,
                SKY: 10.0},
        fine={ROAD: 8.0, SIDEWALK: 6.0, BUILDING: 5.0, VEG: 10.0},
        fine_default=3.0, coarse_default=2.0,
        window_tint=-40.0, marking_tint=90.0, tile_tint=-22.0,
        sky_gradient=20.0,
        contrast=(0.85, 0.95), brightness=(-10.0, 5.0), white_balance=0.04,
        blur_sigma=0.5, sensor_noise=3.0,
        horizon=(0.40, 0.50),
        num_cars=(2, 6), car_width=0.32,
        person_prob=0.95, num_persons=(3, 6),
        cross_prob=0.25,
        num_poles=(2, 4), num_trees=(2, 5),
        facade_prob=0.7, ego_vehicle=True),
}

# yapf: enable


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
    canvas.tint(rr + y_lo, cc + x_lo, (tint, tint, tint * 0.6), BUILDING)


def _draw_tree(canvas: _Canvas, rng: np.random.Generator, cy: float, cx: float,
               ry: float, rx: float, foot: Optional[float],
               jitter: float) -> None:
    if foot is not None:
        trunk_w = max(1.0, rx * 0.15)
        canvas.paint(
            *_rect(canvas, cy, cx - trunk_w / 2, foot, cx + trunk_w / 2), VEG,
            (-40., -50., -30.))
    off = _jitter(rng, jitter)
    for _ in range(int(rng.integers(1, 4))):  # a few lobes per canopy
        canvas.paint(
            *_ellipse(canvas, cy + rng.normal(0, ry * 0.3),
                      cx + rng.normal(0, rx * 0.3), ry * rng.uniform(0.6, 1.0),
                      rx * rng.uniform(0.6, 1.0)), VEG, off)


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
    off = _colour_offset(rng, style, CAR, style['instance_jitter'])
    x0, x1 = cx - width / 2, cx + width / 2
    # body, cabin (trapezoid), wheels
    canvas.paint(
        *_rect(canvas, foot - 0.62 * height, x0, foot - 0.12 * height, x1),
        CAR, off, inst)
    inset = width * rng.uniform(0.12, 0.22)
    rr, cc = _poly(canvas, [
        foot - height, foot - height, foot - 0.6 * height, foot - 0.6 * height
    ], [
        x0 + inset + width * 0.08, x1 - inset - width * 0.08,
        x1 - width * 0.06, x0 + width * 0.06
    ])
    canvas.paint(rr, cc, CAR, off, inst)
    glass = (-70., -60., -30.)
    rr, cc = _poly(canvas, [
        foot - 0.95 * height, foot - 0.95 * height, foot - 0.66 * height,
        foot - 0.66 * height
    ], [
        x0 + inset + width * 0.1, x1 - inset - width * 0.1, x1 - width * 0.1,
        x0 + width * 0.1
    ])
    canvas.tint(rr, cc, glass, CAR)
    wheel_r = 0.16 * height
    for wx in (x0 + 0.2 * width, x1 - 0.2 * width):
        rr, cc = _ellipse(canvas, foot - wheel_r, wx, wheel_r, wheel_r * 1.1)
        canvas.paint(rr, cc, CAR, off - 90.0, inst)


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
    off = _colour_offset(rng, style, PERSON, style['instance_jitter'])
    leg_w = max(width * 0.22, 0.6)
    for dx in (-0.2, 0.2):  # legs
        lx = cx + dx * width
        canvas.paint(
            *_rect(canvas, foot - 0.48 * height, lx - leg_w / 2, foot,
                   lx + leg_w / 2), PERSON, off - 30.0, inst)
    canvas.paint(*_ellipse(canvas, foot - 0.66 * height, cx, 0.22 * height,
                           width / 2), PERSON, off, inst)  # torso
    skin = np.array((60., 30., 10.), np.float32)
    canvas.paint(
        *_ellipse(canvas, foot - 0.92 * height, cx, 0.09 * height,
                  max(0.09 * height, 0.6)), PERSON, off + skin, inst)
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
    canvas.paint(*_rect(canvas, top, cx - pw / 2, foot, cx + pw / 2 - 1), POLE,
                 off)
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
        canvas.paint(rr, cc, SIGN, off, inst)
        ri, ci = draw.disk((top, cx),
                           max(size * 0.45, 0.8),
                           shape=canvas.shape)
        canvas.tint(ri, ci, (40., 40., 40.), SIGN)
    elif u < style['sign_prob'] + style['light_prob']:
        inst = canvas.new_instance()
        bw = max(3.0, size * 0.9)
        canvas.paint(
            *_rect(canvas, top - 1.4 * size, cx - bw / 2, top + 1.4 * size,
                   cx + bw / 2), LIGHT, _jitter(rng, 4.0), inst)
        lamp = [(200., -20., -20.), (-20., 200., 60.),
                (200., 160., -20.)][int(rng.integers(3))]
        ri, ci = draw.disk((top - 0.6 * size, cx),
                           max(bw * 0.3, 0.6),
                           shape=canvas.shape)
        canvas.tint(ri, ci, lamp, LIGHT)


def _layout(rng: np.random.Generator, shape: Tuple[int, int],
            style: dict) -> Tuple[_Canvas, _Street]:
    """Draw the label map (and colour offsets) of one street scene."""
    h, w = shape
    canvas = _Canvas(shape)
    street = _Street(rng, shape, style['horizon'])
    yh = street.yh
    sj = style['stuff_jitter']
    canvas.paint(*_rect(canvas, 0, 0, h - 1, w - 1), SKY, _jitter(rng, sj))

    # background buildings along the horizon, with windows
    x = -rng.uniform(0, w * 0.1)
    while x < w:
        bw = w * rng.uniform(0.05, 0.18)
        if rng.uniform() > 0.15:
            top = yh - h * rng.uniform(0.08, 0.38)
            canvas.paint(*_rect(canvas, top, x, yh - 1, x + bw - 1), BUILDING,
                         _colour_offset(rng, style, BUILDING, sj))
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
    canvas.paint(*_rect(canvas, yh, 0, h - 1, w - 1), SIDEWALK,
                 _jitter(rng, sj))
    if style['tile_tint']:
        for r in range(yh + 2, h, 5):
            rr, cc = _rect(canvas, r, 0, r, w - 1)
            canvas.tint(rr, cc, (style['tile_tint'], ) * 3, SIDEWALK)
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
                   [edge, far, far, edge]), BUILDING,
            _colour_offset(rng, style, BUILDING, sj))
        _draw_windows(canvas, rng, top_near, bottom_near, yh, top_far, edge,
                      far, style['window_tint'])
    canvas.paint(
        *_poly(canvas, [yh, yh, h + 1, h + 1], [
            street.vx - street.half_top, street.vx + street.half_top,
            street.xr, street.xl
        ]), ROAD, _jitter(rng, sj))
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
        canvas.tint(rr, cc, (style['marking_tint'], ) * 3, ROAD)
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
        canvas.paint(rr, cc, EGO, _jitter(rng, 4.0))
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
    img += np.where(label == SKY, grad, 0.0)[..., None]

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
