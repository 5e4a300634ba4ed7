"""The on-disk cache of region maps (``active/region_cache.py``)."""
import cv2
import numpy as np
import pytest

from mmseg_ada.active.region_cache import RegionCache
from mmseg_ada.active.regions import grid_regions


def test_region_cache_roundtrip_and_errors(tmp_path):
    cache = RegionCache(str(tmp_path / 'c'), 'grid', cell_size=4)
    with pytest.raises(FileNotFoundError, match='tools/precompute_regions.py'):
        cache.load('a')
    cache.write_meta()
    small = grid_regions(16, 16, 4)  # 16 regions -> uint8 PNG
    big = grid_regions(40, 40, 2)  # 400 regions -> uint16 PNG
    cache.save('a', small)
    cache.save('b', big)
    assert cv2.imread(cache.path('a'), cv2.IMREAD_UNCHANGED).dtype == np.uint8
    assert cv2.imread(cache.path('b'), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    np.testing.assert_array_equal(cache.load('a'), small)
    np.testing.assert_array_equal(cache.load('b', shape=(40, 40)), big)
    assert cache.stems() == ['a', 'b']
    with pytest.raises(ValueError, match='shape'):
        cache.load('a', shape=(16, 17))
    with pytest.raises(FileNotFoundError) as err:
        cache.load('missing_stem')
    assert 'missing_stem' in str(err.value)
    assert 'python tools/precompute_regions.py' in str(err.value)
    assert '--cell-size 4' in str(err.value)
    # the same parameters open fine; other ones are refused, naming them
    assert RegionCache.open(cache.cache_dir).params == dict(cell_size=4)
    with pytest.raises(ValueError, match='cell_size is 4 in the cache'):
        RegionCache(cache.cache_dir, 'grid', cell_size=8)
    with pytest.raises(ValueError, match='method'):
        RegionCache(cache.cache_dir, 'slic')
    with pytest.raises(ValueError, match='unknown parameters'):
        RegionCache(str(tmp_path / 'd'), 'slic', cell_size=3)
    with pytest.raises(FileNotFoundError, match='meta.json'):
        RegionCache.open(str(tmp_path / 'nothing'))
