"""round_budgets: each round's budget in the units' cost (hand-computed)."""
import pytest

from mmseg_ada.active.schedule import round_budgets


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
