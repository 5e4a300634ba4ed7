"""Per-pixel uncertainty and per-region pooling against loop references."""
import math

import numpy as np
import pytest
import torch

from mmseg_ada.active.pooling import (build_region_pool, pool_by_region,
                                      resize_region_map)
from mmseg_ada.active.uncertainty import pixel_uncertainty, row_uncertainty


def _loop_pool(values, rmap, R, ignore=None):
    """Reference: plain loops over pixels."""
    C, H, W = values.shape
    sums = np.zeros((R, C))
    counts = np.zeros(R, np.int64)
    for y in range(H):
        for x in range(W):
            if ignore is not None and ignore[y, x]:
                continue
            r = rmap[y, x]
            counts[r] += 1
            for c in range(C):
                sums[r, c] += values[c, y, x]
    return sums, counts


def test_pool_by_region_matches_loops():
    rng = np.random.default_rng(0)
    C, H, W, R = 3, 7, 9, 6
    values = rng.normal(size=(C, H, W)).astype(np.float32)
    rmap = rng.integers(0, R - 1, size=(H, W))  # region R-1 stays empty
    ignore = rng.random((H, W)) < 0.3
    sums, counts = _loop_pool(values, rmap, R, ignore)

    s, n = pool_by_region(
        torch.from_numpy(values),
        torch.from_numpy(rmap),
        R,
        ignore_mask=torch.from_numpy(ignore),
        reduce='sum')
    np.testing.assert_array_equal(n.numpy(), counts)
    np.testing.assert_allclose(s.numpy(), sums, rtol=1e-5, atol=1e-5)
    m, n = pool_by_region(values, rmap, R, ignore_mask=ignore)  # numpy ok
    expect = sums / np.maximum(counts, 1)[:, None]
    np.testing.assert_allclose(m.numpy(), expect, rtol=1e-5, atol=1e-6)
    assert n[R - 1] == 0 and (m[R - 1] == 0).all()
    # float64 accumulation in channel chunks gives the same means
    m64, _ = pool_by_region(
        values,
        rmap,
        R,
        ignore_mask=ignore,
        dtype=torch.float64,
        chunk_elems=H * W)
    assert m64.dtype == torch.float64
    np.testing.assert_allclose(m64.numpy(), expect, rtol=1e-6, atol=1e-9)
    # 2-D values give [R]
    m2, _ = pool_by_region(values[1], rmap, R)
    ref, cnt = _loop_pool(values[1:2], rmap, R)
    np.testing.assert_allclose(
        m2.numpy(), ref[:, 0] / np.maximum(cnt, 1), rtol=1e-5, atol=1e-6)


def test_pool_by_region_errors():
    v = torch.zeros(2, 4, 4)
    with pytest.raises(ValueError, match='spatial shape'):
        pool_by_region(v, torch.zeros(4, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r'\[0, 2\)'):
        pool_by_region(v, torch.full((4, 4), 3), num_regions=2)
    with pytest.raises(ValueError, match='reduce'):
        pool_by_region(v, torch.zeros(4, 4, dtype=torch.long), reduce='max')


def test_pixel_uncertainty_by_hand():
    # three pixels: certain (with exact zeros), two-way tie, skewed
    px = [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.7, 0.1]]
    prob = torch.tensor(px).t().reshape(3, 1, 3)
    out = pixel_uncertainty(prob)
    ent = [-sum(p * math.log(p) for p in v if p > 0) for v in px]
    conf = [max(v) for v in px]
    marg = [sorted(v)[-1] - sorted(v)[-2] for v in px]
    np.testing.assert_allclose(out['entropy'][0].numpy(), ent, atol=1e-6)
    np.testing.assert_allclose(out['confidence'][0].numpy(), conf)
    np.testing.assert_allclose(out['margin'][0].numpy(), marg, atol=1e-7)
    assert out['entropy'][0, 1] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match='C >= 2'):
        pixel_uncertainty(torch.ones(1, 2, 2))


def test_resize_region_map_nearest_centres():
    rmap = torch.arange(16).reshape(4, 4)
    # 2x down samples pixel centres 0.5*2=1 and 1.5*2=3
    np.testing.assert_array_equal(
        resize_region_map(rmap, (2, 2)).numpy(), [[5, 7], [13, 15]])
    up = resize_region_map(torch.tensor([[0, 1]]), (2, 4)).numpy()
    np.testing.assert_array_equal(up, [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_build_region_pool_costs_and_means():
    rng = np.random.default_rng(1)
    C, H, W = 4, 8, 8
    logits = rng.normal(size=(C, H, W))
    prob = np.exp(logits) / np.exp(logits).sum(0, keepdims=True)
    rmap = np.zeros((H, W), np.int64)  # quadrants 0 1 / 2 3
    rmap[:4, 4:], rmap[4:, :4], rmap[4:, 4:] = 1, 2, 3
    labeled = np.zeros((H, W), bool)
    labeled[:4, :4] = True  # region 0 fully labelled
    labeled[4:, 4:6] = True  # region 3 half labelled
    feat = rng.normal(size=(5, H // 2, W // 2)).astype(np.float32)

    pool = build_region_pool(
        torch.tensor(prob, dtype=torch.float32),
        torch.from_numpy(rmap),
        labeled_mask=torch.from_numpy(labeled),
        feature=torch.from_numpy(feat),
        image_index=7)
    # every region stays (7a): the labelled one with cost 0
    np.testing.assert_array_equal(pool.unit_id, [0, 1, 2, 3])
    np.testing.assert_array_equal(pool.cost, [0, 16, 16, 8])
    np.testing.assert_array_equal(pool.image_index, [7, 7, 7, 7])
    # independent reference: loops over ALL pixels of each region (the
    # region's descriptor does not depend on what is labelled)
    for row, r in enumerate(pool.unit_id):
        pix = [(y, x) for y in range(H) for x in range(W) if rmap[y, x] == r]
        ps = [prob[:, y, x] for y, x in pix]
        ent = np.mean([-sum(p * math.log(p) for p in v) for v in ps])
        conf = np.mean([max(v) for v in ps])
        marg = np.mean([sorted(v)[-1] - sorted(v)[-2] for v in ps])
        np.testing.assert_allclose(pool.prob[row], np.mean(ps, 0), rtol=1e-5)
        assert pool.stats['entropy'][row] == pytest.approx(ent, rel=1e-5)
        assert pool.stats['confidence'][row] == pytest.approx(conf, rel=1e-5)
        assert pool.stats['margin'][row] == pytest.approx(marg, rel=1e-4)
        # features at half resolution: the map sampled at odd pixels
        fpix = [(y, x) for y in range(H // 2) for x in range(W // 2)
                if rmap[2 * y + 1, 2 * x + 1] == r]
        np.testing.assert_allclose(
            pool.feature[row],
            np.mean([feat[:, y, x] for y, x in fpix], 0),
            rtol=1e-5)
    assert pool.pred_class.tolist() == np.argmax(pool.prob, 1).tolist()
    assert pool.candidates.tolist() == [False, True, True, True]
    # nothing labelled: every region, cost = its size
    full = build_region_pool(prob.astype(np.float32), rmap)
    np.testing.assert_array_equal(full.cost, [16] * 4)
    assert full.feature is None


def test_row_uncertainty_matches_pixel_uncertainty():
    rng = np.random.default_rng(3)
    prob = rng.dirichlet(np.ones(5), size=7).astype(np.float32)
    prob[0] = [1, 0, 0, 0, 0]  # 0 log 0 = 0
    rows = row_uncertainty(prob)
    px = pixel_uncertainty(torch.from_numpy(prob.T.copy())[:, :, None])
    for k in ('entropy', 'confidence', 'margin'):
        np.testing.assert_allclose(
            rows[k], px[k][:, 0].numpy(), rtol=1e-5, atol=1e-7)
    assert rows['entropy'][0] == 0
    with pytest.raises(ValueError, match='N, C'):
        row_uncertainty(prob[:, :1])
