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
