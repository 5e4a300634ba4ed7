"""LADA's anchor view: RandAugment(1, 2.0) and the mixed view of Eq. 5."""
import numpy as np
import pytest

import mmseg_ada  # noqa: F401
from mmseg_ada.datasets.transforms import (RAND_AUGMENT_OPS, MixWeakStrong,
                                           RandAugment, mix_views)


def _img(h=20, w=24, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (h, w, 3), dtype=np.uint8)


def test_rand_augment_values_at_ladas_magnitude():
    """value = M / 30 * (max - min) + min: M = 2 gives 1-bit posterize,
    solarize threshold 17.07, enhancement factors 0.22."""
    ra = RandAugment(num_ops=1, magnitude=2.0)
    assert ra.value('Rotate') == pytest.approx(2.0)
    assert ra.value('Solarize') == pytest.approx(256 * 2 / 30)
    assert ra.value('Brightness') == pytest.approx(0.1 + 1.8 * 2 / 30)
    assert ra.value('TranslateXAbs') == pytest.approx(100 * 2 / 30)
    assert len(RAND_AUGMENT_OPS) == 16
    img = _img()
    post = RandAugment(ops=['Posterize'])(dict(img=img.copy()))['img']
    assert set(np.unique(post)) <= {0, 128}
    inv = RandAugment(ops=['Invert'])(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(inv, 255 - img)
    sol = RandAugment(ops=['Solarize'])(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(sol,
                                  np.where(img < 256 * 2 / 30, img, 255 - img))


def test_rand_augment_every_op_and_seeded_draws():
    img = _img()
    for name in RAND_AUGMENT_OPS:
        out = RandAugment(ops=[name], magnitude=10)(dict(img=img.copy()))
        assert out['img'].dtype == np.uint8 and out['img'].shape == img.shape
        assert out['rand_augment_ops'] == [name]
    ra = RandAugment(num_ops=2)
    runs = []
    for _ in range(2):
        np.random.seed(7)
        runs.append(ra(dict(img=img.copy())))
    np.testing.assert_array_equal(runs[0]['img'], runs[1]['img'])
    assert runs[0]['rand_augment_ops'] == runs[1]['rand_augment_ops']
    assert len(runs[0]['rand_augment_ops']) == 2
    with pytest.raises(ValueError, match='unknown ops'):
        RandAugment(ops=['Blur'])
    with pytest.raises(ValueError, match='uint8'):
        RandAugment()(dict(img=img.astype(np.float32)))


def _mixer(beta=None):
    crop = dict(type='mmcv.CenterCrop', crop_size=8)
    return MixWeakStrong(
        weak=[crop],
        strong=[dict(type='RandAugment', ops=['Invert']), crop],
        beta=beta)


def test_mixed_view_eq5_with_fixed_beta():
    """x~ = beta x + (1 - beta) alpha(x), alpha = Invert here."""
    img = _img()
    out = _mixer(beta=0.3)(dict(img=img.copy()))
    crop = img[6:14, 8:16].astype(np.float32)
    expect = 0.3 * crop + 0.7 * (255 - crop)
    np.testing.assert_allclose(out['img'], expect, rtol=1e-6)
    assert out['img'].dtype == np.float32 and out['mix_beta'] == 0.3
    np.testing.assert_array_equal(
        _mixer(beta=1.0)(dict(img=img.copy()))['img'], crop)
    with pytest.raises(ValueError, match='same shape'):
        mix_views(np.zeros((2, 2, 3)), np.zeros((3, 2, 3)), 0.5)


def test_mixed_view_beta_is_drawn_from_beta_0_2_per_sample():
    img = _img(10, 10)
    mixer = _mixer()
    betas = []
    for seed in range(400):
        np.random.seed(seed)
        out = mixer(dict(img=img.copy()))
        b = out['mix_beta']
        crop = img[1:9, 1:9].astype(np.float32)
        np.testing.assert_allclose(
            out['img'],
            b * crop + (1 - b) * (255 - crop),
            rtol=1e-5,
            atol=1e-3)
        betas.append(b)
    betas = np.array(betas)
    # Beta(0.2, 0.2): mean 1/2, variance 1 / (4 * 1.4) = 0.179, U-shaped
    assert abs(betas.mean() - 0.5) < 0.06
    assert abs(betas.var() - 1 / 5.6) < 0.03
    assert ((betas < 0.1) | (betas > 0.9)).mean() > 0.5
