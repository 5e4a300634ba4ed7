"""RAND / ENT / CONF / MAR at region and pixel level; budget accounting."""
import math

import numpy as np
import pytest
import torch

from mmseg_ada.active.pool import UnitPool, take_within_budget
from mmseg_ada.active.pooling import build_region_pool
from mmseg_ada.active.strategies import Confidence, Entropy, Margin, Random
from mmseg_ada.active.units import PixelUnits, PoolItem
from mmseg_ada.registry import STRATEGIES, build_active

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
        px = [
            PIXELS[y][x] for y in range(2) for x in range(4)
            if REGIONS[y][x] == r
        ]
        out['ent'].append(
            np.mean([-sum(p * math.log(p) for p in v) for v in px]))
        out['conf'].append(np.mean([max(v) for v in px]))
        out['mar'].append(np.mean([sorted(v)[-1] - sorted(v)[-2] for v in px]))
    return out


def _pool():
    return build_region_pool(_prob(), torch.tensor(REGIONS))


@pytest.mark.parametrize('cls,key,sign', [(Entropy, 'ent', 1),
                                          (Confidence, 'conf', -1),
                                          (Margin, 'mar', -1)])
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
    assert sel.index.tolist() == [2, 0] and sel.info['spent'] == 4


def test_random_is_seeded_and_covers_regions():
    pool = UnitPool(
        image_index=np.zeros(50, np.int64),
        unit_id=np.arange(50),
        cost=np.ones(50, np.int64),
        prob=np.full((50, 2), 0.5, np.float32))
    a = Random(seed=3).select(pool, 10, round_idx=1).index
    b = Random(seed=3).select(pool, 10, round_idx=1).index
    c = Random(seed=3).select(pool, 10, round_idx=2).index
    assert a.tolist() == b.tolist() and len(set(a)) == 10
    assert a.tolist() != c.tolist()
    # over many rounds every region is drawn
    drawn = np.concatenate(
        [Random().select(pool, 10, k).index for k in range(40)])
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
        assert [pos[int(r)] for r in kept] == sorted(pos[int(r)] for r in kept)
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


class _Store:
    """A stand-in label store: one labelled mask per stem."""

    def __init__(self, masks):
        self.masks = masks

    def mask(self, stem, shape):
        return self.masks.get(stem, np.zeros(shape, bool))


def _pixel_pool(strategy, labeled, budget, round_idx=1, n_images=1):
    units = PixelUnits()
    items = [PoolItem(i, f'im{i}', (2, 4)) for i in range(n_images)]
    units.setup(items)
    store = _Store({f'im{i}': labeled for i in range(n_images)})
    return UnitPool.cat([
        units.collect(it, dict(prob=_prob()), store, strategy, round_idx,
                      budget) for it in items
    ]), units


def test_pixel_scores_match_formulas():
    prob = _prob()
    ref = np.array([[-sum(p * math.log(p) for p in v) for v in row]
                    for row in PIXELS])
    np.testing.assert_allclose(Entropy().pixel_score(prob), ref, rtol=1e-5)
    np.testing.assert_allclose(
        Confidence().pixel_score(prob), -np.max(PIXELS, axis=2), rtol=1e-6)
    np.testing.assert_allclose(
        Margin().pixel_score(prob),
        -(np.sort(PIXELS, 2)[..., -1] - np.sort(PIXELS, 2)[..., -2]),
        atol=1e-6)


def test_pixel_units_per_image_quota_buys_top_pixels():
    labeled = np.zeros((2, 4), bool)
    labeled[0, 3] = True  # the most uncertain pixel
    ref = np.array([[-sum(p * math.log(p) for p in v) for v in row]
                    for row in PIXELS])
    ent = Entropy()
    # one image of 8 pixels, budget 3: its quota is 3
    pool, _ = _pixel_pool(ent, labeled, 3)
    assert pool.kind == 'pixel' and len(pool) == 3
    sel = ent.select(pool, 3, 1, image_pixels=np.array([8]))
    bought = pool.unit_id[sel.index]
    assert bought.size == 3 and 3 not in bought.tolist()
    cand = np.where(labeled, -np.inf, ref).ravel()
    assert sorted(bought.tolist()) == sorted(np.argsort(-cand)[:3].tolist())
    np.testing.assert_allclose(
        pool.stat('entropy'), ref.ravel()[pool.unit_id], rtol=1e-5)
    # two images share the budget by their pixels: 5 // 2 each at most
    pool2, _ = _pixel_pool(ent, labeled, 5, n_images=2)
    sel2 = ent.select(pool2, 5, 1, image_pixels=np.array([8, 8]))
    per_image = np.bincount(pool2.image_index[sel2.index], minlength=2)
    assert per_image.tolist() == [2, 2]
    # 'global' quota: images compete; candidate_factor bounds the offer
    glob = Entropy(pixel_quota='global', candidate_factor=2)
    pool3, _ = _pixel_pool(glob, labeled, 5, n_images=2)
    # each image's share is 5 * 8 // 16 = 2; it offers 2 x 2 candidates
    assert len(pool3) == 2 * 4
    sel3 = glob.select(pool3, 5, 1, image_pixels=np.array([8, 8]))
    assert sel3.index.size == 5


def test_random_pixels_are_seeded_per_image_and_round():
    labeled = np.zeros((2, 4), bool)
    rnd = Random()
    a, _ = _pixel_pool(rnd, labeled, 4, round_idx=1)
    b, _ = _pixel_pool(rnd, labeled, 4, round_idx=1)
    c, _ = _pixel_pool(rnd, labeled, 4, round_idx=2)
    assert a.unit_id.tolist() == b.unit_id.tolist()
    assert len(a) == 4
    assert a.unit_id.tolist() != c.unit_id.tolist()  # rounds differ
    with pytest.raises(ValueError, match='generator'):
        rnd.pixel_score(_prob())


def test_registry_and_errors():
    s = build_active(
        dict(type='Margin', seed=2, pixel_quota='global'), STRATEGIES)
    assert isinstance(s, Margin) and s.pixel_quota == 'global' and s.seed == 2
    with pytest.raises(ValueError, match='pixel_quota'):
        Entropy(pixel_quota='image-wise')
    with pytest.raises(KeyError, match='Nope'):
        build_active(dict(type='Nope'), STRATEGIES)
    pool = _pool()
    pool.stats.pop('entropy')
    with pytest.raises(KeyError, match='entropy'):
        Entropy().select(pool, 10)
    assert len(Entropy().select(_pool().subset(np.zeros(0, int)),
                                10).index) == 0


def test_region_pool_cat_and_validation():
    a, b = _pool(), _pool()
    both = UnitPool.cat([a, b])
    assert len(both) == 6
    np.testing.assert_array_equal(both.cost, np.concatenate([a.cost, b.cost]))
    np.testing.assert_array_equal(both.stats['margin'][3:], b.stats['margin'])
    with pytest.raises(ValueError, match='rows'):
        UnitPool(
            image_index=np.zeros(2, np.int64),
            unit_id=np.zeros(3, np.int64),
            cost=np.zeros(3, np.int64),
            prob=np.zeros((3, 2), np.float32))


def _three_maps(prob):
    """The former ``pixel_uncertainty``: all three maps at once."""
    first = prob[0].clone()
    second = torch.full_like(prob[0], float('-inf'))
    for c in range(1, prob.shape[0]):
        second = torch.maximum(second, torch.minimum(first, prob[c]))
        first = torch.maximum(first, prob[c])
    return dict(
        entropy=torch.special.entr(prob).sum(0),
        confidence=first,
        margin=first - second)


@pytest.mark.parametrize('cls,stat,sign', [(Entropy, 'entropy', 1),
                                           (Confidence, 'confidence', -1),
                                           (Margin, 'margin', -1)])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_pixel_score_computes_one_map_exactly(cls, stat, sign, dtype):
    # the one-map path equals the three-map computation bit for bit
    gen = torch.Generator().manual_seed(3)
    for num_classes in (2, 3, 19):
        prob = torch.rand(
            num_classes, 17, 23, generator=gen, dtype=dtype).softmax(0)
        prob[:, 0, 0] = 0.
        prob[0, 0, 0] = 1.
        ref = sign * _three_maps(prob)[stat].numpy()
        got = cls().pixel_score(prob)
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)


def test_pixel_uncertainty_subset_equals_all():
    from mmseg_ada.active.uncertainty import pixel_uncertainty
    prob = torch.rand(5, 9, 11, generator=torch.Generator().manual_seed(1))
    prob = prob / prob.sum(0)
    full = pixel_uncertainty(prob)
    for stats in (['entropy'], ['confidence'], ['margin'],
                  ['margin', 'confidence'], ['entropy', 'confidence']):
        part = pixel_uncertainty(prob, stats=stats)
        assert set(part) == set(stats)
        for k in stats:
            assert torch.equal(part[k], full[k])
    with pytest.raises(ValueError, match='unknown'):
        pixel_uncertainty(prob, stats=['variance'])
