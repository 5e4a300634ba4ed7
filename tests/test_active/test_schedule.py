"""round_budgets: each round's budget in the units' cost (hand-computed)."""
import pytest

from mmseg_ada.active.schedule import RoundSchedule, round_budgets


def test_total_splits_evenly_with_the_remainder_to_the_last_round():
    # Office-Home Clipart: 4365 images, 5 % over 5 rounds (LADA / CLUE):
    # T = round(218.25) = 218 -> 43 per round, 218 - 4 * 43 = 46 last
    assert round_budgets(4365, 5, total=0.05) == [43, 43, 43, 43, 46]
    # an absolute total, and one that divides evenly
    assert round_budgets(100, 3, total=10) == [3, 3, 4]
    assert round_budgets(100, 5, total=10) == [2, 2, 2, 2, 2]
    # round(), not floor, for the fraction of the total
    assert sum(round_budgets(795, 5, total=0.05)) == 40  # 39.75 -> 40
    assert round_budgets(795, 5, total=0.05)[-1] == 8


def test_per_round_is_a_floor_fraction_or_a_count_or_a_list():
    # 1 % of a 2048x1024 image's pixels per round
    assert round_budgets(2097152, 3, per_round=0.01) == [20971] * 3
    assert round_budgets(1000, 2, per_round=50) == [50, 50]
    assert round_budgets(1000, 3, per_round=[10, 0.02, 30]) == [10, 20, 30]


def test_bad_budgets_name_the_field():
    with pytest.raises(ValueError, match='exactly one'):
        round_budgets(100, 2)
    with pytest.raises(ValueError, match='exactly one'):
        round_budgets(100, 2, per_round=1, total=2)
    with pytest.raises(ValueError, match=r'per_round=1.5'):
        round_budgets(100, 2, per_round=1.5)
    with pytest.raises(ValueError, match=r'per_round\[1\]'):
        round_budgets(100, 2, per_round=[1, -2])
    with pytest.raises(ValueError, match='2 entries for 3 rounds'):
        round_budgets(100, 3, per_round=[1, 2])
    with pytest.raises(ValueError, match='total=2.0'):
        round_budgets(100, 2, total=2.0)
    with pytest.raises(TypeError, match='number'):
        round_budgets(100, 2, per_round=True)
    with pytest.raises(ValueError, match='num_rounds'):
        round_budgets(100, 0, total=5)
    with pytest.raises(ValueError, match='pool has 100'):
        round_budgets(100, 3, per_round=50)


def test_budget_that_rounds_to_zero_in_a_round_is_refused():
    """Issue 16, case 2: a budget buying 0 units in some round is refused,
    naming the rounds and the smallest budget that buys one unit."""
    with pytest.raises(ValueError) as e:  # floor(0.1) = 0 in every round
        round_budgets(1000, 3, per_round=0.0001)
    msg = str(e.value)
    assert 'per_round=0.0001' in msg and 'rounds 1, 2, 3' in msg
    assert 'smallest per_round that buys one unit is 0.001' in msg
    with pytest.raises(ValueError, match=r'per_round\[1\].*in round 2'):
        round_budgets(1000, 3, per_round=[10, 0.0001, 3])
    # total=2 over 3 rounds: [0, 0, 2]
    with pytest.raises(ValueError) as e:
        round_budgets(1000, 3, total=2)
    msg = str(e.value)
    assert 'rounds 1, 2' in msg and 'round 3' not in msg
    assert 'is 3 (a count) or 0.003 (a fraction)' in msg
    # the smallest budgets named buy one unit in every round
    assert round_budgets(1000, 3, per_round=0.001) == [1, 1, 1]
    assert round_budgets(1000, 3, total=0.003) == [1, 1, 1]
    assert round_budgets(1000, 3, total=3) == [1, 1, 1]
    # a pool smaller than the rounds cannot be split
    with pytest.raises(ValueError, match='pool of 2 units cannot give'):
        round_budgets(2, 3, total=2)
    # the remainder rule is kept: it goes to the last round
    assert round_budgets(1000, 3, total=5) == [1, 1, 3]


def test_rounding_of_a_per_round_fraction():
    """Issue 17 (1a): SDM's "1% ... 5 times" as its released logs buy it
    (rounded up); the floor stays the default."""
    sizes = dict(
        webcam=795,
        dslr=498,
        amazon=2817,
        clipart=4365,
        art=2427,
        product=4439,
        real_world=4357)
    ceil = dict(
        webcam=8,
        dslr=5,
        amazon=29,
        clipart=44,
        art=25,
        product=45,
        real_world=44)
    floor = dict(
        webcam=7,
        dslr=4,
        amazon=28,
        clipart=43,
        art=24,
        product=44,
        real_world=43)
    for name, n in sizes.items():
        assert round_budgets(
            n, 5, per_round=0.01, rounding='ceil') == [ceil[name]] * 5, name
        assert round_budgets(n, 5, per_round=0.01) == [floor[name]] * 5
        assert round_budgets(
            n, 5, per_round=0.01, rounding='floor') == [floor[name]] * 5
    # 'round': 7.95 -> 8, 4.98 -> 5, 28.17 -> 28, 43.65 -> 44
    assert [
        round_budgets(n, 1, per_round=0.01, rounding='round')[0]
        for n in (795, 498, 2817, 4365)
    ] == [8, 5, 28, 44]
    # exact products stay exact under 'ceil' (0.01 x 800 = 8.000...002)
    assert round_budgets(800, 2, per_round=0.01, rounding='ceil') == [8, 8]
    # counts are never rounded; lists round every fraction
    assert round_budgets(795, 2, per_round=8, rounding='ceil') == [8, 8]
    assert round_budgets(
        795, 2, per_round=[0.01, 3], rounding='ceil') == [8, 3]
    # a total fraction: round() by default, else the rounding given
    assert sum(round_budgets(795, 5, total=0.05)) == 40  # 39.75
    assert sum(round_budgets(795, 5, total=0.05, rounding='floor')) == 39
    with pytest.raises(ValueError, match='rounding'):
        round_budgets(795, 5, per_round=0.01, rounding='up')
    # 'ceil' never buys 0 units of a fraction; 'round' may, and says so
    assert round_budgets(1000, 3, per_round=0.0001, rounding='ceil') == [1] * 3
    with pytest.raises(ValueError, match=r'round\(0.0004 x'):
        round_budgets(1000, 3, per_round=0.0004, rounding='round')


# ---------- issue 16, bug 1: a round budget below the cheapest region's cost
POOL = 1310720  # 1280 x 1024 pixels, as the demo pool


def test_budget_below_the_cheapest_region_is_refused():
    """per_round=0.0001 of the pool is 131 pixels a round: no region of
    400 pixels fits, so every round bought 0 regions and the run exited 0.
    Refused, naming the rounds, the budget in pixels, the cheapest region
    and the smallest per_round that buys one (cost-weighted)."""
    kw = dict(min_cost=400, unit='region', cost_unit='pixels')
    with pytest.raises(ValueError) as e:
        round_budgets(POOL, 3, per_round=0.0001, **kw)
    msg = str(e.value)
    assert 'rounds 1, 2, 3' in msg and 'round 1: 131' in msg
    assert 'cheapest region (400 pixels)' in msg
    assert 'buys 0 regions' in msg
    assert ('smallest per_round that buys one unit (a region of 400 pixels)'
            ' is 0.0004 (a fraction) or 400 (a count of pixels)') in msg
    # following the advice buys a region in every round
    assert round_budgets(POOL, 3, per_round=0.0004, **kw) == [524] * 3
    assert round_budgets(POOL, 3, per_round=400, **kw) == [400] * 3
    with pytest.raises(ValueError, match='round 2: 399 pixels'):
        round_budgets(POOL, 3, per_round=[400, 399, 500], **kw)
    # a budget of 0 pixels: the advice is cost-weighted too (it said
    # 0.0000008 or 1, which buys nothing)
    with pytest.raises(ValueError, match=r'is 0.0004 \(a fraction\) or 400'):
        round_budgets(POOL, 3, per_round=0.0000001, **kw)


def test_total_below_the_cheapest_region_is_refused():
    kw = dict(min_cost=400, unit='region', cost_unit='pixels')
    with pytest.raises(ValueError) as e:  # 262 pixels: [87, 87, 88]
        round_budgets(POOL, 3, total=0.0002, **kw)
    msg = str(e.value)
    assert 'rounds 1, 2, 3' in msg and 'round 3: 88' in msg
    assert ('smallest total that buys one unit (a region of 400 pixels) in '
            'every round is 1200 (a count of pixels) or 0.001 (a') in msg
    assert min(round_budgets(POOL, 3, total=1200, **kw)) == 400
    assert min(round_budgets(POOL, 3, total=0.001, **kw)) >= 400
    # only the rounds below the cheapest region are named
    with pytest.raises(ValueError) as e:  # [366, 366, 368]
        round_budgets(POOL, 3, total=1100, min_cost=367, unit='region')
    assert 'rounds 1, 2 (' in str(e.value)


def test_min_cost_may_stop_at_a_unit_that_fits():
    """A callable min_cost gets the smallest round budget as a bound (a
    region pool stops reading maps at the first region that fits)."""
    seen = []

    def cheapest(at_most):
        seen.append(at_most)
        return 50

    assert round_budgets(
        POOL, 2, per_round=[200, 100], min_cost=cheapest) == [200, 100]
    assert seen == [100]
    # pixel and image units (cost 1) keep the counts' advice
    with pytest.raises(ValueError, match='buys one unit is 0.001'):
        round_budgets(1000, 3, per_round=0.0001, min_cost=1)


def test_region_units_know_their_cheapest_region(tmp_path):
    """RegionUnits.min_cost: the smallest region's pixels over the pool,
    stopping at the first image with a region that fits the bound."""
    from mmseg_ada.active.region_cache import RegionCache
    from mmseg_ada.active.regions import grid_regions
    from mmseg_ada.active.units import PixelUnits, PoolItem, RegionUnits
    cache = RegionCache(str(tmp_path / 'c'), 'grid', cell_size=8)
    cache.write_meta()
    cache.save('a', grid_regions(16, 16, 8))  # 4 regions of 64 pixels
    cache.save('b', grid_regions(12, 12, 8))  # 64, 32, 32, 16 pixels
    units = RegionUnits(cache=cache.cache_dir)
    units.setup([PoolItem(0, 'a', (16, 16)), PoolItem(1, 'b', (12, 12))])
    assert units.min_cost() == 16
    assert list(units._sizes) == ['a', 'b']
    units._sizes.clear()
    assert units.min_cost(at_most=100) == 64  # 'a' has one: 'b' not read
    assert list(units._sizes) == ['a']
    assert PixelUnits().min_cost() == 1
    # the schedule refuses a budget the cheapest region does not fit
    with pytest.raises(ValueError, match=r'cheapest region \(16 pixels\)'):
        round_budgets(
            units.total_cost(),
            2,
            per_round=15,
            min_cost=units.min_cost,
            unit='region',
            cost_unit='pixels')


def _pool(cost, kind='region'):
    import numpy as np

    from mmseg_ada.active.pool import UnitPool
    n = len(cost)
    return UnitPool(
        image_index=np.zeros(n, np.int64),
        unit_id=np.arange(n),
        cost=np.asarray(cost, np.int64),
        kind=kind)


def test_a_round_that_buys_nothing_is_refused():
    """A round whose picks spend 0 with a budget > 0 raises, saying why;
    only an exhausted target passes, with a note for the round report."""
    from mmseg_ada.active.pool import Selection, check_bought
    sel = Selection.empty()
    kw = dict(strategy='Random', cost_unit='pixels', labeled=0, total=1000)
    # nothing fits: the cheapest region costs more than the budget
    with pytest.raises(RuntimeError) as e:
        check_bought(_pool([200, 300, 0]), sel, 131, 2, **kw)
    msg = str(e.value)
    assert 'active round 2: Random bought 0 regions' in msg
    assert 'budget of 131 pixels' in msg and 'costs 200 pixels' in msg
    # something fits but the strategy picked nothing
    with pytest.raises(RuntimeError, match='1 of the 2 unlabelled regions'):
        check_bought(_pool([100, 300]), sel, 131, 1, **kw)
    # a pool without unlabelled candidates while the target is not
    with pytest.raises(RuntimeError, match='offered no unlabelled pixel'):
        check_bought(_pool([], 'pixel'), sel, 5, 1, **kw)
    # the target is exhausted: legitimate, and said
    note = check_bought(_pool([0, 0]), sel, 131, 3, **dict(kw, labeled=1000))
    assert 'pool is exhausted' in note and 'round 3' in note
    # a purchase, or a budget of 0, passes
    assert check_bought(_pool([100, 300]), Selection([0]), 131, 1,
                        **kw) is None
    assert check_bought(_pool([100]), sel, 0, 1, **kw) is None


def test_round_schedule_counts_rounds_and_ends():
    s = RoundSchedule([0, 10, 25], max_iters=40)
    assert [s.rounds_started(t) for t in (0, 9, 10, 24, 25, 39)] == \
        [1, 1, 2, 2, 3, 3]
    assert [s.round_start(k) for k in (0, 1, 2, 3)] == [0, 0, 10, 25]
    with pytest.raises(ValueError, match='round 4 of a run with 3'):
        s.round_start(4)
    assert s.round_ends() == [10, 25, 40]
    assert s.pretraining_end() is None
    later = RoundSchedule([5, 10], max_iters=20)
    assert later.rounds_started(4) == 0 and later.pretraining_end() == 5
    assert RoundSchedule([], 7).round_ends() == []
