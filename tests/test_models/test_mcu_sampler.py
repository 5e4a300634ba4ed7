"""ADA-MCU adaptive sampling: Algorithm 1 on scripted uncertainty maps."""
import math

import pytest
import torch

from mmseg_ada.models.utils import MCUAdaptiveSampler, split_quota
from mmseg_ada.models.utils.mcu_adaptive_sampler import (HIGH, INVALID, LOW,
                                                         MEDIUM)

N_IMG, H, W = 4, 8, 8


def _scores(t, n):
    """Scripted uncertainty map of image n at iteration t, in [0, 1)."""
    g = torch.Generator().manual_seed(1000 * t + n)
    return torch.rand(H, W, generator=g, dtype=torch.float64)


class _Store:
    """Minimal store over N_IMG identity crops."""

    def __init__(self, total):
        self.total, self.spent = total, 0
        self.bought = torch.zeros(N_IMG, H, W, dtype=torch.bool)

    def buy(self, ids, masks):
        for n, m in zip(ids, masks):
            new = m & ~self.bought[n]
            room = self.total - self.spent
            flat = new.reshape(-1).nonzero().squeeze(1)[:max(room, 0)]
            self.bought[n].view(-1)[flat] = True
            self.spent += flat.numel()


def _run(sampler, store, iters):
    log = []
    for t in range(iters):
        ids = [(2 * t) % N_IMG, (2 * t) % N_IMG + 1]
        scores = torch.stack([_scores(t, n) for n in ids])
        valid = torch.ones(2, H, W, dtype=torch.bool)
        labelled = store.bought[ids].clone()
        spent = store.spent
        plan = sampler.plan(
            scores,
            valid,
            labelled,
            spent,
            store.total,
            keys=[f'img{n}' for n in ids])
        store.buy(ids, plan['requests'])
        log.append(
            dict(
                spent_before=spent,
                spent_after=store.spent,
                scores=scores,
                labelled=labelled,
                plan=plan,
                ids=ids))
    return log


def test_algorithm1_budget_progression_per_iteration():
    """Phase switch at M_e/2 and M_e, never over budget, pi_high decays by
    r per phase-1 iteration after the first and freezes after (Algorithm 1,
    lines 6-12)."""
    total, half = 64, 32
    sampler = MCUAdaptiveSampler(
        decay='iteration', pi_high=0.9, pi_low=0.2, medium_per_image=None)
    store = _Store(total)
    log = _run(sampler, store, 30)
    phase1 = 0
    for rec in log:
        plan, before = rec['plan'], rec['spent_before']
        expected_phase = 1 if before < half else 2 if before < total else 3
        assert plan['phase'] == expected_phase
        assert rec['spent_after'] <= total
        groups = plan['groups']
        free = ~rec['labelled']
        reqs = torch.stack(plan['requests'])
        assert not (reqs & ~free).any()  # never re-requests a bought pixel
        if plan['phase'] == 1:
            phase1 += 1
            assert plan['pi_high'] == pytest.approx(0.9 * 0.9**(phase1 - 1))
            # G_h = S > pi_high, only G_h requested, half of it per image
            assert torch.equal(groups == HIGH, rec['scores'] > plan['pi_high'])
            assert not (reqs & (groups != HIGH)).any()
            want = [
                math.ceil(0.5 * int(((groups[i] == HIGH) & free[i]).sum()))
                for i in range(2)
            ]
            got = [int(r.sum()) for r in plan['requests']]
            assert got == split_quota(want, half - before)
            assert rec['spent_after'] <= half  # phase 1 stops at M_e/2
        elif plan['phase'] == 2:
            assert plan['pi_high'] == pytest.approx(0.9 * 0.9**(phase1 - 1))
            assert not (reqs & (groups != MEDIUM)).any()
            quota = math.ceil(half / (phase1 * 2))
            want = [
                min(quota, int(((groups[i] == MEDIUM) & free[i]).sum()))
                for i in range(2)
            ]
            assert [int(r.sum()) for r in plan['requests']
                    ] == split_quota(want, total - before)
        else:
            assert not reqs.any()
    phases = [rec['plan']['phase'] for rec in log]
    assert phases == sorted(phases) and set(phases) == {1, 2, 3}
    # phase 1 ends exactly at M_e / 2, the budget is spent exactly
    first2 = phases.index(2)
    assert log[first2]['spent_before'] == half
    assert store.spent == total
    assert int(sampler.phase1_iters) == phase1 == first2


def test_without_medium_phase_all_budget_from_high_group():
    """medium_phase=False (ablation AL w/o AS): G_h until M_e."""
    sampler = MCUAdaptiveSampler(
        decay='iteration', pi_high=0.9, pi_low=0.2, medium_phase=False)
    store = _Store(64)
    log = _run(sampler, store, 12)
    for rec in log:
        plan = rec['plan']
        expected = 1 if rec['spent_before'] < 64 else 3
        assert plan['phase'] == expected
        reqs = torch.stack(plan['requests'])
        assert not (reqs & (plan['groups'] != HIGH)).any()
    assert store.spent == 64


def test_algorithm1_decay_per_epoch():
    sampler = MCUAdaptiveSampler(
        decay='epoch', epoch_length=3, pi_high=0.99, pi_low=0.1)
    store = _Store(10**6)  # phase 1 throughout
    log = _run(sampler, store, 7)
    got = [rec['plan']['pi_high'] for rec in log]
    r = 0.9
    # the first epoch selects with the initial pi_high (Sec. IV-C: "only
    # around 1% ... Then we reduce pi_high")
    want = [0.99] * 3 + [0.99 * r] * 3 + [0.99 * r**2]
    assert got == pytest.approx(want)


def test_pi_high_calibration_and_pi_low_quantile():
    sampler = MCUAdaptiveSampler(
        decay='iteration', init_high_fraction=0.01, low_quantile=0.5)
    assert not sampler.calibrated
    scores = torch.stack([_scores(0, 0), _scores(0, 1)])
    valid = torch.ones_like(scores, dtype=torch.bool)
    valid[1, :2] = False  # invalid pixels do not count
    plan = sampler.plan(scores, valid, torch.zeros_like(valid), 0, 100,
                        ['a', 'b'])
    vals = scores[valid]
    q99 = vals.kthvalue(math.ceil(0.99 * vals.numel())).values.item()
    assert plan['pi_high'] == pytest.approx(q99)  # not decayed yet
    # pi_low: the median of the pixels outside G_h
    rest = vals[vals <= plan['pi_high']]
    q50 = rest.kthvalue(math.ceil(0.5 * rest.numel())).values.item()
    assert plan['pi_low'] == pytest.approx(q50)
    assert (plan['groups'][~valid] == INVALID).all()
    assert ((plan['groups'] == LOW) == (scores < q50) & valid).all()


def test_medium_group_survives_a_low_pi_high():
    """pi_high below the batch median: G_m is still half of the rest."""
    sampler = MCUAdaptiveSampler(decay='iteration', pi_high=0.3 / 0.9)
    scores = torch.stack([_scores(0, 0), _scores(0, 1)])
    valid = torch.ones_like(scores, dtype=torch.bool)
    plan = sampler.plan(scores, valid, torch.zeros_like(valid), 50, 100,
                        ['a', 'b'])  # phase 2: no decay
    assert plan['phase'] == 2 and plan['pi_high'] == pytest.approx(0.3 / 0.9)
    n_rest = int((scores <= plan['pi_high']).sum())
    n_med = int((plan['groups'] == MEDIUM).sum())
    assert n_rest > 10 and abs(n_med - n_rest / 2) <= 1
    assert sum(int(r.sum()) for r in plan['requests']) > 0


def test_first_high_group_holds_one_percent_of_the_pixels():
    """Sec. IV-C: "we initialize pi_high with a big number, and as a result,
    only around 1% of samples are selected as G_h. Then we reduce pi_high".
    A hand-made map of 2 x 50 x 50 = 5000 distinct scores: the first plan's
    G_h is exactly its top 1% (50 pixels) and half of it is requested
    (footnote 3); before the fix pi_high was decayed first (0.9 x the 99th
    percentile), and G_h held every score above 0.9 x 4949 / 5000: 10.9%."""
    n = 2 * 50 * 50
    scores = torch.arange(n, dtype=torch.float64).reshape(2, 50, 50) / n
    valid = torch.ones_like(scores, dtype=torch.bool)
    for decay, length in (('epoch', 5), ('iteration', None)):
        sampler = MCUAdaptiveSampler(
            decay=decay, epoch_length=length, init_high_fraction=0.01)
        plan = sampler.plan(scores, valid, torch.zeros_like(valid), 0, 10**6,
                            ['a', 'b'])
        high = plan['groups'] == HIGH
        assert int(high.sum()) == n // 100 == 50  # 1% of the pixels
        # ... the 50 largest scores (all in the second image) ...
        assert torch.equal(high.reshape(-1), torch.arange(n) >= n - 50)
        # ... of which half is bought
        assert [int(r.sum()) for r in plan['requests']] == [0, 25]
        assert plan['pi_high'] == pytest.approx((n - 50 - 1) / n)
        # the next decay period lowers it: G_h grows to
        # #{s > 0.9 * 4949 / 5000} = 5000 - 4455 = 545 pixels (10.9%)
        length = 1 if length is None else length
        for _ in range(length):
            plan = sampler.plan(scores, valid, torch.zeros_like(valid), 0,
                                10**6, ['a', 'b'])
        assert plan['pi_high'] == pytest.approx(0.9 * (n - 51) / n)
        assert int((plan['groups'] == HIGH).sum()) == 545


def _phase_plan(sampler, scores, valid, spent, total):
    return sampler.plan(scores, valid, torch.zeros_like(valid), spent, total,
                        ['a', 'b'])


def test_pseudo_labels_start_when_buying_stops():
    """Algorithm 1, line 12: G_l is pseudo-labelled in the else branch, once
    the budget is spent (``pseudo_start='spent'``, default); per image half
    as many as it has labelled pixels ("the same number of pixels in those
    three groups": M_e/2 from each of G_h, G_m, G_l)."""
    scores = torch.stack([_scores(0, 0), _scores(0, 1)])
    valid = torch.ones_like(scores, dtype=torch.bool)
    labelled = torch.zeros_like(valid)
    labelled[0, 0, :6] = True  # 6 labelled in image 0, none in image 1
    labelled[1, 1, :5] = True  # 5 in image 1: 2.5 -> 3 (half up)
    sampler = MCUAdaptiveSampler(decay='iteration', pi_high=0.9, pi_low=0.5)
    assert sampler.pseudo_start == 'spent' and sampler.pseudo_ratio == 0.5
    for spent, phase in ((0, 1), (50, 2), (99, 2)):
        plan = _phase_plan(sampler, scores, valid, spent, 100)
        assert plan['phase'] == phase
        masks = sampler.pseudo_masks(plan, valid, labelled, ['a', 'b'])
        assert not torch.stack(masks).any()  # still buying: none
    plan = _phase_plan(sampler, scores, valid, 100, 100)
    assert plan['phase'] == 3
    masks = sampler.pseudo_masks(plan, valid, labelled, ['a', 'b'])
    assert [int(m.sum()) for m in masks] == [3, 3]
    for i in range(2):
        assert not (masks[i] &
                    ((plan['groups'][i] != LOW) | labelled[i])).any()
    # today's behaviour as an option: every phase, as many as labelled
    every = MCUAdaptiveSampler(
        decay='iteration',
        pi_high=0.9,
        pi_low=0.5,
        pseudo_start='always',
        pseudo_ratio=1.0)
    for spent in (0, 50, 100):
        plan = _phase_plan(every, scores, valid, spent, 100)
        masks = every.pseudo_masks(plan, valid, labelled, ['a', 'b'])
        assert [int(m.sum()) for m in masks] == [6, 5]
    # pseudo='all' takes all of G_l, 'none' nothing (both once spent)
    for mode, want in (('all', None), ('none', 0)):
        s = MCUAdaptiveSampler(
            decay='iteration', pi_high=0.9, pi_low=0.5, pseudo=mode)
        plan = _phase_plan(s, scores, valid, 0, 100)
        assert not torch.stack(
            s.pseudo_masks(plan, valid, labelled, ['a', 'b'])).any()
        plan = _phase_plan(s, scores, valid, 100, 100)
        got = torch.stack(s.pseudo_masks(plan, valid, labelled, ['a', 'b']))
        if want is None:
            assert torch.equal(got, (plan['groups'] == LOW) & ~labelled)
        else:
            assert not got.any()


def test_draws_are_seeded_by_image_not_position_and_checkpointed():

    def plan(s, order, keys):
        scores = torch.stack([_scores(0, n) for n in order])
        valid = torch.ones_like(scores, dtype=torch.bool)
        return s.plan(scores, valid, torch.zeros_like(valid), 0, 10**6, keys)

    a = MCUAdaptiveSampler(decay='iteration', pi_high=0.5, pi_low=0.1)
    b = MCUAdaptiveSampler(decay='iteration', pi_high=0.5, pi_low=0.1)
    pa = plan(a, [0, 1], ['x', 'y'])
    pb = plan(b, [1, 0], ['y', 'x'])  # same images, other positions
    assert torch.equal(pa['requests'][0], pb['requests'][1])
    assert torch.equal(pa['requests'][1], pb['requests'][0])
    # buffers are in the state dict; a restored sampler continues the same
    state = a.state_dict()
    assert set(state) == {'pi_high', 'iteration', 'phase1_iters'}
    c = MCUAdaptiveSampler(decay='iteration', pi_high=0.123, pi_low=0.1)
    c.load_state_dict(state)
    na, nc = plan(a, [2, 3], ['u', 'v']), plan(c, [2, 3], ['u', 'v'])
    assert na['iteration'] == nc['iteration'] == 1
    assert na['pi_high'] == nc['pi_high']
    for r1, r2 in zip(na['requests'], nc['requests']):
        assert torch.equal(r1, r2)
    # another seed draws other pixels
    d = MCUAdaptiveSampler(decay='iteration', pi_high=0.5, pi_low=0.1, seed=1)
    pd = plan(d, [0, 1], ['x', 'y'])
    assert not torch.equal(pd['requests'][0], pa['requests'][0])


def test_split_quota():
    assert split_quota([3, 5], 10) == [3, 5]
    assert split_quota([3, 5], 4) == [2, 2]  # ties: lower index first
    assert split_quota([1, 5], 4) == [1, 3]
    out = split_quota([10, 0, 30], 8)
    assert sum(out) == 8 and out[1] == 0 and out == [2, 0, 6]
    assert split_quota([4, 4], -3) == [0, 0]


def test_config_errors_are_named():
    with pytest.raises(ValueError, match='epoch_length'):
        MCUAdaptiveSampler()
    with pytest.raises(ValueError, match='decay_rate'):
        MCUAdaptiveSampler(decay='iteration', decay_rate=1.5)
    with pytest.raises(ValueError, match='pseudo'):
        MCUAdaptiveSampler(decay='iteration', pseudo='many')
    with pytest.raises(ValueError, match='pseudo_start'):
        MCUAdaptiveSampler(decay='iteration', pseudo_start='phase1')
    s = MCUAdaptiveSampler(decay='iteration')
    with pytest.raises(ValueError, match='same'):
        s.plan(
            torch.zeros(2, 3, 3), torch.ones(2, 3, 3, dtype=torch.bool),
            torch.zeros(2, 3, 3, dtype=torch.bool), 0, 10, ['a'])
