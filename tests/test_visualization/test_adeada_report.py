"""The per-round ADeADA figure.

Drawn from a realistic ``Selection.info`` (and from the info of a real
:class:`ADeADA` selection on a tiny pool), and from broken ones (NaN, None,
short lists, no class names, empty dict) without raising; the file is a
complete PNG of the expected size, written atomically.  The ADeADA and
baseline configs are checked in ``tests/test_configs/test_adeada_configs.py``.
"""
import os
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

import mmseg_ada  # noqa: F401  (registers the strategies)
from mmseg_ada.active.pool import UnitPool
from mmseg_ada.active.strategies.adeada import ADeADA
from mmseg_ada.visualization import draw_adeada_round

CITYSCAPES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
              'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky',
              'person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
              'bicycle')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def _png_size(path) -> tuple:
    """(width, height) from the IHDR chunk, after checking the signature
    and that the file ends with an IEND chunk (not truncated)."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_MAGIC, f'{path} is not a PNG'
    assert data[12:16] == b'IHDR'
    assert data[-8:-4] == b'IEND', f'{path} is truncated'
    return struct.unpack('>II', data[16:24])


def _realistic_info(round_idx=2):
    """What ADeADA reports for round 2 of GTA5 -> Cityscapes: 1% of
    2975 x 2048 x 1024 pixels, half to density; 'train' had no candidate,
    'wall' no KL estimate."""
    rng = np.random.default_rng(0)
    total = int(0.01 * 2975 * 2048 * 1024)
    dens = total // 2
    kl = rng.normal(40.0, 60.0, 19).tolist()
    kl[16] = None
    kl[3] = float('nan')
    w = rng.random(19)
    w[[3, 16]] = 0
    w /= w.sum()
    per_class = np.floor(w * dens).astype(int)
    per_class[0] += dens - per_class.sum()
    return dict(
        round=round_idx,
        policy='half',
        alpha=1.0,
        beta=1.0,
        density_fraction=0.5,
        density_budget=dens,
        uncertainty_budget=total - dens,
        per_class_kl=kl,
        per_class_weight=w.tolist(),
        per_class_density_budget=per_class.tolist(),
        density_spent=dens - 40_000,
        uncertainty_spent=total - dens + 35_000,
        spent=total - 5_000,
        regions_per_class_density=rng.integers(0, 120, 19).tolist(),
        regions_per_class_uncertainty=rng.integers(0, 80, 19).tolist(),
        density_fit_seconds=84.2)


def test_figure_from_realistic_info(tmp_path):
    out = tmp_path / 'vis' / 'round_2' / 'adeada.png'  # folders created
    assert draw_adeada_round(_realistic_info(), list(CITYSCAPES),
                             str(out)) == str(out)
    w, h = _png_size(out)
    assert 1000 <= w <= 2000 and 700 <= h <= 1400, (w, h)
    img = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[:2] == (h, w)
    # drawn, not blank: bars in the colours of the two shares are present
    # (BGR: density green #9bbb59, uncertainty orange #f79646)
    green = np.all(np.abs(img.astype(int) - (0x59, 0xbb, 0x9b)) <= 3, -1)
    orange = np.all(np.abs(img.astype(int) - (0x46, 0x96, 0xf7)) <= 3, -1)
    assert green.mean() > 0.01 and orange.mean() > 0.005
    # atomic write: nothing but the figure in the folder
    assert sorted(os.listdir(out.parent)) == ['adeada.png']


def test_title_names_round_policy_and_what_was_bought():
    """The title reads the strategy's own keys (``spent``, as ADeADA's
    info writes it)."""
    from mmseg_ada.visualization.adeada_report import _pixels, _title
    info = _realistic_info()
    title = _title(info)
    assert 'round 2' in title and 'policy half' in title
    assert f"{_pixels(info['spent'])} pixels bought" in title
    assert 'density fits 84.2 s' in title
    assert 'bought' not in _title(dict(info, spent=None))


@pytest.mark.parametrize(
    'info,classes',
    [
        ({}, []),
        ({}, None),
        (dict(per_class_kl=[None, float('nan')], density_budget=None), ['a']),
        (dict(
            per_class_kl=[float('nan')] * 19,
            per_class_density_budget=[0] * 19,
            regions_per_class_density=[],
            regions_per_class_uncertainty=None,
            density_budget=0,
            uncertainty_budget=1000,
            density_spent=0,
            uncertainty_spent=990,
            density_fraction=0.0,
            policy='uncertainty',
            round=1), list(CITYSCAPES)),
        # short / long / junk lists, inf, strings
        (dict(
            per_class_kl=[1.0, 'x', float('inf'), -2.0],
            per_class_density_budget=[5, None],
            regions_per_class_density=[1, 2, 3, 4, 5, 6],
            density_spent='n/a',
            alpha=None), ['a', 'b']),
    ])
def test_figure_survives_missing_values(tmp_path, info, classes):
    out = tmp_path / 'adeada.png'
    draw_adeada_round(info, classes, str(out))
    w, h = _png_size(out)
    assert w > 500 and h > 400


def test_figure_rejects_non_dict(tmp_path):
    with pytest.raises(ValueError, match='info must be a dict'):
        draw_adeada_round([1, 2], [], str(tmp_path / 'x.png'))
    assert not (tmp_path / 'x.png').exists()


def test_figure_from_a_real_adeada_selection(tmp_path):
    """The keys the strategy reports are the ones the figure draws."""
    rng = np.random.default_rng(1)
    C, D = 3, 4

    def pool(n, shift):
        cls = rng.integers(0, C, n)
        prob = np.full((n, C), 0.1, np.float32)
        prob[np.arange(n), cls] = 0.8
        feat = (rng.normal(size=(n, D)) + shift + cls[:, None]).astype(
            np.float32)
        p = prob / prob.sum(1, keepdims=True)
        ent = -(p * np.log(p)).sum(1)
        return UnitPool(
            image_index=np.arange(n) // 10,
            unit_id=np.arange(n) % 10,
            cost=np.full(n, 100, np.int64),
            prob=p,
            stats=dict(
                entropy=ent,
                confidence=p.max(1),
                margin=np.sort(p, 1)[:, -1] - np.sort(p, 1)[:, -2]),
            feature=feat)

    strategy = ADeADA(
        density_cfg=dict(backend='sklearn', regions_per_component=50))
    sel = strategy.select(
        pool(120, 1.0), 2000, round_idx=2, source_pool=pool(300, 0.0))
    info = sel.info
    for key in ('per_class_kl', 'per_class_density_budget', 'density_budget',
                'uncertainty_budget', 'density_spent', 'uncertainty_spent',
                'regions_per_class_density', 'regions_per_class_uncertainty'):
        assert key in info, key
    assert sum(info['regions_per_class_density']) + sum(
        info['regions_per_class_uncertainty']) == len(sel.index)
    out = tmp_path / 'adeada.png'
    draw_adeada_round(info, ['a', 'b', 'c'], str(out))
    assert _png_size(out)[0] > 500
