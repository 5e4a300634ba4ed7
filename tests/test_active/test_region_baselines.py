"""ADeADA's Figure 3 region baselines: region-level BADGE, CLUE, AADA and
ReDAL, each on a tiny pool against a direct computation."""
import math

import numpy as np
import pytest
import torch

from mmseg_ada.active.functional import grow_until_spent
from mmseg_ada.active.pool import UnitPool, take_within_budget
from mmseg_ada.active.pooling import build_region_pool
from mmseg_ada.active.strategies import (ReDAL, RegionAADA, RegionBADGE,
                                         RegionCLUE)
from mmseg_ada.registry import STRATEGIES, build_active

C = 3


def _pool(n=12, d=4, seed=0, blobs=None):
    """Regions with a mean softmax, a mean feature and pixel costs."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, C)) * 2
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    feat = rng.normal(size=(n, d))
    if blobs is not None:  # well separated groups of rows
        for g, rows in enumerate(blobs):
            feat[rows] += 50.0 * (g + 1) * np.eye(d)[g % d]
    cost = rng.integers(5, 40, size=n)
    return UnitPool(
        image_index=np.arange(n) // 4,
        unit_id=np.arange(n) % 4,
        cost=cost,
        prob=prob.astype(np.float32),
        feature=feat.astype(np.float32),
        stats=dict(entropy=(-(prob * np.log(prob)).sum(1)).astype(np.float32)),
        kind='region')


# --------------------------------------------------------------- BADGE
def _direct_badge(pool, k, rng):
    """BADGE on materialised region gradient embeddings: the first seed is
    the largest ||g||, then D^2 sampling (one draw per step)."""
    cand = np.flatnonzero(pool.cost > 0)
    p = pool.prob[cand].astype(np.float64)
    a = p.copy()
    a[np.arange(len(a)), p.argmax(1)] -= 1.0
    g = np.einsum('nc,nd->ncd', a,
                  pool.feature[cand].astype(np.float64)).reshape(len(a), -1)
    picks = [int(np.argmax((g**2).sum(1)))]
    closest = ((g - g[picks[0]])**2).sum(1)
    for _ in range(1, k):
        mass = np.cumsum(closest)
        r = rng.random(1) * mass[-1]
        nxt = int(min(np.searchsorted(mass, r, side='right')[0], len(g) - 1))
        picks.append(nxt)
        closest = np.minimum(closest, ((g - g[nxt])**2).sum(1))
        closest[picks] = 0.0
    return cand[np.asarray(picks)]


def test_region_badge_against_materialised_embeddings():
    pool = _pool(n=16)
    pool.cost[3] = 0  # labelled: never a seed
    budget = int(pool.cost.sum() * 0.4)
    sel = RegionBADGE(seed=3).select(pool, budget, round_idx=2)
    k = sel.info['num_seeds']
    want = _direct_badge(pool, k, np.random.default_rng([3, 2]))
    assert sel.index.tolist() == take_within_budget(want, pool.cost,
                                                    budget).tolist()
    spent = int(pool.cost[sel.index].sum())
    assert spent == sel.info['spent'] <= budget
    assert 3 not in sel.index.tolist()
    # k grew (from ceil(budget / mean cost)) until the seeds overfill
    cand = np.flatnonzero(pool.cost > 0)
    assert pool.cost[want].sum() > budget or k == cand.size
    assert k >= math.ceil(budget / pool.cost[cand].mean())


def test_grow_until_spent_doubles_a_consistent_prefix():
    cost = np.array([10, 10, 1, 1, 1, 1, 1, 1, 10, 10])  # mean 4.6
    asked = []

    def pick(k):
        asked.append(k)
        return np.arange(k)  # rows 0..k-1: a consistent prefix

    rows, k = grow_until_spent(pick, cost, 30)
    # ceil(30 / 4.6) = 7 picks all fit (25 px): 14 -> 10 (all rows); then
    # rows 8 and 9 no longer fit the 4 px left
    assert asked == [7, 10] and k == 10
    assert rows.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    # the first k picks already overfill: no growth
    asked.clear()
    rows, k = grow_until_spent(pick, cost, 12)
    assert asked == [3] and rows.tolist() == [0, 2]  # 10 + 1, 10 skipped
    assert grow_until_spent(pick, cost, 0)[0].size == 0


# ---------------------------------------------------------------- CLUE
def test_region_clue_weights_and_nearest_to_weighted_centres():
    blobs = [list(range(0, 4)), list(range(4, 8)), list(range(8, 12))]
    pool = _pool(n=12, blobs=blobs, seed=1)
    pool.cost[:] = 10
    s = RegionCLUE(seed=0)
    # T = 1: the entropy of each region's mean softmax
    p = pool.prob.astype(np.float64)
    np.testing.assert_allclose(
        s.weights(pool), -(p * np.log(p)).sum(1), rtol=1e-6)
    # T = 0.1 tempers log p
    q = p**10 / (p**10).sum(1, keepdims=True)
    np.testing.assert_allclose(
        RegionCLUE(temperature=0.1).weights(pool),
        -(q * np.log(q)).sum(1),
        rtol=1e-5)
    sel = s.select(pool, 30, round_idx=1)  # 3 regions: one per blob
    assert sel.info['num_clusters'] == 3
    w = s.weights(pool)
    want, mass = [], []
    for rows in blobs:
        rows = np.asarray(rows)
        x = pool.feature[rows].astype(np.float64)
        centre = (w[rows, None] * x).sum(0) / w[rows].sum()
        want.append(int(rows[np.argmin(((x - centre)**2).sum(1))]))
        mass.append(w[rows].sum())
    # served by cluster weight, heaviest first
    assert sel.index.tolist() == [want[i] for i in np.argsort(mass)[::-1]]


# ---------------------------------------------------------------- AADA
def test_region_aada_from_pooled_discriminator_maps():
    """The region units pool the model's 'domain' map (P(source) per
    location) like any extra; the score is the region's mean pixel entropy
    times (1 - d) / d of the region's mean d."""
    rng = np.random.default_rng(0)
    h, w = 4, 6
    logits = torch.tensor(rng.normal(size=(C, h, w)) * 2)
    prob = logits.softmax(0).float()
    dom = torch.tensor(rng.uniform(0.1, 0.9, size=(1, h, w))).float()
    rmap = torch.tensor(np.repeat(np.arange(6), 4).reshape(h, w))
    pool = build_region_pool(prob, rmap, extras=dict(domain=dom))
    ent, d = [], []
    p = prob.numpy().astype(np.float64)
    for r in range(6):
        m = rmap.numpy() == r
        ent.append(np.mean(-(p[:, m] * np.log(p[:, m])).sum(0)))
        d.append(dom.numpy()[0][m].mean())
    ent, d = np.array(ent), np.array(d)
    s = RegionAADA()
    np.testing.assert_allclose(s.score(pool), ent * (1 - d) / d, rtol=1e-5)
    sel = s.select(pool, 9)  # 4-pixel regions: two fit
    assert sel.index.tolist() == list(np.argsort(-(ent * (1 - d) / d))[:2])
    only = RegionAADA(score='weight')
    np.testing.assert_allclose(only.score(pool), (1 - d) / d, rtol=1e-5)
    assert only.select(pool, 9).index.tolist() == list(np.argsort(d)[:2])
    # the top fraction is walked in a seeded random order
    a = RegionAADA(top_fraction=0.5, seed=1).select(pool, 9)
    b = RegionAADA(top_fraction=0.5, seed=1).select(pool, 9)
    assert a.index.tolist() == b.index.tolist()
    top3 = set(np.argsort(-(ent * (1 - d) / d))[:3].tolist())
    assert set(a.index.tolist()) <= top3
    with pytest.raises(ValueError, match='score'):
        RegionAADA(score='entropy')


# --------------------------------------------------------------- ReDAL
def _redal_maps():
    """Two images' worth in one: 8 regions of 2 x 2 pixels on a 4 x 8 map;
    features in two well separated groups (regions 0-3 and 4-7)."""
    rng = np.random.default_rng(5)
    h, w, d = 4, 8, 3
    rmap = np.zeros((h, w), dtype=np.int64)
    for r in range(8):
        y, x = divmod(r, 4)
        rmap[2 * y:2 * y + 2, 2 * x:2 * x + 2] = r
    logits = rng.normal(size=(C, h, w)) * 2
    prob = np.exp(logits) / np.exp(logits).sum(0, keepdims=True)
    feat = np.abs(rng.normal(size=(d, h, w)))
    feat[0][rmap >= 4] += 40.0  # the second group
    grad = rng.uniform(0, 0.1, size=(1, h, w))
    return rmap, prob, feat, grad


def _direct_redal(rmap, prob, feat, grad, alpha, beta, gamma, decay, cost,
                  budget, clusters):
    phi = []
    for r in range(8):
        m = rmap == r
        p = prob[:, m]
        ent = np.mean((-p * np.log2(p)).mean(0))  # ReDAL: mean over classes
        col = grad[0][m].mean()
        z = feat[:, m]  # [D, n]
        mean_z = z.mean(1)
        disp = 1 - (mean_z**2).sum() / (z**2).sum(0).mean()
        phi.append(alpha * ent + beta * col + gamma * disp)
    phi = np.array(phi)
    order = np.argsort(-phi, kind='stable')
    seen, out = {}, np.zeros(8)
    for i in order:
        c = clusters[i]
        out[i] = phi[i] * decay**seen.get(c, 0)
        seen[c] = seen.get(c, 0) + 1
    again = np.lexsort((np.argsort(order), -out))
    return phi, take_within_budget(again, cost, budget)


@pytest.mark.parametrize('weights', [(1.0, 0.1, 0.05), (1.0, 0.0, 0.0),
                                     (0.5, 2.0, 3.0)])
def test_redal_terms_and_diversity_against_a_direct_computation(weights):
    alpha, beta, gamma = weights
    rmap, prob, feat, grad = _redal_maps()
    sq = (feat**2).sum(0, keepdims=True)
    pool = build_region_pool(
        torch.tensor(prob).float(),
        torch.tensor(rmap),
        feature=torch.tensor(feat).float(),
        extras=dict(
            image_gradient=torch.tensor(grad).float(),
            feature_sq_norm=torch.tensor(sq).float()))
    s = ReDAL(
        alpha=alpha, beta=beta, gamma=gamma, num_clusters=2, decay_rate=0.5)
    clusters = [0, 0, 0, 0, 1, 1, 1, 1]
    budget = 4 * 4 + 2  # four regions of 4 pixels
    phi, want = _direct_redal(rmap, prob, feat, grad, alpha, beta, gamma, 0.5,
                              pool.cost, budget, clusters)
    np.testing.assert_allclose(s.score(pool), phi, rtol=1e-4, atol=1e-7)
    sel = s.select(pool, budget)
    assert sel.index.tolist() == want.tolist()
    assert sel.info['num_clusters'] == 2
    # what it collects follows the weights
    assert ('image_gradient' in s.requires) == (beta > 0)
    assert ('feature_sq_norm' in s.requires) == (gamma > 0)
    assert {'prob', 'feature'} <= set(s.requires)


def test_redal_diversity_spreads_picks_over_clusters():
    """Without decay the best regions may all come from one cluster; with
    ReDAL's decay the second cluster's best is taken earlier."""
    rmap, prob, feat, grad = _redal_maps()
    sq = (feat**2).sum(0, keepdims=True)
    pool = build_region_pool(
        torch.tensor(prob).float(),
        torch.tensor(rmap),
        feature=torch.tensor(feat).float(),
        extras=dict(
            image_gradient=torch.tensor(grad).float(),
            feature_sq_norm=torch.tensor(sq).float()))
    # make cluster 0 (regions 0-3) the most uncertain by far
    pool.stats['entropy'][:4] += 5.0
    plain = ReDAL(num_clusters=2, decay_rate=1.0).select(pool, 8)
    assert set(plain.index.tolist()) <= {0, 1, 2, 3}
    diverse = ReDAL(num_clusters=2, decay_rate=0.01).select(pool, 8)
    assert len(set(diverse.index.tolist()) & {4, 5, 6, 7}) == 1


def test_region_baselines_registry_and_errors():
    for name in ('RegionBADGE', 'RegionCLUE', 'RegionAADA', 'ReDAL'):
        s = build_active(dict(type=name, seed=1), STRATEGIES)
        assert s.unit_kinds == ('region', )
        with pytest.raises(ValueError, match='region'):
            s.check_unit_kind('image')
    assert RegionAADA().requires == ('prob', 'domain')
    assert RegionCLUE().requires == ('prob', 'feature')
    assert RegionBADGE().requires == ('prob', 'feature')
    with pytest.raises(ValueError, match='decay_rate'):
        ReDAL(decay_rate=0)
    with pytest.raises(ValueError, match='beta'):
        ReDAL(beta=-1)
    empty = _pool(n=4)
    empty.cost[:] = 0
    for s in (RegionBADGE(), RegionCLUE(), ReDAL(), RegionAADA()):
        if isinstance(s, RegionAADA):
            empty.extras['domain'] = np.full((4, 1), 0.5, np.float32)
        if isinstance(s, ReDAL):
            empty.extras['image_gradient'] = np.zeros((4, 1), np.float32)
            empty.extras['feature_sq_norm'] = np.ones((4, 1), np.float32)
        assert s.select(empty, 100).index.size == 0
    assert math.isfinite(RegionCLUE().weights(_pool()).sum())
