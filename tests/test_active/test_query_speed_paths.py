"""The faster query paths of issue 19 give what the old code gave.

Each test keeps the old computation as a reference (a monkeypatched seam
restoring the old code path) and compares on fixed seeds, bit for bit.
"""
import numpy as np
import pytest

from tests.test_active.cls_utils import image_pool, load, random_prob

F = load('functional')
knn = load('functional.knn')
LAS = load('strategies.las').LAS


def _old_diagonal(a, sub):
    """The old diagonal tile: the full product ``a @ a.T``."""
    return knn._block_product(a, a)


@pytest.mark.parametrize('n,d,sub', [(300, 64, 128), (512, 2048, 128),
                                     (1049, 256, 256), (97, 5, 64),
                                     (1000, 256, 192)])
def test_diagonal_product_equals_the_full_tile(n, d, sub):
    import torch
    x = np.random.default_rng(n).normal(size=(n, d)).astype(np.float32)
    a = torch.from_numpy(F.l2_normalize(x))
    half = knn._diagonal_product(a, sub)
    full = knn._block_product(a, a)
    assert torch.equal(half, full)


@pytest.mark.parametrize('n,d,k,block', [(700, 32, 10, 256),
                                         (1500, 2048, 10, 512),
                                         (503, 7, 5, 37), (400, 3, 3, 1000)])
def test_cosine_knn_equals_the_full_diagonal_tiles(monkeypatch, n, d, k,
                                                   block):
    x = np.random.default_rng(d + n).normal(size=(n, d)).astype(np.float32)
    sim, idx = F.cosine_knn(x, k, block=block)
    monkeypatch.setattr(knn, '_diagonal_product', _old_diagonal)
    ref_s, ref_i = F.cosine_knn(x, k, block=block)
    assert np.array_equal(sim, ref_s) and np.array_equal(idx, ref_i)


@pytest.mark.parametrize('m,n,d', [(2048, 2309, 64), (256, 1001, 256),
                                   (100, 130, 2048), (64, 65, 7),
                                   (300, 64, 33), (63, 999, 16)])
def test_padded_tile_product_equals_the_plain_one(m, n, d):
    """Columns padded to a multiple of 8 (MKL's fast kernels): the same
    entries bit for bit as ``a @ b.T``, as a ``[m, n]`` tensor."""
    import torch
    x = np.random.default_rng(m + n).normal(size=(m + n, d))
    x = torch.from_numpy(F.l2_normalize(x.astype(np.float32)))
    a, b = x[:m], x[m:]
    got = knn._block_product(a, b)
    assert got.shape == (m, n)
    assert torch.equal(got, a @ b.T)


@pytest.mark.parametrize('n,d,block', [(2309, 256, 2048), (1237, 2048, 512),
                                       (999, 40, 256)])
def test_cosine_knn_equals_the_unpadded_products(monkeypatch, n, d, block):
    """The whole neighbour search with and without the padded products
    (pools whose tiles are not multiples of 8 wide)."""
    x = np.random.default_rng(n).normal(size=(n, d)).astype(np.float32)
    sim, idx = F.cosine_knn(x, 10, block=block)
    monkeypatch.setattr(knn, '_PAD_MIN', 10**9)  # never pad
    ref_s, ref_i = F.cosine_knn(x, 10, block=block)
    assert np.array_equal(sim, ref_s) and np.array_equal(idx, ref_i)


@pytest.mark.parametrize('seed,d', [(0, 16), (1, 256)])
def test_las_picks_equal_the_old_path(monkeypatch, seed, d):
    rng = np.random.default_rng(seed)
    n = 900
    p, _ = random_prob(rng, n, 5)
    centres = rng.normal(size=(5, d))
    feat = (centres[p.argmax(1)] + rng.normal(size=(n, d))).astype(np.float32)
    pool = image_pool(p, feat, stats=False)
    strat = LAS(k=10, m=5, block=256, seed=seed)
    sel = strat.select(pool, 12, 2)
    li = strat.local_inconsistency(pool)
    monkeypatch.setattr(knn, '_diagonal_product', _old_diagonal)
    ref = strat.select(pool, 12, 2)
    ref_li = strat.local_inconsistency(pool)
    assert sel.index.tolist() == ref.index.tolist()
    for key in ('neighbours', 'weights', 'li', 'smoothed'):
        assert np.array_equal(li[key], ref_li[key])


# ------------------------------------------------- k-means++ (BADGE, SAGE)
def _old_kmeanspp(dist,
                  k,
                  rng,
                  first=None,
                  sample_weight=None,
                  n_local_trials=1):
    """The k-means++ loop before issue 19's trims (ones multiplied in,
    every chosen row zeroed at every step)."""
    n = len(dist)
    w = (
        np.ones(n) if sample_weight is None else np.asarray(
            sample_weight, dtype=np.float64))
    out = np.empty(k, dtype=np.int64)
    chosen = np.zeros(n, dtype=bool)
    if first is None:
        p = w / w.sum() if w.sum() > 0 else None
        first = int(rng.choice(n, p=p))
    out[0] = int(first)
    chosen[out[0]] = True
    closest = dist(None, out[:1])[:, 0]
    closest[chosen] = 0.0
    for c in range(1, k):
        mass = np.cumsum(w * closest)
        if not mass[-1] > 0:
            left = np.flatnonzero(~chosen)
            out[c:] = rng.choice(left, size=k - c, replace=False)
            break
        draws = rng.random(n_local_trials) * mass[-1]
        cand = np.minimum(np.searchsorted(mass, draws, side='right'), n - 1)
        if n_local_trials == 1:
            best = int(cand[0])
            closest = np.minimum(closest, dist(None, [best])[:, 0])
        else:
            d = dist(None, cand)
            np.minimum(d, closest[:, None], out=d)
            d[chosen] = 0.0
            j = int(np.argmin(w @ d))
            best = int(cand[j])
            closest = d[:, j].copy()
        out[c] = best
        chosen[best] = True
        closest[chosen] = 0.0
    return out


class _OldOuter(F.OuterSqDist):
    """OuterSqDist with the old product (two float64 copies)."""

    def _dot(self, rows, cols):
        pa = (self._a[rows] @ self._a[cols].T).double()
        pz = (self._z[rows] @ self._z[cols].T).double()
        return (pa * pz).numpy()


@pytest.mark.parametrize('trials,weighted,first', [(1, False, 0),
                                                   (1, True, None),
                                                   (4, False, None),
                                                   (3, True, 5)])
def test_kmeanspp_picks_equal_the_old_loop(trials, weighted, first):
    rng = np.random.default_rng(trials)
    n = 1500
    x = rng.normal(size=(n, 24)).astype(np.float32)
    x[::7] = x[3]  # duplicates: rows at distance 0 from a centre
    w = rng.uniform(0, 2, n) if weighted else None
    dist = F.DenseSqDist(x, max_elems=4096)
    got = F.kmeanspp(
        dist,
        60,
        np.random.default_rng(7),
        first=first,
        sample_weight=w,
        n_local_trials=trials)
    ref = _old_kmeanspp(
        dist,
        60,
        np.random.default_rng(7),
        first=first,
        sample_weight=w,
        n_local_trials=trials)
    assert got.tolist() == ref.tolist()


def test_kmeanspp_equals_the_old_loop_when_every_row_is_taken():
    x = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 3 points x4
    dist = F.DenseSqDist(x)
    for trials in (1, 2):
        got = F.kmeanspp(
            dist, 8, np.random.default_rng(1), first=0, n_local_trials=trials)
        ref = _old_kmeanspp(
            dist, 8, np.random.default_rng(1), first=0, n_local_trials=trials)
        assert got.tolist() == ref.tolist()


def test_outer_distances_and_badge_picks_equal_the_old_product():
    BADGE = load('strategies.badge').BADGE
    rng = np.random.default_rng(3)
    p, _ = random_prob(rng, 2000, 7)
    z = rng.normal(size=(2000, 32)).astype(np.float32)
    a, z = BADGE.gradient_factors(p, z)
    new, old = F.OuterSqDist(
        a, z, max_elems=5000), _OldOuter(
            a, z, max_elems=5000)
    cols = [0, 17, 1999]
    assert np.array_equal(new(None, cols), old(None, cols))
    assert np.array_equal(new([3, 5, 8], cols), old([3, 5, 8], cols))
    pool = image_pool(p, z, labelled=range(0, 2000, 50), stats=False)
    for trials in (1, 3):
        got = BADGE(seed=2, n_local_trials=trials).select(pool, 40, 1)
        k = len(got.index)
        cand = np.flatnonzero(pool.cost > 0)
        fa, fz = BADGE.gradient_factors(p[cand], z[cand])
        d = _OldOuter(fa, fz)
        ref = _old_kmeanspp(
            d,
            k,
            BADGE(seed=2).rng(1),
            first=int(np.argmax(d.sq)),
            n_local_trials=trials)
        assert got.index.tolist() == cand[ref].tolist()


# ---------------------------------------------- k-means init_size (CLUE)
def _blobs(seed, n=600, d=8, c=5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    x = (rng.normal(size=(c, d)) * 4)[y] + rng.normal(size=(n, d))
    return x.astype(np.float32), rng.uniform(0, 1, n)


@pytest.mark.parametrize('init_size', [None, 600, 10_000])
def test_seeded_kmeans_without_a_draw_is_sklearn_kmeans(init_size):
    """init_size None or >= N: the exact path, what ``KMeans`` gives."""
    from sklearn.cluster import KMeans
    x, w = _blobs(0)
    centres, km = F.seeded_kmeans(
        x, 7, 11, sample_weight=w, init_size=init_size)
    ref = KMeans(
        7, init='k-means++', n_init=1, random_state=11).fit(
            x, sample_weight=w)
    assert np.array_equal(centres, ref.cluster_centers_)
    assert np.array_equal(km['labels'], ref.labels_)
    assert km['init_size'] == 600


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_seeded_kmeans_init_size_seeds_on_a_seeded_draw():
    from sklearn.cluster import KMeans, kmeans_plusplus
    x, w = _blobs(1)
    centres, km = F.seeded_kmeans(x, 6, 5, sample_weight=w, init_size=50)
    rs = np.random.RandomState(5)
    rows = np.sort(rs.choice(600, 50, replace=False))
    init, _ = kmeans_plusplus(
        x[rows].astype(np.float64), 6, sample_weight=w[rows], random_state=rs)
    ref = KMeans(
        6, init=init.astype(np.float32), n_init=1, random_state=5).fit(
            x, sample_weight=w)
    assert np.array_equal(centres, ref.cluster_centers_)
    assert km['init_size'] == 50 and km['labels'].shape == (600, )
    again, _ = F.seeded_kmeans(x, 6, 5, sample_weight=w, init_size=50)
    assert np.array_equal(centres, again)
    # a draw without weight seeds unweighted instead of failing
    zero = np.zeros(600)
    F.seeded_kmeans(
        x, 6, 5, sample_weight=zero + (np.arange(600) == 0), init_size=50)
    with pytest.raises(ValueError, match='init_size'):
        F.seeded_kmeans(x, 6, 5, init_size=5)


def test_clue_init_size_is_opt_in_and_at_least_the_budget():
    CLUE = load('strategies.clue').CLUE
    rng = np.random.default_rng(4)
    n = 800
    p, logits = random_prob(rng, n, 6)
    feat = rng.normal(size=(n, 16)).astype(np.float32)
    pool = image_pool(p, feat, extras=dict(logits=logits), stats=False)
    exact = CLUE(seed=3).select(pool, 20, 2)
    assert CLUE(seed=3, init_size=n).select(pool, 20, 2).index.tolist() \
        == exact.index.tolist()
    small = CLUE(seed=3, init_size=5).select(pool, 20, 2)  # raised to 20
    assert len(small.index) == 20
    seen = {}
    real = F.seeded_kmeans
    clue_mod = load('strategies.clue')

    def spy(*a, **kw):
        seen.update(kw)
        return real(*a, **kw)

    clue_mod.seeded_kmeans = spy
    try:
        CLUE(seed=3, init_size=100).select(pool, 20, 2)
    finally:
        clue_mod.seeded_kmeans = real
    assert seen['init_size'] == 100
    with pytest.raises(ValueError, match='init_size'):
        CLUE(init_size=0)


# ------------------------------------------ greedy k-means++ (CLUE, LAS)
@pytest.mark.parametrize('n,d,k,trials,weighted', [
    (600, 8, 7, None, True),
    (600, 8, 7, 1, False),
    (1500, 256, 30, None, False),
    (900, 2048, 12, None, True),
    (700, 33, 40, 3, True),
    (50, 4, 50, None, False),
])
def test_seeding_equals_sklearn_kmeans_plusplus(n, d, k, trials, weighted):
    from sklearn.cluster import kmeans_plusplus
    clustering = load('functional.clustering')
    rng = np.random.default_rng(n + d)
    y = rng.integers(0, 6, n)
    x = ((rng.normal(size=(6, d)) * 2)[y] + rng.normal(size=(n, d)))
    x = x.astype(np.float32)
    x[5:9] = x[0]  # ties: rows at distance 0
    w = rng.uniform(0, 2, n) if weighted else None
    seeder = clustering._Seeder(x, trials, k)
    for seed in (0, 3):
        got = seeder.seed(k, np.random.RandomState(seed), w)
        _, ref = kmeans_plusplus(
            x.astype(np.float64),
            k,
            sample_weight=w,
            random_state=np.random.RandomState(seed),
            n_local_trials=trials)
        assert got.tolist() == ref.tolist()


def _old_seeded_kmeans(x, k, random_state, n_init, sample_weight):
    """seeded_kmeans before issue 19: scikit-learn's ``kmeans_plusplus``
    on a float64 copy, then Lloyd."""
    from sklearn.cluster import KMeans, kmeans_plusplus
    x64 = x.astype(np.float64)
    rs = np.random.RandomState(random_state)
    best = None
    for _ in range(n_init):
        init, _ = kmeans_plusplus(
            x64, k, sample_weight=sample_weight, random_state=rs)
        km = KMeans(
            k, init=init.astype(x.dtype), n_init=1,
            random_state=random_state).fit(
                x, sample_weight=sample_weight)
        if best is None or km.inertia_ < best.inertia_:
            best = km
    return best


@pytest.mark.parametrize('n_init,weighted', [(1, True), (3, False)])
def test_seeded_kmeans_equals_the_old_path(n_init, weighted):
    x, w = _blobs(9, n=900, d=64, c=8)
    w = w if weighted else None
    centres, km = F.seeded_kmeans(x, 15, 4, n_init=n_init, sample_weight=w)
    ref = _old_seeded_kmeans(x, 15, 4, n_init, w)
    assert np.array_equal(centres, ref.cluster_centers_)
    assert np.array_equal(km['labels'], ref.labels_)
    assert km['inertia'] == float(ref.inertia_)
