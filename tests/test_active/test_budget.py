"""ADeADA budget arithmetic: Eqs. 2, 5, 6, 7 and the Table 5 policies."""
import numpy as np
import pytest

from mmseg_ada.active.adeada.budget import (allocate_pixels, buy_per_class,
                                            category_budgets, class_kl,
                                            class_weights, density_fraction,
                                            density_score, split_round_budget)


def test_eq7_half_decay_and_table5_policies():
    half = [density_fraction(k, 'half', 1.0, 1.0) for k in range(1, 6)]
    assert half == [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16]
    assert [density_fraction(k, 'half', 0.5, 1.0) for k in (1, 2, 3)] == \
        [0.5, 0.25, 0.125]
    assert density_fraction(3, 'half', 1.0, 2.0) == 2.0**-4
    assert [density_fraction(k, 'even') for k in (1, 4)] == [0.5, 0.5]
    # supplement Table 5: "initialized as 1.0 and linearly decreases by
    # 0.2", whatever alpha (it was alpha - 0.2 (k - 1): 0.5, 0.3, 0.1 ...)
    for alpha in (1.0, 0.5, 0.0):
        lin = [density_fraction(k, 'linear', alpha) for k in range(1, 8)]
        np.testing.assert_allclose(
            lin, [1.0, 0.8, 0.6, 0.4, 0.2, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(
        [density_fraction(k, 'linear', linear_step=0.3) for k in (1, 2, 4)],
        [1.0, 0.7, 0.1],
        atol=1e-12)
    assert density_fraction(2, 'density') == 1.0
    assert density_fraction(1, 'uncertainty') == 0.0
    assert density_fraction(1, 'half', alpha=0.0) == 0.0
    for bad in (dict(round_idx=0), dict(round_idx=1, policy='cosine'),
                dict(round_idx=1, alpha=1.5), dict(round_idx=1, beta=-1)):
        with pytest.raises(ValueError):
            density_fraction(**bad)


def test_eq7_integer_split_adds_up():
    b = split_round_budget(101, 2, 'half')
    assert (b.density, b.uncertainty) == (51, 50)  # 50.5 rounds half up
    b = split_round_budget(1000, 3, 'half')
    assert (b.density, b.uncertainty, b.density_fraction) == (250, 750, .25)
    rng = np.random.default_rng(0)
    for total in rng.integers(0, 10**9, size=50):
        for k in (1, 2, 5):
            for policy in ('half', 'even', 'linear', 'density', 'uncertainty'):
                b = split_round_budget(int(total), k, policy, 0.7, 1.3)
                assert b.density + b.uncertainty == total
                assert 0 <= b.density <= total
    with pytest.raises(ValueError):
        split_round_budget(-1, 1)


def test_eq2_density_score_by_hand():
    lt = np.array([-1.0, 2.0, -np.inf, 0.5, -np.inf])
    ls = np.array([-3.0, 2.5, 1.0, -np.inf, -np.inf])
    np.testing.assert_array_equal(
        density_score(lt, ls), [2.0, -0.5, -np.inf, np.inf, 0.0])
    with pytest.raises(ValueError, match='NaN'):
        density_score(np.array([np.nan]), np.array([0.0]))
    with pytest.raises(ValueError, match='shape'):
        density_score(np.zeros(2), np.zeros(3))


def test_eq5_class_kl_by_hand():
    pi = np.array([1.0, 3.0, -2.0, 5.0, np.inf, 0.0])
    cls = np.array([0, 0, 1, 1, 3, 0])
    kl = class_kl(pi, cls, 5)
    np.testing.assert_allclose(kl[:2], [4 / 3, 1.5])
    assert np.isnan(kl[2]) and np.isnan(kl[4]) and kl[3] == np.inf
    mask = np.array([True, False, True, True, False, True])
    kl = class_kl(pi, cls, 5, mask)
    np.testing.assert_allclose(kl[:2], [0.5, 1.5])
    assert np.isnan(kl[3])


def test_eq6_sigma_log10_is_the_released_codes_by_hand():
    """The default sigma, as the authors' code: w = int(log10(|KL|)),
    truncated toward zero, floored at 0 (|KL| < 10 -> 0)."""
    kl = np.array([626., 285., 80., 8., -150., 0.5, 0.0, 12345.])
    want = [2, 2, 1, 0, 2, 0, 0, 4]  # log10: 2.80 2.45 1.90 0.90 2.18 ...
    np.testing.assert_array_equal(class_weights(kl), want)
    np.testing.assert_array_equal(class_weights(kl, sigma='log10'), want)
    # exact powers of ten sit on the upper side
    np.testing.assert_array_equal(
        class_weights(np.array([10., 100., 9.999])), [1, 2, 0])
    # +inf: the top finite weight; -inf, NaN, ineligible: nothing
    w = class_weights(
        np.array([626., 8., np.inf, -np.inf, np.nan, 5000.]),
        eligible=np.array([1, 1, 1, 1, 1, 0], bool))
    np.testing.assert_array_equal(w, [2, 0, 2, 0, 0, 0])


def test_eq6_sigma_on_the_issues_example_both_readings():
    """Shares of B_d on one example (KL = 626, 285, 80, 8 nats): the
    released code's log10 weights 2, 2, 1, 0 -> 0.4 / 0.4 / 0.2 / 0; the
    standardised softmax (the earlier default, an option) 0.705 / 0.169 /
    0.072 / 0.054; a proportional split (relu) 0.626 / 0.285 / 0.080 /
    0.008."""
    kl = np.array([626., 285., 80., 8.])
    elig = np.ones(4, bool)
    b, w = category_budgets(kl, elig, 1000)
    np.testing.assert_array_equal(w, [2, 2, 1, 0])
    assert b.tolist() == [400, 400, 200, 0]
    z = (kl - kl.mean()) / kl.std()
    share = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(
        share, [0.7045, 0.1695, 0.0720, 0.0540], atol=5e-4)
    b, _ = category_budgets(kl, elig, 1000, sigma='zsoftmax')
    assert b.tolist() == [704, 170, 72, 54]  # 704.5, 169.5: remainders
    np.testing.assert_allclose(share * 1000, b, atol=1)
    b, _ = category_budgets(kl, elig, 999, sigma='relu')
    assert b.tolist() == [626, 285, 80, 8]
    # every |KL| below 10: no log10 signal, the budget is split evenly
    b, w = category_budgets(np.array([9., 0.2, -3.]), np.ones(3, bool), 10)
    assert w.tolist() == [1, 1, 1] and b.tolist() == [4, 3, 3]


def test_eq6_sigma_by_hand_including_negative_and_zero_kl():
    z = np.array([-1, 0, 1]) * np.sqrt(1.5)  # standardised [1, 2, 3]
    expect = np.exp(z - z.max())

    def zsoft(kl, **kw):
        return class_weights(kl, sigma='zsoftmax', **kw)

    np.testing.assert_allclose(zsoft(np.array([1., 2., 3.])), expect)
    # shift and scale invariant: negative / zero KL behave the same
    np.testing.assert_allclose(zsoft(np.array([-1., 0., 1.])), expect)
    np.testing.assert_allclose(zsoft(np.array([-300., 0., 300.])), expect)
    # equal KL (including all zero) = uniform
    np.testing.assert_allclose(zsoft(np.zeros(4)), np.ones(4))
    np.testing.assert_allclose(
        class_weights(np.array([-1., 0., 2.]), sigma='relu'), [0, 0, 2])
    np.testing.assert_allclose(
        class_weights(np.array([-1., -2.]), sigma='relu'), [1, 1])
    np.testing.assert_allclose(
        class_weights(np.array([0., 1.]), sigma='softmax', temperature=2.0),
        [np.exp(-0.5), 1.0])
    np.testing.assert_allclose(
        class_weights(np.array([0., 2.]), sigma='sigmoid'),
        [0.5, 1 / (1 + np.exp(-2))])
    np.testing.assert_allclose(
        class_weights(np.array([3., 5.]), sigma=lambda v: v**2), [9, 25])
    # +inf: as much as the top class; -inf, NaN, ineligible: nothing
    w = zsoft(
        np.array([1., 2., 3., np.inf, -np.inf, np.nan, 9.]),
        eligible=np.array([1, 1, 1, 1, 1, 1, 0], bool))
    np.testing.assert_allclose(w, list(expect) + [1, 0, 0, 0])
    with pytest.raises(ValueError, match='sigma'):
        class_weights(np.ones(2), sigma='tanh')


def test_largest_remainder_is_exact():
    assert allocate_pixels(10, np.array([1, 1, 1])).tolist() == [4, 3, 3]
    assert allocate_pixels(7, np.array([.5, .3, .2])).tolist() == [4, 2, 1]
    assert allocate_pixels(5, np.zeros(3)).tolist() == [0, 0, 0]
    assert allocate_pixels(3, np.array([0, 1, 0, 1])).tolist() == \
        [0, 2, 0, 1]
    rng = np.random.default_rng(1)
    for _ in range(200):
        w = rng.random(rng.integers(1, 20)) * (rng.random() < 0.9)
        w[rng.random(w.size) < 0.3] = 0
        total = int(rng.integers(0, 10**8))
        out = allocate_pixels(total, w)
        if w.sum() > 0:
            assert out.sum() == total
            assert (out[w == 0] == 0).all()
            assert (np.abs(out - w / w.sum() * total) < 1).all()
    with pytest.raises(ValueError):
        allocate_pixels(10, np.array([1.0, -1.0]))


def test_eq6_category_budgets_by_hand():
    kl = np.array([1.0, 2.0, 3.0, np.nan])
    eligible = np.array([True, True, True, False])
    b, w = category_budgets(kl, eligible, 1000, sigma='relu')
    assert b.tolist() == [167, 333, 500, 0]  # 166.7, 333.3, 500
    np.testing.assert_allclose(w, [1, 2, 3, 0])
    # a class without candidates gets 0 and its share is redistributed
    b, _ = category_budgets(
        np.array([1.0, 2.0, 3.0]),
        np.array([True, False, True]),
        400,
        sigma='relu')
    assert b.tolist() == [100, 0, 300]
    b, _ = category_budgets(kl, eligible, 1000, balance=False)
    assert b.tolist() == [334, 333, 333, 0]
    b, _ = category_budgets(np.array([-np.inf, -np.inf]), np.ones(2, bool), 11)
    assert b.sum() == 11  # no density signal at all: even split
    b, _ = category_budgets(kl, np.zeros(4, bool), 1000)
    assert b.sum() == 0


def test_buy_per_class_by_hand_with_redistribution():
    score = np.array([5., 4., 3., 9., 8., 1., 7.])
    cls = np.array([0, 0, 0, 1, 1, 1, 2])
    cost = np.array([10, 10, 10, 30, 30, 5, 50])
    # class 2 cannot afford its only region (50 > 20): its 20 pixels and
    # class 1's remainder are re-split over classes 0 and 1.
    idx, spent, count = buy_per_class(score, cls, cost, np.array([20, 40, 20]),
                                      np.array([1.0, 1.0, 1.0]))
    assert idx[:3].tolist() == [0, 1, 3]
    assert spent.sum() <= 80 and len(set(idx.tolist())) == idx.size
    assert spent.tolist() == [30, 35, 0]  # 0,1,2 | 3,5
    assert count.tolist() == [3, 2, 0]
    # a cap per class, and zero-cost rows are never bought
    cost0 = cost.copy()
    cost0[0] = 0
    idx, spent, _ = buy_per_class(
        score,
        cls,
        cost0,
        np.array([100, 0, 0]),
        np.array([1.0, 0.0, 0.0]),
        max_regions_per_class=1)
    assert idx.tolist() == [1] and spent.tolist() == [10, 0, 0]
    # global fallback pass: shares too small for any region, pooled
    idx, spent, _ = buy_per_class(
        np.array([1., 2.]), np.array([0, 1]), np.array([8, 8]),
        np.array([5, 5]), np.array([1.0, 1.0]))
    assert idx.tolist() == [1] and spent.sum() == 8
    # termination when nothing can ever be bought
    idx, spent, _ = buy_per_class(
        np.array([1.]), np.array([0]), np.array([50]), np.array([10]))
    assert idx.size == 0 and spent.sum() == 0


def test_buy_per_class_random_never_overspends():
    rng = np.random.default_rng(2)
    for _ in range(30):
        n, c = int(rng.integers(1, 60)), int(rng.integers(1, 6))
        score = rng.normal(size=n)
        score[rng.random(n) < 0.1] = np.inf
        cls = rng.integers(0, c, n)
        cost = rng.integers(0, 100, n)
        budgets = rng.integers(0, 400, c)
        w = rng.random(c) * (rng.random(c) < 0.8)
        idx, spent, count = buy_per_class(score, cls, cost, budgets, w, None,
                                          int(rng.integers(1, 5)))
        assert len(set(idx.tolist())) == idx.size
        assert cost[idx].sum() == spent.sum() <= budgets.sum()
        assert (cost[idx] > 0).all()
        assert np.bincount(cls[idx], minlength=c).tolist() == count.tolist()
