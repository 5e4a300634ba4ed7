"""Image-level (classification) strategies: CoreSet, BADGE, CLUE, AADA,
LAS (LADA), SDM, SAGE."""
import json

import numpy as np
import pytest
import torch

from mmseg_ada.visualization import draw_strategy_figure
from tests.test_active.cls_utils import image_pool, load, random_prob

F = load('functional')
CoreSet = load('strategies.coreset').CoreSet
BADGE = load('strategies.badge').BADGE
CLUE = load('strategies.clue').CLUE
AADA = load('strategies.aada').AADA
LAS = load('strategies.las').LAS
SDM = load('strategies.sdm').SDM
SAGE = load('strategies.sage').SAGE
ALL = (CoreSet, BADGE, CLUE, AADA, LAS, SDM, SAGE)
LABELLED = tuple(range(0, 60, 3))


def _world(seed=0, n=120, c=4, d=6):
    """A pool with everything any strategy requires, and the context."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(c, d))
    b = rng.normal(size=c)
    logits = f @ w.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    extras = dict(
        logits=logits.astype(np.float32),
        domain=rng.uniform(0.05, 0.95, n).astype(np.float32),
        disc_grad=rng.normal(size=(n, c, d)).astype(np.float32))
    pool = image_pool(
        p, f, labelled=[i for i in LABELLED if i < n], extras=extras)
    return pool, dict(classifier_weight=w, classifier_bias=b)


@pytest.mark.parametrize('cls', ALL)
def test_budget_respected_and_labelled_never_bought(cls):
    pool, ctx = _world()
    for budget in (0, 1, 7):
        sel = cls().select(pool, budget, 1, **ctx)
        assert len(sel.index) == budget
        assert len(set(sel.index.tolist())) == budget
        assert (pool.cost[sel.index] == 1).all()
        assert sel.info['spent'] == budget
        json.dumps(sel.info)  # the round report is JSON
    # more budget than candidates: every candidate, once
    small = pool.subset(np.arange(30))
    sel = cls(k=3) if cls is LAS else cls()
    got = sel.select(small, 100, 1, **ctx).index
    assert sorted(got.tolist()) == np.flatnonzero(small.cost).tolist()
    with pytest.raises(ValueError, match='budget'):
        cls().select(pool, -1, 1, **ctx)


@pytest.mark.parametrize('cls', ALL)
def test_same_inputs_seed_and_round_give_the_same_picks(cls):
    pool, ctx = _world(1)
    a = cls(seed=3).select(pool, 9, 2, **ctx).index
    b = cls(seed=3).select(pool, 9, 2, **ctx).index
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize('cls', ALL)
def test_registered_and_built_from_config(cls):
    from mmseg_ada.registry import STRATEGIES, build_active
    assert STRATEGIES.get(cls.__name__) is cls
    built = build_active(dict(type=cls.__name__, seed=5), STRATEGIES)
    assert isinstance(built, cls) and built.seed == 5
    assert built.requires[0] == 'prob' and built.unit_kinds == ('image', )
    pool, ctx = _world()
    regions = load('pool').UnitPool(
        image_index=pool.image_index,
        unit_id=pool.unit_id,
        cost=pool.cost,
        prob=pool.prob,
        feature=pool.feature,
        extras=pool.extras,
        kind='region')
    with pytest.raises(ValueError, match='image'):
        built.select(regions, 3, 1, **ctx)


@pytest.mark.parametrize('cls', [CoreSet, BADGE, SAGE])
def test_distances_are_never_pool_by_pool(cls, monkeypatch):
    """Traversal and seeding ask for distances to a few centres only."""
    SqDist = load('functional.distances').SqDist
    shapes = []
    real = SqDist.__call__

    def spy(self, rows, cols):
        out = real(self, rows, cols)
        shapes.append(out.shape)
        return out

    monkeypatch.setattr(SqDist, '__call__', spy)
    n = 1500
    pool, ctx = _world(19, n=n, c=3, d=4)
    sel = cls().select(pool, 100, 1, **ctx)
    assert len(sel.index) == 100 and shapes
    assert max(c for _, c in shapes) <= 32  # at most one sync batch
    assert max(r * c for r, c in shapes) <= 32 * n


# ----------------------------------------------------------------- CoreSet
def test_coreset_is_greedy_k_centre_with_labelled_rows_as_centres():
    pool, _ = _world(2)
    got = CoreSet().select(pool, 10).index
    x = pool.feature.astype(np.float64)
    lab = np.flatnonzero(pool.cost == 0)
    md = ((x[:, None] - x[None, lab])**2).sum(-1).min(1)
    md[lab] = -1
    ref = []
    for _ in range(10):
        t = int(np.argmax(md))
        ref.append(t)
        md = np.minimum(md, ((x - x[t])**2).sum(1))
        md[ref] = -1
    assert got.tolist() == ref


def test_coreset_without_labelled_rows_starts_from_a_seeded_row():
    pool, _ = _world(3)
    pool.cost[:] = 1
    a = CoreSet(seed=0).select(pool, 5, 1).index
    assert a.tolist() == CoreSet(seed=0).select(pool, 5, 1).index.tolist()
    firsts = {CoreSet(seed=s).select(pool, 1, 1).index[0] for s in range(8)}
    assert len(firsts) > 1


# ------------------------------------------------------------------- BADGE
def test_badge_equals_k_means_plus_plus_on_the_materialised_embedding():
    pool, _ = _world(4)
    rng_round = BADGE(seed=2).rng(3)
    got = BADGE(seed=2).select(pool, 8, 3).index
    cand = np.flatnonzero(pool.cost)
    p = pool.prob[cand].astype(np.float64)
    onehot = np.eye(p.shape[1])[p.argmax(1)]
    g = ((p - onehot)[:, :, None] *
         pool.feature[cand].astype(np.float64)[:, None, :]).reshape(
             len(cand), -1)
    # Ash et al.'s init_centers: largest norm first, then D^2 sampling
    chosen = [int(np.argmax((g * g).sum(1)))]
    d2 = ((g - g[chosen[0]])**2).sum(1)
    for _ in range(7):
        d2[chosen] = 0
        mass = np.cumsum(d2)
        j = int(
            np.searchsorted(
                mass, rng_round.random(1)[0] * mass[-1], side='right'))
        chosen.append(j)
        d2 = np.minimum(d2, ((g - g[j])**2).sum(1))
    assert got.tolist() == cand[chosen].tolist()


def test_badge_gradient_factors():
    a, z = BADGE.gradient_factors(np.array([[0.2, 0.7, 0.1]]), np.ones((1, 2)))
    np.testing.assert_allclose(a, [[0.2, -0.3, 0.1]], atol=1e-7)
    with pytest.raises(ValueError, match='feature'):
        BADGE.gradient_factors(np.ones((2, 3)) / 3, None)


# -------------------------------------------------------------------- CLUE
def test_clue_weights_are_the_entropy_at_temperature_0_1():
    pool, _ = _world(5)
    w = CLUE().weights(pool)
    for i in range(0, len(pool), 17):  # direct computation, row by row
        z = pool.extras['logits'][i].astype(np.float64) / 0.1
        q = np.exp(z - z.max())
        q /= q.sum()
        ref = -sum(v * np.log(v) for v in q if v > 0)
        assert w[i] == pytest.approx(ref, rel=1e-9, abs=1e-12)
    assert (CLUE(temperature=1.0).weights(pool) >= 0).all()


def test_clue_is_weighted_sklearn_kmeans_with_the_nearest_row_per_centre():
    from sklearn.cluster import KMeans
    pool, _ = _world(6)
    strat = CLUE(seed=4, n_init=2)
    got = strat.select(pool, 6, 2).index
    cand = np.flatnonzero(pool.cost)
    w = strat.weights(pool)[cand]
    x = pool.feature[cand]
    km = KMeans(
        n_clusters=6, n_init=2, random_state=F.sklearn_seed(strat.rng(2))).fit(
            x, sample_weight=w)
    ref = F.nearest_to_centres(x, km.cluster_centers_)
    assert got.tolist() == cand[ref].tolist()


def test_clue_weighting_moves_centres_to_uncertain_images():
    """Two blobs; confident images (entropy ~0) attract no centre."""
    rng = np.random.default_rng(7)
    n = 80
    f = np.concatenate(
        [rng.normal(0, 0.3, (n // 2, 2)),
         rng.normal(10, 0.3, (n // 2, 2))]).astype(np.float32)
    logits = np.zeros((n, 3), np.float32)
    logits[n // 2:, 0] = 50.0  # second blob: confident
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    pool = image_pool(p, f, extras=dict(logits=logits))
    got = CLUE().select(pool, 4).index
    assert (got < n // 2).all()
    unweighted = CLUE(temperature=1e6).select(pool, 4).index
    assert (unweighted >= n // 2).any()


# -------------------------------------------------------------------- AADA
def test_aada_score_is_entropy_times_importance_weight():
    pool, _ = _world(8)
    d = pool.extras['domain'].astype(np.float64)
    ent = pool.stats['entropy'].astype(np.float64)
    np.testing.assert_allclose(
        AADA().score(pool), ent * (1 - d) / d, rtol=1e-6)
    # the same discriminator read as P(target) or as logits
    flipped = image_pool(
        pool.prob, pool.feature, LABELLED, extras=dict(domain=1 - d))
    np.testing.assert_allclose(
        AADA(domain_output='target_prob').score(flipped),
        AADA().score(pool),
        rtol=1e-6)
    logit = image_pool(
        pool.prob,
        pool.feature,
        LABELLED,
        extras=dict(domain=np.log(d / (1 - d))))
    np.testing.assert_allclose(
        AADA(domain_output='source_logit').score(logit),
        AADA().score(pool),
        rtol=1e-6)
    # target-looking images (small d) come first at equal entropy
    sel = AADA().select(pool, 5)
    assert sel.index.tolist() == AADA().ranked(pool,
                                               AADA().score(pool),
                                               1)[:5].tolist()
    with pytest.raises(ValueError, match='source_logit'):
        AADA().score(logit)


def test_aada_top_fraction_draws_from_the_top():
    pool, _ = _world(9)
    order = AADA().ranked(pool, AADA().score(pool), 1)
    got = AADA(top_fraction=0.2).select(pool, 5).index
    assert set(got.tolist()) <= set(order[:int(np.ceil(0.2 * 100))].tolist())


# --------------------------------------------------------------------- LAS
def _las_reference(pool, k, inv_k=False, rows=None):
    """Eq. 1-2 by direct loops over rows and brute-force neighbours."""
    rows = np.arange(len(pool)) if rows is None else rows
    e = pool.feature[rows].astype(np.float64)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    p = pool.prob[rows].astype(np.float64)
    n = len(rows)
    nbrs, weights = [], []
    for i in range(n):
        sims = [(e[i] @ e[j], j) for j in range(n) if j != i]
        sims.sort(key=lambda t: -t[0])
        top = sims[:k]
        total = sum(s for s, _ in top)
        nbrs.append([j for _, j in top])
        weights.append([s / total / (k if inv_k else 1) for s, _ in top])
    li = [
        -sum(w * (p[j] @ p[i]) for w, j in zip(weights[i], nbrs[i]))
        for i in range(n)
    ]  # Eq. 1
    return np.array([
        li[i] + sum(w * li[j] for w, j in zip(weights[i], nbrs[i]))
        for i in range(n)
    ])  # Eq. 2


@pytest.mark.parametrize('inv_k', [False, True])
def test_las_eq1_eq2_match_a_direct_loop(inv_k):
    pool, _ = _world(10, n=60)
    out = LAS(
        k=4, inv_k=inv_k, block=16, neighbours='all').local_inconsistency(pool)
    np.testing.assert_allclose(
        out['smoothed'], _las_reference(pool, 4, inv_k), atol=1e-6)
    np.testing.assert_allclose(out['weights'].sum(1), 1 / 4 if inv_k else 1.0)


def test_las_graph_over_unlabelled_only():
    pool, _ = _world(11, n=60)
    cand = np.flatnonzero(pool.cost)
    out = LAS(k=3, neighbours='unlabelled').local_inconsistency(pool)
    assert out['rows'].tolist() == cand.tolist()
    np.testing.assert_allclose(
        out['smoothed'], _las_reference(pool, 3, rows=cand), atol=1e-6)


def test_las_neighbour_graph_by_hand():
    """Issue 17 (5): the graph over unlabelled images only (the default, the
    released code) or over all images, on four images at angles 0, 10, 30
    and 45 degrees (cosine neighbours = nearest angles), K = 1 (w = 1), two
    classes, image a labelled:

    p_a = [1, 0], p_b = [.6, .4], p_c = [0, 1], p_d = [.5, .5].

    'all': a -> b, b -> a, c -> d, d -> c; LI = -p_nbr . p: a -.6, b -.6,
    c -.5, d -.5; smoothed LI + LI(nbr): a -1.2, b -1.2, c -1.0, d -1.0.
    'unlabelled': b -> c (20 degrees; a is not in the graph), c -> d,
    d -> c; LI: b -.4, c -.5, d -.5; smoothed: b -.9, c -1.0, d -1.0.
    """
    deg = np.radians([0.0, 10.0, 30.0, 45.0])
    feature = np.stack([np.cos(deg), np.sin(deg)], 1).astype(np.float32)
    prob = [[1.0, 0.0], [0.6, 0.4], [0.0, 1.0], [0.5, 0.5]]
    pool = image_pool(prob, feature, labelled=(0, ), stats=False)
    out = LAS(k=1).local_inconsistency(pool)
    assert LAS().neighbours == 'unlabelled'
    assert out['rows'].tolist() == [1, 2, 3]
    assert out['rows'][out['neighbours'][:, 0]].tolist() == [2, 3, 2]
    np.testing.assert_allclose(out['li'], [-0.4, -0.5, -0.5], atol=1e-6)
    np.testing.assert_allclose(out['smoothed'], [-0.9, -1.0, -1.0], atol=1e-6)
    out = LAS(k=1, neighbours='all').local_inconsistency(pool)
    assert out['rows'].tolist() == [0, 1, 2, 3]
    assert out['neighbours'][:, 0].tolist() == [1, 0, 3, 2]
    np.testing.assert_allclose(out['li'], [-0.6, -0.6, -0.5, -0.5], atol=1e-6)
    np.testing.assert_allclose(
        out['smoothed'], [-1.2, -1.2, -1.0, -1.0], atol=1e-6)
    # one image, M = 0: b under the released graph; under 'all' b is the
    # lowest of the unlabelled images and c or d is bought
    assert LAS(k=1, m=0).select(pool, 1).index.tolist() == [1]
    assert LAS(
        k=1, m=0, neighbours='all').select(pool,
                                           1).index.tolist() in ([2], [3])


def test_las_buys_among_the_top_1_plus_m_b_one_per_cluster():
    pool, _ = _world(12, n=200)
    strat = LAS(k=5, m=2, seed=1)
    sel = strat.select(pool, 6, 1)
    order = strat.ranked(pool, strat.score(pool), 1)
    assert sel.info['num_candidates'] == 18
    assert set(sel.index.tolist()) <= set(order[:18].tolist())
    # M = 0: no clustering, the top b by LI
    plain = LAS(k=5, m=0).select(pool, 6, 1).index
    assert plain.tolist() == order[:6].tolist()


def test_las_never_builds_an_n_by_n_similarity(monkeypatch):
    knn = load('functional.knn')
    widest = []
    real = knn._block_product
    monkeypatch.setattr(
        knn, '_block_product', lambda a, b:
        (widest.append(max(a.shape[0], b.shape[0])), real(a, b))[1])
    rng = np.random.default_rng(13)
    n = 3000
    p, _ = random_prob(rng, n, 3)
    pool = image_pool(
        p, rng.normal(size=(n, 4)).astype(np.float32), stats=False)
    LAS(k=5, m=1, block=500).select(pool, 5)
    assert widest and max(widest) <= 500


# --------------------------------------------------------------------- SDM
def test_sdm_lambda_0_is_margin_sampling_and_needs_only_prob():
    pool, _ = _world(14)
    strat = SDM(lam=0)
    assert strat.requires == ('prob', )
    q = strat.score(pool)
    np.testing.assert_allclose(q, 1 - pool.stats['margin'], atol=1e-6)
    assert strat.select(pool, 6).index.tolist() == strat.ranked(
        pool, 1 - pool.stat('margin'), 1)[:6].tolist()


def test_sdm_g_scores_match_autograd_through_a_linear_classifier():
    pool, ctx = _world(15, n=40)
    w = torch.tensor(ctx['classifier_weight'])
    b = torch.tensor(ctx['classifier_bias'])
    f = torch.tensor(pool.feature, dtype=torch.float64)
    p = pool.prob.astype(np.float64)
    i1, i2 = F.top2(p)
    ref = []
    for i in range(len(pool)):

        def grad(fn):
            fi = f[i].clone().requires_grad_(True)
            (g, ) = torch.autograd.grad(fn(w @ fi + b), fi)
            return g.numpy()

        def hinge(y):
            return lambda z: torch.clamp(
                1 - z[y] + z[torch.arange(len(z)) != y], min=0).sum()

        gl = p[i, i1[i]] * grad(hinge(i1[i])) + p[i, i2[i]] * grad(
            hinge(i2[i]))  # Eq. 9
        gq = grad(lambda z: 1 -
                  (torch.softmax(z, 0)[i1[i]] - torch.softmax(z, 0)[i2[i]]))
        cos = gl @ gq / (np.linalg.norm(gl) * np.linalg.norm(gq))
        ref.append(1 - (p[i, i1[i]] - p[i, i2[i]]) + 0.01 * cos)  # Eq. 8
    np.testing.assert_allclose(SDM().score(pool, w, b), ref, atol=1e-6)
    sel = SDM().select(pool, 4, 1, **ctx)
    assert sel.info['prob_gap'] < 1e-5
    with pytest.raises(KeyError, match='classifier_weight'):
        SDM().select(pool, 4, 1)


# -------------------------------------------------------------------- SAGE
def _sage_direct(pool, rows):
    out = []
    for i in rows:
        g = pool.extras['disc_grad'][i].astype(np.float64)
        h = pool.prob[i].astype(np.float64)
        mu = h @ g
        out.append(
            np.concatenate([
                np.sqrt(h[c]) * (g[c] - abs(g[c] @ mu) / (mu @ mu) * mu)
                for c in range(len(h))
            ]))
    return np.array(out)


def test_sage_default_is_algorithm_1_on_the_eq6_embedding():
    pool, _ = _world(16)
    cand = np.flatnonzero(pool.cost)
    s = _sage_direct(pool, cand)
    np.testing.assert_allclose(
        SAGE().embedding(pool, cand), s, rtol=1e-4, atol=1e-5)
    # Algorithm 1: max norm first, then farthest from the chosen set
    md = np.full(len(cand), np.inf)
    chosen = [int(np.argmax((s * s).sum(1)))]
    for _ in range(6):
        md = np.minimum(md, ((s - s[chosen[-1]])**2).sum(1))
        md[chosen] = -1
        chosen.append(int(np.argmax(md)))
    assert SAGE().select(pool, 7).index.tolist() == cand[chosen].tolist()
    # without diversity: the largest norms
    top = cand[np.argsort(-(s * s).sum(1), kind='stable')[:7]]
    assert sorted(SAGE(diversity='none').select(pool, 7).index.tolist()) \
        == sorted(top.tolist())


def test_sage_kmeanspp_starts_at_the_largest_norm():
    """Issue 17 (6): Algorithm 1, line 2: the first pick is argmax ||S||,
    then D^2 sampling on S (F.kmeanspp on the same distances, seeded);
    first='random' is the uniform first draw."""
    pool, _ = _world(17)
    cand = np.flatnonzero(pool.cost)
    s = _sage_direct(pool, cand)
    norm_sq = (s * s).sum(1)
    for seed in range(4):
        strat = SAGE(diversity='kmeans++', seed=seed)
        sel = strat.select(pool, 5, 2)
        assert sel.index[0] == cand[int(np.argmax(norm_sq))]
        assert sel.info['first'] == 'max_norm'
        assert len(set(sel.index.tolist())) == 5
        ref = F.kmeanspp(
            strat.distances(pool, cand),
            5,
            strat.rng(2),
            first=int(np.argmax(norm_sq)),
            n_local_trials=2 + int(np.log(5)))
        assert sel.index.tolist() == cand[ref].tolist()
    # the uniform first draw: not always the largest norm
    firsts = {
        int(
            SAGE(diversity='kmeans++', first='random',
                 seed=seed).select(pool, 3, 1).index[0])
        for seed in range(12)
    }
    assert len(firsts) > 1
    with pytest.raises(ValueError, match='first'):
        SAGE(first='largest')


def test_sage_rejects_a_binary_discriminator_gradient():
    pool, _ = _world(18)
    pool.extras['disc_grad'] = pool.extras['disc_grad'][:, :1]
    with pytest.raises(ValueError, match='one gradient per class'):
        SAGE().select(pool, 3)


# ----------------------------------------------------------------- reports
@pytest.mark.parametrize('cls', [CoreSet, SAGE])
def test_round_figure_is_written(cls, tmp_path):
    pool, ctx = _world(20)
    strat = cls()
    sel = strat.select(pool, 5, 1, **ctx)
    out = tmp_path / 'round.png'
    draw_strategy_figure(
        strat, sel, pool, str(out), class_names=['a', 'b', 'c', 'd'])
    assert out.stat().st_size > 1000
    no_feature = image_pool(pool.prob, None, LABELLED, extras=pool.extras)
    draw_strategy_figure(strat, sel, no_feature, str(tmp_path / 'base.png'))
    assert (tmp_path / 'base.png').stat().st_size > 1000
