"""The batch precompute of region maps (``tools/precompute_regions.py``)."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmseg_ada.active.region_cache import RegionCache
from mmseg_ada.active.regions import grid_regions, slic_regions
from tools.precompute_regions import find_images, precompute_regions


def _write_images(root, n, h=64, w=128, seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        city = f'city{i % 2}'
        os.makedirs(osp.join(root, city), exist_ok=True)
        img = np.zeros((h, w, 3), np.uint8)
        img[:, :w // 2] = rng.integers(0, 256, 3)
        img[h // 2:, w // 3:] = rng.integers(0, 256, 3)
        img = np.clip(img + rng.normal(0, 5, img.shape), 0, 255)
        path = osp.join(root, city, f'{city}_{i:06d}_leftImg8bit.png')
        cv2.imwrite(path, img.astype(np.uint8))
        paths.append(path)
    return paths


def test_find_images_stems(tmp_path):
    paths = _write_images(str(tmp_path / 'img'), 3)
    pairs = find_images(str(tmp_path / 'img'), '_leftImg8bit.png')
    assert [s for s, _ in pairs] == sorted(
        osp.basename(p)[:-len('_leftImg8bit.png')] for p in paths)
    glob_pairs = find_images(
        str(tmp_path / 'img' / '*' / '*_leftImg8bit.png'), '_leftImg8bit.png')
    assert glob_pairs == pairs
    os.makedirs(tmp_path / 'img' / 'dup')
    cv2.imwrite(
        str(tmp_path / 'img' / 'dup' / osp.basename(paths[0])),
        np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match='share the stem'):
        find_images(str(tmp_path / 'img'), '_leftImg8bit.png')
    with pytest.raises(FileNotFoundError):
        find_images(str(tmp_path / 'nope'))


def test_precompute_parallel_resumable(tmp_path):
    paths = _write_images(str(tmp_path / 'img'), 4)
    params = dict(n_segments=8, compactness=10.0, work_scale=0.5)
    cache = RegionCache(str(tmp_path / 'cache'), 'slic', **params)
    summary = precompute_regions(
        paths, cache, nproc=2, suffix='_leftImg8bit.png')
    assert summary['computed'] == 4 and summary['skipped'] == 0
    with open(cache.meta_path) as f:
        assert json.load(f)['params'] == params
    stem = osp.basename(paths[1])[:-len('_leftImg8bit.png')]
    img = cv2.cvtColor(cv2.imread(paths[1]), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(
        cache.load(stem, shape=img.shape[:2]), slic_regions(img, **params))
    # resumable: nothing to do, then only the removed entry
    again = precompute_regions(
        paths, cache, nproc=1, suffix='_leftImg8bit.png')
    assert again['computed'] == 0 and again['skipped'] == 4
    os.unlink(cache.path(stem))
    again = precompute_regions(
        paths, cache, nproc=1, suffix='_leftImg8bit.png')
    assert again['computed'] == 1 and cache.has(stem)
    assert not [n for n in os.listdir(cache.cache_dir) if n.endswith('.tmp')]
    # a cache built with other parameters refuses to be extended
    with pytest.raises(ValueError, match='n_segments'):
        precompute_regions(
            paths, RegionCache(cache.cache_dir, 'slic', n_segments=9), nproc=1)


@pytest.mark.slow
def test_precompute_tool_cli(tmp_path):
    from tests.utils import PYTHON, run_tool
    _write_images(str(tmp_path / 'img'), 2)
    out = str(tmp_path / 'cache')
    res = run_tool([
        PYTHON, 'tools/precompute_regions.py',
        str(tmp_path / 'img'), '--out', out, '--method', 'grid', '--cell-size',
        '32', '--suffix', '_leftImg8bit.png'
    ])
    assert res.returncode == 0, res.stderr
    cache = RegionCache.open(out)
    assert cache.method == 'grid' and cache.params == dict(cell_size=32)
    np.testing.assert_array_equal(
        cache.load('city0_000000'), grid_regions(64, 128, 32))


@pytest.mark.slow
def test_corrupt_image_is_listed_and_the_rest_finish(tmp_path):
    """A truncated image is listed with its reason; the others are made."""
    from tests.utils import PYTHON, run_tool
    paths = _write_images(str(tmp_path / 'img'), 3)
    with open(paths[1], 'rb') as f:
        data = f.read()
    with open(paths[1], 'wb') as f:
        f.write(data[:len(data) // 3])  # truncated
    out = str(tmp_path / 'cache')
    res = run_tool([
        PYTHON, 'tools/precompute_regions.py',
        str(tmp_path / 'img'), '--out', out, '--method', 'grid', '--cell-size',
        '32', '--suffix', '_leftImg8bit.png', '--nproc', '2'
    ])
    assert res.returncode == 0, res.stderr
    assert 'could not be read' in res.stdout
    assert 'truncated' in res.stdout and paths[1] in res.stdout
    cache = RegionCache.open(out)
    assert cache.has('city0_000000') and cache.has('city0_000002')
    assert not cache.has('city1_000001')
    listed = open(osp.join(out, 'broken_images.txt')).read()
    assert paths[1] in listed and 'truncated' in listed


def _opencv_rgb(path):
    return cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize(
    'kind', ['rgb', 'grey', 'rgba', 'rgb16', 'palette', 'jpeg', 'truncated'])
def test_images_read_as_opencv_reads_them(tmp_path, kind):
    """The precompute decodes 8-bit RGB PNGs with libspng (faster) and
    everything else with OpenCV: every kind of file gives OpenCV's pixels
    (or its refusal), so the region maps do not depend on the decoder."""
    from PIL import Image

    from tools.precompute_regions import _read_png_rgb, _read_rgb
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    path = str(tmp_path / ('a.jpg' if kind == 'jpeg' else 'a.png'))
    if kind in ('rgb', 'jpeg', 'truncated'):
        cv2.imwrite(path, rgb[..., ::-1])
    elif kind == 'grey':
        cv2.imwrite(path, rgb[..., 0])
    elif kind == 'rgba':
        cv2.imwrite(path, np.dstack([rgb[..., ::-1], rgb[..., :1]]))
    elif kind == 'rgb16':
        cv2.imwrite(path, rgb[..., ::-1].astype(np.uint16) * 257 + 3)
    else:
        Image.fromarray(rgb).convert('P', palette=Image.ADAPTIVE).save(path)
    if kind == 'truncated':
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
        assert _read_png_rgb(path) is None
        with pytest.raises(ValueError, match='unreadable or truncated'):
            _read_rgb(path)
        return
    got = _read_rgb(path)
    assert got.dtype == np.uint8 and got.shape == (37, 53, 3)
    np.testing.assert_array_equal(got, _opencv_rgb(path))
    # libspng serves the 8-bit RGB PNGs (a palette expands to RGB)
    pytest.importorskip('pyspng')
    assert (_read_png_rgb(path) is not None) == (kind in ('rgb', 'palette'))
