"""The unit kinds on their own: what a commit buys and reads, and the
per-image candidate share of pixel units."""
from pathlib import Path

import numpy as np
import pytest
import torch

from mmseg_ada.active.pool import Selection, UnitPool
from mmseg_ada.active.stores import BaseLabelStore, MaskLabelStore
from mmseg_ada.active.strategies import Entropy
from mmseg_ada.active.units import PixelUnits, PoolItem, RegionUnits

SHAPE = (4, 6)


def _report(k, spent, labeled):
    total = 2 * SHAPE[0] * SHAPE[1]
    return dict(
        round=k,
        strategy='hand',
        unit='region',
        budget=spent,
        spent=spent,
        labeled=labeled,
        total=total,
        labeled_fraction=labeled / total)


@pytest.fixture(autouse=True)
def _no_commit_hook(monkeypatch):
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)


class _FixedRegions(RegionUnits):
    """Region units over fixed maps (no cache on disk)."""

    def __init__(self, maps):
        super().__init__(cache='unused')
        self.maps = maps

    def region_map(self, item):
        return self.maps[item.stem]


def _count_reads(monkeypatch):
    reads = []
    real = MaskLabelStore._read_raw

    def counting(path):
        reads.append(path)
        return real(path)

    monkeypatch.setattr(MaskLabelStore, '_read_raw', staticmethod(counting))
    return reads


def test_region_commit_buys_unlabelled_pixels_reading_each_map_once(
        tmp_path, monkeypatch):
    rmap = np.repeat(np.arange(3), 8).reshape(SHAPE)  # 3 regions x 8 px
    units = _FixedRegions(dict(a=rmap, b=rmap.copy()))
    units.setup([PoolItem(0, 'a', SHAPE), PoolItem(1, 'b', SHAPE)])
    store = MaskLabelStore(str(tmp_path), dict(a=1))
    first = np.zeros(SHAPE, bool)
    first[0, :] = True  # 6 pixels of region 0 and ...
    first[1, :2] = True  # ... its last 2: region 0 fully, as in round 1
    first[1, 2:4] = True  # and 2 pixels of region 1
    assert store.add('a', first) == 10
    store.commit(1, _report(1, 10, 10))
    # round 2 buys regions 0 and 1 of 'a' and region 2 of 'b'
    pool = UnitPool(
        image_index=np.array([0, 0, 1]),
        unit_id=np.array([0, 1, 2]),
        cost=np.array([0, 6, 8]))
    reads = _count_reads(monkeypatch)
    out = units.commit(store, pool, Selection(np.arange(3)))
    assert len(reads) == 1  # 'b' has no map yet: nothing to read
    assert out.spent == 6 + 8 and out.num_units == 3
    assert out.images == [0, 1]
    want_a = (rmap == 1) & ~first  # what was not labelled of regions 0+1
    np.testing.assert_array_equal(out.masks[0], want_a)
    np.testing.assert_array_equal(out.masks[1], rmap == 2)
    np.testing.assert_array_equal(out.region_maps[0], rmap)
    store.commit(2, _report(2, 14, 24))
    np.testing.assert_array_equal(
        store.round_map('a', SHAPE), np.where(first, 1, np.where(want_a, 2,
                                                                 0)))
    store.close()


def test_add_mask_returns_what_add_counts(tmp_path):
    store = MaskLabelStore(str(tmp_path), dict(a=1))
    m = np.zeros(SHAPE, bool)
    m[:2] = True
    np.testing.assert_array_equal(store.add_mask('a', m), m)
    more = np.zeros(SHAPE, bool)
    more[1:3] = True
    fresh = store.add_mask('a', more)  # row 1 is pending already
    np.testing.assert_array_equal(fresh, more & ~m)
    assert store.pending == 12 + 6
    store.close()


def test_pixel_units_share_uses_the_pool_total_summed_once(monkeypatch):
    units = PixelUnits()
    items = [PoolItem(0, 'a', (4, 6)), PoolItem(1, 'b', (2, 4))]
    units.setup(items)
    assert units.image_pixels().tolist() == [24, 8]
    with pytest.raises(ValueError):  # read-only: callers share it
        units.image_pixels()[0] = 1

    def no_resum():
        raise AssertionError('collect() summed the pool again')

    monkeypatch.setattr(units, 'image_pixels', no_resum)
    strategy = Entropy(seed=0)
    budget = 16  # 32 px in all: shares floor(16 * 24 / 32), floor(16*8/32)
    sizes = []
    for item in items:
        prob = torch.rand(3, *item.shape).softmax(0)
        pool = units.collect(item, dict(prob=prob), None, strategy, 1, budget)
        sizes.append(len(pool.unit_id))
    assert sizes == [12, 4]


def test_threaded_region_commit_equals_one_loop(tmp_path):
    # the stamp maps are encoded in threads: the same purchase, files and
    # pending count as one thread, over a prior round's maps
    rng = np.random.default_rng(0)
    shape = (40, 60)
    maps = {
        f's{i}': rng.integers(0, 12, shape).astype(np.int32)
        for i in range(9)
    }
    items = [PoolItem(i, f's{i}', shape) for i in range(9)]
    pool = UnitPool(
        image_index=np.repeat(np.arange(9), 12),
        unit_id=np.tile(np.arange(12), 9),
        cost=np.ones(9 * 12, np.int64))
    first = Selection(rng.choice(pool.cost.size, 20, replace=False))
    second = Selection(rng.choice(pool.cost.size, 40, replace=False))
    results = []
    for threads in (1, 4):
        units = _FixedRegions(maps)
        units.commit_threads = threads
        units.setup(items)
        root = tmp_path / f't{threads}'
        store = MaskLabelStore(str(root), dict(a=1))
        spent, labeled = [], 0
        for k, sel in ((1, first), (2, second)):
            out = units.commit(store, pool, sel)
            assert store.pending == out.spent
            spent.append(out)
            labeled += out.spent
            report = _report(k, out.spent, labeled)
            report['total'] = 9 * shape[0] * shape[1]
            report['labeled_fraction'] = labeled / report['total']
            store.commit(k, report)
        files = {
            p.name: p.read_bytes()
            for p in sorted(Path(store.mask_dir).glob('*.png'))
        }
        results.append((spent, files))
        store.close()
    (one, files_one), (four, files_four) = results
    assert files_one == files_four and len(files_one) == 9
    for a, b in zip(one, four):
        assert (a.spent, a.num_units, a.images) == (b.spent, b.num_units,
                                                    b.images)
        assert a.masks.keys() == b.masks.keys()
        for i in a.masks:
            np.testing.assert_array_equal(a.masks[i], b.masks[i])


def test_a_failed_threaded_commit_commits_nothing(tmp_path, monkeypatch):
    maps = {
        f's{i}': np.repeat(np.arange(3), 8).reshape(SHAPE)
        for i in range(6)
    }
    units = _FixedRegions(maps)
    units.commit_threads = 3
    units.setup([PoolItem(i, f's{i}', SHAPE) for i in range(6)])
    store = MaskLabelStore(str(tmp_path), dict(a=1))
    real = units.region_map

    def broken(item):
        if item.stem == 's2':
            raise OSError('unreadable region map s2')
        return real(item)

    monkeypatch.setattr(units, 'region_map', broken)
    pool = UnitPool(
        image_index=np.arange(6),
        unit_id=np.zeros(6, np.int64),
        cost=np.full(6, 8))
    with pytest.raises(OSError, match='s2'):
        units.commit(store, pool, Selection(np.arange(6)))
    assert store.last_round() == 0  # nothing committed
    store.close()
    reopened = MaskLabelStore(str(tmp_path), dict(a=1))  # rolls back
    assert reopened.last_round() == 0
    assert not any(reopened.mask(f's{i}', SHAPE).any() for i in range(6))
    reopened.close()
