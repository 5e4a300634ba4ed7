"""ADeADA: density-aware + uncertainty selection with adaptive budget."""
import json

import numpy as np
import pytest

from mmseg_ada.active.pool import UnitPool
from mmseg_ada.active.strategies import ADEADA_ABLATIONS, ADeADA, Entropy
from mmseg_ada.registry import STRATEGIES, build_active

INFO_KEYS = ('per_class_kl', 'per_class_density_budget', 'density_budget',
             'uncertainty_budget', 'density_spent', 'uncertainty_spent',
             'regions_per_class_density', 'regions_per_class_uncertainty')


def _half_up(x):
    return int(np.floor(x + 0.5))


def _pool(rng, feats, cls, num_classes, cost=None):
    n = len(cls)
    logits = rng.normal(size=(n, num_classes))
    logits[np.arange(n), cls] += 6
    prob = np.exp(logits)
    prob /= prob.sum(1, keepdims=True)
    ent = -(prob * np.log(prob)).sum(1) + rng.random(n) * 0.1
    return UnitPool(
        image_index=np.arange(n) // 10,
        unit_id=np.arange(n) % 10,
        cost=rng.integers(50, 150, n) if cost is None else cost,
        prob=prob.astype(np.float32),
        stats=dict(
            entropy=ent,
            confidence=prob.max(1),
            margin=np.sort(prob, 1)[:, -1] - np.sort(prob, 1)[:, -2]),
        feature=feats.astype(np.float32))


def _domains(seed=0, C=3, D=6, n_src=900, n_tgt=450, shifted=0.3):
    """Source and target pools; target class 0 has a target-only mode."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 4, size=(C, D))
    cs = rng.integers(0, C, n_src)
    xs = mu[cs] + 0.5 * rng.normal(size=(n_src, D))
    ct = rng.integers(0, C, n_tgt)
    xt = mu[ct] + 0.5 * rng.normal(size=(n_tgt, D))
    novel = (ct == 0) & (rng.random(n_tgt) < shifted)
    xt[novel] += 3.0
    return (_pool(rng, xs, cs, C), _pool(rng, xt, ct, C), novel)


def test_density_share_buys_target_only_regions_first():
    src, tgt, novel = _domains()
    budget = int(tgt.cost.sum() * 0.1)
    s = ADeADA(policy='density', seed=1)
    sel = s.select(tgt, budget, 1, source_pool=src)
    kl = sel.info['per_class_kl']
    assert kl[0] == max(kl)  # class 0 is the shifted one
    bought0 = sel.index[tgt.pred_class[sel.index] == 0]
    assert bought0.size >= 5 and novel[bought0].all()
    # Eq. 6: the most shifted class gets the largest density budget
    b = sel.info['per_class_density_budget']
    assert b[0] == max(b) and sum(b) == budget


def test_budget_never_exceeded_no_double_buy_info_fields():
    src, tgt, _ = _domains(seed=2)
    tgt.cost[::7] = 0  # fully labelled rows: never bought
    for k in (1, 2, 3):
        budget = int(tgt.cost.sum() * 0.15) + k
        sel = ADeADA(seed=3).select(tgt, budget, k, source_pool=src)
        idx, info = sel.index, sel.info
        assert len(set(idx.tolist())) == idx.size
        assert (tgt.cost[idx] > 0).all()
        spent = int(tgt.cost[idx].sum())
        assert spent <= budget
        assert spent == info['density_spent'] + info['uncertainty_spent']
        assert info['spent'] == spent
        for key in INFO_KEYS:
            assert key in info
        json.dumps(info)  # JSON-ready
        assert info['density_budget'] + info['uncertainty_budget'] == budget
        assert info['density_budget'] == _half_up(budget * 2.0**-(k - 1))
        assert sum(info['per_class_density_budget']) == info['density_budget']
        assert info['density_spent'] <= info['density_budget']
        assert (sum(info['regions_per_class_density']) +
                sum(info['regions_per_class_uncertainty'])) == idx.size
        assert len(info['per_class_kl']) == 3
        # nearly the whole budget is spent (regions cost < 150 pixels)
        assert spent > budget - 150


def test_ablation_rows():
    src, tgt, _ = _domains(seed=4)
    budget = int(tgt.cost.sum() * 0.2)
    # (a) uncertainty only = ENT, and no density fit at all
    a = ADeADA(
        seed=5, **ADEADA_ABLATIONS['a']).select(
            tgt, budget, 1, source_pool=None)
    ent = Entropy(seed=5).select(tgt, budget, 1)
    np.testing.assert_array_equal(a.index, ent.index)
    assert a.info['per_class_kl'] == [None] * 3
    assert a.info['density_spent'] == 0
    # (b) density without category balance: even per-class split
    b = ADeADA(
        seed=5, **ADEADA_ABLATIONS['b']).select(
            tgt, budget, 1, source_pool=src)
    per = b.info['per_class_density_budget']
    assert max(per) - min(per) <= 1 and sum(per) == budget
    # (c) with category balance the split follows KL
    c = ADeADA(
        seed=5, **ADEADA_ABLATIONS['c']).select(
            tgt, budget, 1, source_pool=src)
    per_c, kl = c.info['per_class_density_budget'], c.info['per_class_kl']
    assert np.argsort(per_c).tolist() == np.argsort(kl).tolist()
    assert c.info['uncertainty_budget'] == 0
    # (d) even split between density and uncertainty, every round
    for k in (1, 4):
        d = ADeADA(
            seed=5, **ADEADA_ABLATIONS['d']).select(
                tgt, budget, k, source_pool=src)
        assert d.info['density_budget'] == _half_up(budget / 2)
    # (e) full: half decay
    e = ADeADA(
        seed=5, **ADEADA_ABLATIONS['e']).select(
            tgt, budget, 3, source_pool=src)
    assert e.info['density_budget'] == _half_up(budget / 4)
    assert e.info['uncertainty_spent'] > 0 and e.info['density_spent'] > 0


def test_same_seed_same_selection():
    src, tgt, _ = _domains(seed=6)
    budget = int(tgt.cost.sum() * 0.1)
    runs = [
        ADeADA(seed=7, policy='even').select(tgt, budget, 2, source_pool=src)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].index, runs[1].index)
    assert runs[0].info['per_class_kl'] == runs[1].info['per_class_kl']


def test_tiny_classes_dead_dims_missing_source_class():
    """7c: a class missing from one pool gets no pi and no density budget
    (never +inf taking the largest share)."""
    C, D = 4, 8
    src, tgt, _ = _domains(seed=8, C=C, D=D)
    # dead channel everywhere, class 1 absent from the source predictions,
    # class 3 a single target region
    for p in (src, tgt):
        p.feature[:, 2] = 0.0
    keep = src.pred_class != 1
    src = src.subset(np.flatnonzero(keep))
    prob = tgt.prob.copy()
    prob[tgt.pred_class == 3] = np.eye(C)[0]
    prob[0] = np.eye(C)[3]
    tgt.prob = prob
    for backend in ('torch', 'sklearn'):
        s = ADeADA(policy='density', seed=9, density_cfg=dict(backend=backend))
        budget = int(tgt.cost.sum() * 0.3)
        sel = s.select(tgt, budget, 1, source_pool=src)
        info = sel.info
        assert info['per_class_kl'][1] is None
        assert info['excluded_classes']['1'] == 'no source density'
        assert info['per_class_density_budget'][1] == 0
        assert info['regions_per_class_density'][1] == 0
        assert 1 not in info['density_classes']
        assert all(
            np.isfinite(v) for v in info['per_class_kl'] if v is not None)
        assert int(tgt.cost[sel.index].sum()) <= budget
        assert sum(info['per_class_density_budget']) == budget
        assert info['regions_per_class_density'][3] <= 1


def test_classes_outside_the_source_label_space_never_get_density_budget():
    """7c: SYNTHIA has no terrain/truck/train: source_classes excludes them."""
    src, tgt, _ = _domains(seed=14, C=3)
    budget = int(tgt.cost.sum() * 0.2)
    full = ADeADA(
        policy='density', seed=1).select(
            tgt, budget, 1, source_pool=src)
    assert full.info['per_class_density_budget'][0] > 0
    sel = ADeADA(
        policy='density', seed=1, source_classes=[1, 2]).select(
            tgt, budget, 1, source_pool=src)
    info = sel.info
    assert info['excluded_classes'] == {'0': 'not in the source label space'}
    assert info['per_class_density_budget'][0] == 0
    assert info['regions_per_class_density'][0] == 0
    assert info['per_class_kl'][0] is None
    assert sum(info['per_class_density_budget']) == budget


def test_unspendable_density_share_goes_to_uncertainty():
    src, tgt, _ = _domains(seed=10)
    budget = int(tgt.cost.sum() * 0.2)
    sel = ADeADA(
        policy='density',
        max_regions_per_class=1,
        sigma='zsoftmax',  # every class weighs > 0
        seed=0).select(
            tgt, budget, 1, source_pool=src)
    assert sel.info['uncertainty_budget'] == 0
    assert sum(sel.info['regions_per_class_density']) == 3
    assert sel.info['uncertainty_spent'] > 0
    assert int(tgt.cost[sel.index].sum()) <= budget


def test_target_all_is_used_for_p_t():
    src, tgt, _ = _domains(seed=11)
    cand = np.flatnonzero(np.arange(len(tgt)) % 3 > 0)
    pool = tgt.subset(cand)
    budget = int(pool.cost.sum() * 0.1)
    s = ADeADA(policy='density', seed=2)
    with_all = s.select(pool, budget, 1, source_pool=src, target_all=tgt)
    alone = s.select(pool, budget, 1, source_pool=src)
    assert with_all.index.max() < len(pool)
    assert with_all.info['per_class_kl'] != alone.info['per_class_kl']


def test_p_t_is_fitted_on_labelled_regions_too():
    """7a: Algorithm 1 fits p_T on all of D_T; labelled rows (cost 0) of the
    pool shape p_T (and are never bought)."""
    src, tgt, _ = _domains(seed=15)
    labeled = tgt.subset(np.arange(len(tgt)))
    labeled.cost[::3] = 0  # a third already bought
    budget = int(labeled.cost.sum() * 0.1)
    s = ADeADA(policy='density', seed=2)
    sel = s.select(labeled, budget, 2, source_pool=src)
    assert (labeled.cost[sel.index] > 0).all()
    counts = sel.info['per_class_target_regions']
    assert sum(counts) == len(labeled)  # every target region, labelled too
    # identical to passing the full domain as target_all explicitly
    unl = labeled.subset(np.flatnonzero(labeled.cost > 0))
    ref = s.select(unl, budget, 2, source_pool=src, target_all=labeled)
    assert ref.info['per_class_kl'] == sel.info['per_class_kl']
    # and different from fitting p_T on the unlabelled rows only
    only = s.select(unl, budget, 2, source_pool=src)
    assert only.info['per_class_kl'] != sel.info['per_class_kl']


def test_components_follow_target_counts_for_both_domains():
    """7b: clip(N_target_c // regions_per_component, 1, 10) for both fits;
    'per_domain' counts each domain's own regions."""
    src, tgt, _ = _domains(seed=16, n_src=1200, n_tgt=300)
    budget = int(tgt.cost.sum() * 0.1)
    cfg = dict(regions_per_component=40, max_components=10)
    sel = ADeADA(
        policy='density', seed=0, density_cfg=cfg).select(
            tgt, budget, 1, source_pool=src)
    info = sel.info
    n_t = np.asarray(info['per_class_target_regions'])
    n_s = np.asarray(info['per_class_source_regions'])
    expect = np.clip(n_t // 40, 1, 10)
    assert info['per_class_components_target'] == expect.tolist()
    assert info['per_class_components_source'] == expect.tolist()
    assert sum(n_s) == len(src) and sum(n_t) == len(tgt)
    per = ADeADA(
        policy='density', seed=0, components='per_domain',
        density_cfg=cfg).select(
            tgt, budget, 1, source_pool=src)
    assert per.info['per_class_components_source'] == np.clip(
        n_s // 40, 1, 10).tolist()
    assert per.info['per_class_components_source'] != expect.tolist()
    with pytest.raises(ValueError, match='components'):
        ADeADA(components='source')


def test_regularisation_events_are_logged_and_reported():
    """7e: an escalated covariance ridge names domain, class and value."""
    src, tgt, _ = _domains(seed=17, C=2, D=4)
    # class 1 of the source collapses onto a line: singular covariance
    cls1 = src.pred_class == 1
    src.feature[cls1] = np.outer(np.arange(cls1.sum()),
                                 np.ones(4)).astype(np.float32)
    budget = int(tgt.cost.sum() * 0.1)
    for backend in ('sklearn', 'torch'):
        sel = ADeADA(
            policy='density',
            seed=0,
            density_cfg=dict(backend=backend, reg_covar=0.0)).select(
                tgt, budget, 1, source_pool=src)
        events = sel.info['density_reg_events']
        assert any(
            e['domain'] == 'source' and e['cls'] == 1 and e['reg_covar'] > 0
            for e in events), (backend, events)
        json.dumps(sel.info)


def test_errors_and_registry():
    src, tgt, _ = _domains(seed=12)
    s = ADeADA()
    with pytest.raises(ValueError, match='source_pool'):
        s.select(tgt, 1000, 1)
    with pytest.raises(ValueError, match='1-based'):
        s.select(tgt, 1000, 0, source_pool=src)
    no_feat = tgt.subset(np.arange(len(tgt)))
    no_feat.feature = None
    with pytest.raises(ValueError, match='feature'):
        s.select(no_feat, 1000, 1, source_pool=src)
    bad_src = src.subset(np.arange(len(src)))
    bad_src.feature = bad_src.feature[:, :3]
    with pytest.raises(ValueError, match='dims'):
        s.select(tgt, 1000, 1, source_pool=bad_src)
    with pytest.raises(ValueError, match='uncertainty'):
        ADeADA(uncertainty='bald')
    with pytest.raises(ValueError, match='policy'):
        ADeADA(policy='cosine')
    with pytest.raises(ValueError, match='num_classes'):
        ADeADA(density_cfg=dict(num_classes=3))
    built = build_active(
        dict(
            type='ADeADA',
            alpha=0.5,
            policy='linear',
            seed=3,
            density_cfg=dict(backend='sklearn', max_fit_samples=500)),
        STRATEGIES)
    assert isinstance(built, ADeADA)
    assert 'feature' in built.requires and 'source_pool' in built.requires
    assert built.density_cfg['backend'] == 'sklearn'
    sel = built.select(tgt, 2000, 2, source_pool=src)
    # Table 5: 1.0, 0.8, ... whatever alpha (it was alpha - 0.2 = 0.3)
    assert sel.info['density_budget'] == 1600


def test_uncertainty_only_needs_no_source_pass():
    from mmseg_ada.active.strategies.adeada import ADeADA
    assert ADeADA(policy='uncertainty').requires == ('prob', )
    assert ADeADA(alpha=0.0, policy='half').requires == ('prob', )
    # the linear schedule starts at 1.0 whatever alpha
    assert 'source_pool' in ADeADA(alpha=0.0, policy='linear').requires
    assert 'source_pool' in ADeADA(alpha=0.0, policy='even').requires
    assert ADeADA().requires == ('prob', 'feature', 'source_pool')
