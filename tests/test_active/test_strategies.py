"""RAND / ENT / CONF / MAR at region and pixel level; budget accounting."""
import math

import numpy as np
import pytest
import torch
from mmseg.registry import TASK_UTILS

from mmseg_ada.active.pooling import build_region_pool
from mmseg_ada.active.strategies import (ActiveConfidence, ActiveEntropy,
                                         ActiveMargin, ActiveRandom,
                                         BaseActiveStrategy, RegionPool,
                                         take_within_budget)

# A hand-made 3-class probability map, 2 x 4 pixels, and 3 regions:
#   region 0 = left column pair, region 1 = middle, region 2 = right column.
PIXELS = [
    [(0.90, 0.05, 0.05), (0.80, 0.10, 0.10), (0.40, 0.35, 0.25),
     (0.34, 0.33, 0.33)],
    [(0.98, 0.01, 0.01), (0.60, 0.30, 0.10), (0.50, 0.45, 0.05),
     (0.40, 0.40, 0.20)],
]
REGIONS = [[0, 1, 1, 2], [0, 1, 1, 2]]


def _prob():
    return torch.tensor(PIXELS, dtype=torch.float32).permute(2, 0, 1)


def _region_scores():
    """Direct per-region means of ADeADA Eq. 8-10 with plain loops."""
    out = {'ent': [], 'conf': [], 'mar': []}
    for r in range(3):
        px = [PIXELS[y][x] for y in range(2) for x in range(4)
              if REGIONS[y][x] == r]
        out['ent'].append(
            np.mean([-sum(p * math.log(p) for p in v) for v in px]))
        out['conf'].append(np.mean([max(v) for v in px]))
        out['mar'].append(
            np.mean([sorted(v)[-1] - sorted(v)[-2] for v in px]))
    return out


def _pool():
    return build_region_pool(_prob(), torch.tensor(REGIONS))


@pytest.mark.parametrize('cls,key,sign', [(ActiveEntropy, 'ent', 1),
                                          (ActiveConfidence, 'conf', -1),
                                          (ActiveMargin, 'mar', -1)])
def test_region_scores_match_paper_formulas(cls, key, sign):
    ref = np.array(_region_scores()[key])
    pool = _pool()
    np.testing.assert_allclose(cls().score(pool), sign * ref, rtol=1e-5)
    # all three rank region 2 (near-uniform) first, region 0 last
    sel = cls().select(pool, budget=10**6)
    assert sel.index.tolist() == list(np.argsort(-sign * ref))
    assert sel.index.tolist() == [2, 1, 0]
    # a budget of 4 pixels buys the best region that fits: region 2 (2 px)
    # then region 1 (4 px) no longer fits, region 0 (2 px) does
    sel = cls().select(pool, budget=4)
    assert sel.index.tolist() == [2, 0] and sel.info['spent_pixels'] == 4


def test_random_is_seeded_and_covers_regions():
    pool = RegionPool(image_index=np.zeros(50, np.int64),
                      region_id=np.arange(50), cost=np.ones(50, np.int64),
                      prob=np.full((50, 2), 0.5, np.float32))
    a = ActiveRandom(seed=3).select(pool, 10, round_idx=1).index
    b = ActiveRandom(seed=3).select(pool, 10, round_idx=1).index
    c = ActiveRandom(seed=3).select(pool, 10, round_idx=2).index
    assert a.tolist() == b.tolist() and len(set(a)) == 10
    assert a.tolist() != c.tolist()
    # over many rounds every region is drawn
    drawn = np.concatenate([ActiveRandom().select(pool, 10, k).index
                            for k in range(40)])
    assert set(drawn.tolist()) == set(range(50))


def test_take_within_budget_properties():
    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(0, 30))
        cost = rng.integers(0, 50, size=n)
        order = rng.permutation(n)
        budget = int(rng.integers(0, 400))
        kept = take_within_budget(order, cost, budget)
        spent = int(cost[kept].sum())
        assert spent <= budget
        assert len(set(kept.tolist())) == len(kept)
        assert (cost[kept] > 0).all()
        # kept rows keep the preference order
        pos = {int(r): i for i, r in enumerate(order)}
        assert [pos[int(r)] for r in kept] == sorted(pos[int(r)]
                                                     for r in kept)
        # greedy maximality: every skipped row with a cost costs more than
        # what is left, so nothing more could be bought
        left = budget - spent
        skipped = np.setdiff1d(np.arange(n), kept)
        assert (cost[skipped][cost[skipped] > 0] > left).all()
        # reference walk, written independently
        ref, rem = [], budget
        for r in order:
            if 0 < cost[r] <= rem:
                ref.append(int(r))
                rem -= int(cost[r])
        assert kept.tolist() == ref
    # equal costs: spends exactly min(budget, total) rounded to whole rows
    kept = take_within_budget(np.arange(10), np.full(10, 3), 20)
    assert len(kept) == 6
    kept = take_within_budget(np.arange(10), np.ones(10), 7)
    assert int(np.ones(10)[kept].sum()) == 7
    with pytest.raises(ValueError, match='>= 0'):
        take_within_budget(np.arange(2), np.array([1, -1]), 5)


def test_pixel_level_selection():
    prob = _prob()
    labeled = np.zeros((2, 4), bool)
    labeled[0, 3] = True                    # the most uncertain pixel
    ent = ActiveEntropy(unit='pixel')
    assert ent.unit == 'pixel'
    score = ent.pixel_score(prob)
    ref = np.array([[-sum(p * math.log(p) for p in v) for v in row]
                    for row in PIXELS])
    np.testing.assert_allclose(score, ref, rtol=1e-5)
    np.testing.assert_allclose(ActiveConfidence().pixel_score(prob),
                               -np.max(PIXELS, axis=2), rtol=1e-6)
    np.testing.assert_allclose(
        ActiveMargin().pixel_score(prob),
        -(np.sort(PIXELS, 2)[..., -1] - np.sort(PIXELS, 2)[..., -2]),
        atol=1e-6)
    picked = ent.select_image_pixels(prob, labeled, k=3, round_idx=1,
                                     image_index=5)
    assert picked.sum() == 3 and not (picked & labeled).any()
    # exactly the 3 highest-entropy unlabelled pixels
    cand = np.where(labeled, -np.inf, ref)
    expect = np.zeros_like(labeled)
    expect.ravel()[np.argsort(-cand.ravel())[:3]] = True
    np.testing.assert_array_equal(picked, expect)
    # k larger than the unlabelled pixels buys all of them
    all_px = BaseActiveStrategy.select_pixels(score, labeled, 100)
    np.testing.assert_array_equal(all_px, ~labeled)
    # random pixels: seeded by (seed, round, image), exact k
    rnd = ActiveRandom(unit='pixel')
    a = rnd.select_image_pixels(prob, labeled, 4, round_idx=1, image_index=0)
    b = rnd.select_image_pixels(prob, labeled, 4, round_idx=1, image_index=0)
    assert a.sum() == 4 and (a == b).all() and not (a & labeled).any()
    # ties are broken reproducibly and never beyond k
    flat = np.zeros((4, 4))
    m = BaseActiveStrategy.select_pixels(flat, None, 5,
                                         np.random.default_rng(0))
    assert m.sum() == 5


def test_registry_and_errors():
    s = TASK_UTILS.build(dict(type='ActiveMargin', seed=2, unit='pixel'))
    assert isinstance(s, ActiveMargin) and s.unit == 'pixel' and s.seed == 2
    with pytest.raises(ValueError, match='unit'):
        ActiveEntropy(unit='image')
    pool = _pool()
    pool.stats.pop('entropy')
    with pytest.raises(KeyError, match='entropy'):
        ActiveEntropy().select(pool, 10)
    assert len(ActiveEntropy().select(_pool().subset(np.zeros(0, int)),
                                      10).index) == 0


def test_region_pool_cat_and_validation():
    a, b = _pool(), _pool()
    both = RegionPool.cat([a, b])
    assert len(both) == 6
    np.testing.assert_array_equal(both.cost, np.concatenate([a.cost, b.cost]))
    np.testing.assert_array_equal(both.stats['margin'][3:], b.stats['margin'])
    with pytest.raises(ValueError, match='rows'):
        RegionPool(image_index=np.zeros(2, np.int64),
                   region_id=np.zeros(3, np.int64),
                   cost=np.zeros(3, np.int64),
                   prob=np.zeros((3, 2), np.float32))
