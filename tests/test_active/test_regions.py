"""Region maps: SLIC / grid (the algorithms of ``active/regions.py``)."""
import cv2
import numpy as np
import pytest

from mmseg_ada.active.regions import (compute_regions, grid_regions,
                                      regions_to_mask, relabel_contiguous,
                                      slic_regions)


def _natural_image(h=256, w=512):
    """A natural photo (bundled with scikit-image) at a 2:1 street ratio."""
    from skimage import data
    return cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_AREA)


def test_grid_regions_exact():
    h, w, c = 5, 7, 3
    out = grid_regions(h, w, c)
    expected = np.zeros((h, w), np.int64)
    n_cols = 3  # ceil(7 / 3)
    for y in range(h):
        for x in range(w):
            expected[y, x] = (y // c) * n_cols + (x // c)
    np.testing.assert_array_equal(out, expected)
    assert np.array_equal(np.unique(out), np.arange(2 * 3))
    with pytest.raises(ValueError, match='cell_size'):
        grid_regions(4, 4, 0)


def test_relabel_contiguous_keeps_order():
    out, n = relabel_contiguous(np.array([[5, 5, 2], [9, 2, 2]]))
    np.testing.assert_array_equal(out, [[1, 1, 0], [2, 0, 0]])
    assert n == 3


def test_slic_about_40_regions_contiguous():
    img = _natural_image()
    out = slic_regions(img, work_scale=0.5)  # default n_segments
    assert out.shape == img.shape[:2]
    n = int(out.max()) + 1
    # every id 0..R-1 is used
    assert np.array_equal(np.unique(out), np.arange(n))
    # the default n_segments=60 gives about 40 regions (ADeADA's count) on a
    # 2:1 image once connectivity enforcement has merged small segments
    assert 30 <= n <= 50, n
    # computed at half resolution: every 2x2 block is one region
    blocks = out.reshape(128, 2, 256, 2)
    assert (blocks == blocks[:, :1, :, :1]).all()
    more = slic_regions(img, n_segments=120, compactness=10.0, work_scale=0.5)
    assert more.max() + 1 > 1.5 * n


def test_regions_to_mask():
    rmap = np.array([[0, 1, 2], [2, 1, 0]])
    np.testing.assert_array_equal(
        regions_to_mask(rmap, [2, 0]), [[1, 0, 1], [1, 0, 1]])
    assert not regions_to_mask(rmap, []).any()


def test_compute_regions_by_method():
    img = np.zeros((8, 12, 3), np.uint8)
    np.testing.assert_array_equal(
        compute_regions('grid', dict(cell_size=4), img),
        grid_regions(8, 12, 4))
    with pytest.raises(ValueError, match='unknown region method'):
        compute_regions('voronoi', {}, img)


def _slic_reference(image, n_segments, compactness, work_scale):
    """The former ``slic_regions``: the id check after every upsampling."""
    from skimage.segmentation import slic
    h, w = image.shape[:2]
    wh, ww = max(1, round(h * work_scale)), max(1, round(w * work_scale))
    small = image
    if (wh, ww) != (h, w):
        small = cv2.resize(image, (ww, wh), interpolation=cv2.INTER_AREA)
    labels = slic(
        small,
        n_segments=n_segments,
        compactness=compactness,
        start_label=0,
        channel_axis=-1)
    labels, n = relabel_contiguous(labels)
    if (wh, ww) != (h, w):
        labels = cv2.resize(
            labels.astype(np.uint16), (w, h),
            interpolation=cv2.INTER_NEAREST).astype(np.int32)
        if np.count_nonzero(np.bincount(labels.ravel(), minlength=n)) != n:
            labels, n = relabel_contiguous(labels)
    return labels


@pytest.mark.parametrize('size,scale', [((256, 512), 0.25), ((256, 512), 0.5),
                                        ((250, 510), 0.25),
                                        ((200, 300), 0.13)])
def test_slic_regions_equal_the_reference(size, scale):
    img = _natural_image(*size)
    want = _slic_reference(img, 60, 10.0, scale)
    got = slic_regions(img, n_segments=60, compactness=10.0, work_scale=scale)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('dtype,top', [(np.uint8, 1), (np.uint8, 255),
                                       (np.uint16, 700)])
def test_label_png_reads_back_the_same_map(tmp_path, dtype, top):
    from mmseg_ada.utils.io import encode_label_png
    rng = np.random.default_rng(0)
    runs = np.repeat(rng.integers(0, top + 1, (37, 9)), 7, axis=1)
    for arr in (runs.astype(dtype), rng.integers(0, top + 1,
                                                 (31, 45)).astype(dtype)):
        back = cv2.imdecode(
            np.frombuffer(encode_label_png(arr), np.uint8),
            cv2.IMREAD_UNCHANGED)
        assert back.dtype == arr.dtype
        np.testing.assert_array_equal(back, arr)
