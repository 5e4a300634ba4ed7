"""Array helpers of the classification strategies (functional/)."""
import numpy as np
import pytest
import torch

from tests.test_active.cls_utils import load

F = load('functional')


def _brute_knn(x, k):
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    s = xn @ xn.T
    np.fill_diagonal(s, -np.inf)
    idx = np.argsort(-s, axis=1, kind='stable')[:, :k]
    return np.take_along_axis(s, idx, 1), idx


@pytest.mark.parametrize('block', [3, 16, 64, 1000])
def test_cosine_knn_matches_brute_force(block):
    x = np.random.default_rng(0).normal(size=(150, 6)).astype(np.float32)
    sim, idx = F.cosine_knn(x, 5, block=block)
    ref_s, ref_i = _brute_knn(x.astype(np.float64), 5)
    np.testing.assert_allclose(sim, ref_s, atol=1e-5)
    assert (np.sort(idx, 1) == np.sort(ref_i, 1)).all()
    assert (idx != np.arange(150)[:, None]).all()  # never itself


@pytest.mark.parametrize('n,k,block,group', [(503, 7, 37, 4),
                                             (300, 20, 50, 16),
                                             (400, 3, 1000, 16)])
def test_cosine_knn_exact_on_ordered_data_and_odd_tiles(n, k, block, group):
    """Rows sorted along one axis (neighbours in the same tiles first) and
    tiles / groups that do not divide evenly: still the exact top-k."""
    x = np.random.default_rng(n).normal(size=(n, 4)).astype(np.float32)
    x = x[np.argsort(x[:, 0])]
    sim, idx = F.cosine_knn(x, k, block=block, group=group)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    s = xn.astype(np.float64) @ xn.T.astype(np.float64)
    np.fill_diagonal(s, -np.inf)
    np.testing.assert_allclose(sim, -np.sort(-s, 1)[:, :k], atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(s, idx, 1), sim, atol=1e-5)
    assert (np.diff(sim, axis=1) <= 0).all()


def test_cosine_knn_with_ties_returns_distinct_valid_neighbours():
    x = np.repeat(
        np.random.default_rng(0).normal(size=(30, 3)), 4,
        axis=0).astype(np.float32)
    sim, idx = F.cosine_knn(x, 5, block=16, group=4)
    assert all(len(set(r)) == 5 for r in idx.tolist())
    assert (idx != np.arange(120)[:, None]).all()
    np.testing.assert_allclose(sim[:, :3], 1.0, atol=1e-6)  # 3 copies


def test_cosine_knn_keeps_duplicates_but_not_self():
    x = np.array([[1, 0], [1, 0], [0, 1], [0.6, 0.8]], np.float32)
    sim, idx = F.cosine_knn(x, 1, block=2)
    assert idx[:, 0].tolist() == [1, 0, 3, 2]
    np.testing.assert_allclose(sim[:2, 0], 1.0)
    with pytest.raises(ValueError, match='k=4'):
        F.cosine_knn(x, 4)


def test_cosine_knn_never_builds_the_full_matrix(monkeypatch):
    """Tiles are at most block x block, whatever N (no N x N)."""
    knn = load('functional.knn')
    shapes = []
    real = knn._block_product

    def spy(a, b):
        shapes.append((a.shape[0], b.shape[0]))
        return real(a, b)

    monkeypatch.setattr(knn, '_block_product', spy)
    x = np.random.default_rng(1).normal(size=(2000, 4)).astype(np.float32)
    sim, idx = knn.cosine_knn(x, 3, block=256)
    assert max(max(s) for s in shapes) <= 256
    # each unordered pair of the 8 blocks once (28 products), the first 7
    # diagonal tiles in two strips of 128 rows, the last (208 rows) whole
    assert len(shapes) == 28 + 7 * 2 + 1
    ref_s, _ = _brute_knn(x.astype(np.float64), 3)
    np.testing.assert_allclose(sim, ref_s, atol=1e-5)


def test_knn_weights_normalise_and_fall_back_to_uniform():
    w = F.knn_weights(np.array([[0.5, 0.3, 0.2], [0.4, -0.4, 0.0]]))
    np.testing.assert_allclose(w[0], [0.5, 0.3, 0.2])
    np.testing.assert_allclose(w[1], [1 / 3] * 3)


def test_outer_distances_equal_materialised_badge_embedding():
    """||g_i - g_j||^2 of g = a (x) z without building g."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=(40, 5)).astype(np.float32)
    z = rng.normal(size=(40, 7)).astype(np.float32)
    g = (a[:, :, None] * z[:, None, :]).reshape(40, -1).astype(np.float64)
    dist = F.OuterSqDist(a, z, max_elems=16)  # many chunks
    cols = np.array([3, 17, 39])
    ref = ((g[:, None, :] - g[None, cols, :])**2).sum(-1)
    np.testing.assert_allclose(dist(None, cols), ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        dist([5, 6], cols), ref[[5, 6]], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dist.sq, (g * g).sum(1), rtol=1e-5)


def test_dense_distances_and_min_sq_dist():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    y = rng.normal(size=(9, 4)).astype(np.float32)
    ref = ((x[:, None].astype(np.float64) - x[None, [0, 7]])**2).sum(-1)
    np.testing.assert_allclose(
        F.DenseSqDist(x, max_elems=10)(None, [0, 7]), ref, atol=1e-4)
    ref = ((x[:, None].astype(np.float64) - y[None])**2).sum(-1).min(1)
    np.testing.assert_allclose(F.min_sq_dist(x, y, block=4), ref, atol=1e-4)
    assert np.isinf(F.min_sq_dist(x, y[:0])).all()


def _literal_farthest_first(x, k, first=None, centres=()):
    x = x.astype(np.float64)
    md = np.full(len(x), np.inf)
    for c in centres:
        md = np.minimum(md, ((x - c)**2).sum(1))
    out = []
    for _ in range(k):
        t = int(np.argmax(md)) if (out or first is None) else first
        out.append(t)
        md = np.minimum(md, ((x - x[t])**2).sum(1))
        md[out] = -1
    return np.array(out)


@pytest.mark.parametrize('sync_every,probe', [(1, 1), (4, 3), (32, 64)])
def test_farthest_first_equals_the_literal_loop(sync_every, probe):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    got = F.farthest_first(
        F.DenseSqDist(x), 40, first=7, sync_every=sync_every, probe=probe)
    assert got.tolist() == _literal_farthest_first(x, 40, first=7).tolist()
    y = rng.normal(size=(6, 5)).astype(np.float32) * 2
    got, radius = F.farthest_first(
        F.DenseSqDist(x),
        40,
        init_min=F.min_sq_dist(x, y),
        sync_every=sync_every,
        probe=probe,
        return_dists=True)
    assert got.tolist() == _literal_farthest_first(x, 40, centres=y).tolist()
    assert (np.diff(radius) <= 1e-9).all()  # the covering radius shrinks


def test_farthest_first_never_repeats_a_row_when_points_run_out():
    x = np.repeat(np.eye(3, dtype=np.float32), 3, axis=0)  # 3 points x 3
    got = F.farthest_first(F.DenseSqDist(x), 9, first=0, sync_every=2)
    assert sorted(got.tolist()) == list(range(9))
    assert sorted(got[:3] // 3) == [0, 1, 2]  # distinct points first


def test_kmeanspp_is_seeded_and_picks_distinct_rows():
    x = np.random.default_rng(5).normal(size=(200, 3)).astype(np.float32)
    dist = F.DenseSqDist(x)
    a = F.kmeanspp(dist, 30, np.random.default_rng(11), first=0)
    b = F.kmeanspp(dist, 30, np.random.default_rng(11), first=0)
    c = F.kmeanspp(dist, 30, np.random.default_rng(12), first=0)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert len(set(a.tolist())) == 30 and a[0] == 0
    g = F.kmeanspp(dist, 30, np.random.default_rng(11), n_local_trials=4)
    assert len(set(g.tolist())) == 30


def test_kmeanspp_draws_proportional_to_squared_distance():
    """D^2 sampling: P(row) = D(row)^2 / sum D^2 (A. & V. 2007)."""
    x = np.array([[0.], [1.], [2.], [0.]], np.float32)  # D^2 = 0, 1, 4, 0
    dist = F.DenseSqDist(x)
    counts = np.zeros(4)
    rng = np.random.default_rng(0)
    for _ in range(2000):
        counts[F.kmeanspp(dist, 2, rng, first=0)[1]] += 1
    assert counts[0] == counts[3] == 0  # zero distance: never drawn
    assert abs(counts[2] / 2000 - 0.8) < 0.04
    # weights multiply D^2; a zero weight is never drawn
    w = np.array([1, 1, 0, 1.])
    assert F.kmeanspp(dist, 2, rng, first=0, sample_weight=w)[1] == 1


def test_kmeanspp_falls_back_to_uniform_when_all_rows_are_centres():
    x = np.zeros((5, 2), np.float32)
    got = F.kmeanspp(F.DenseSqDist(x), 5, np.random.default_rng(0), first=2)
    assert sorted(got.tolist()) == [0, 1, 2, 3, 4]


def test_nearest_to_centres_resolves_collisions_in_order():
    x = np.array([[0, 0], [10, 0], [0.4, 0], [20, 0]], np.float32)
    centres = np.array([[0.1, 0], [0.0, 0], [19, 0]])
    # both first centres are nearest row 0; the second takes row 2
    assert F.nearest_to_centres(x, centres, block=3).tolist() == [0, 2, 3]


def test_seeded_kmeans_is_deterministic():
    x = np.random.default_rng(6).normal(size=(120, 4)).astype(np.float32)
    w = np.random.default_rng(7).random(120)
    a, ia = F.seeded_kmeans(x, 6, 3, n_init=2, sample_weight=w)
    b, ib = F.seeded_kmeans(x, 6, 3, n_init=2, sample_weight=w)
    np.testing.assert_array_equal(a, b)
    assert (ia['labels'] == ib['labels']).all()


# --------------------------------------------------------------------- SDM
def _tiny_linear(seed=0, n=6, c=4, d=5):
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(n, d, generator=g, dtype=torch.float64)
    w = torch.randn(c, d, generator=g, dtype=torch.float64)
    b = torch.randn(c, generator=g, dtype=torch.float64)
    return f, w, b


def _autograd_feature_grad(f, w, b, fn):
    """Per-sample gradient of ``fn(z_i, i)`` w.r.t. ``f_i``."""
    rows = []
    for i in range(f.shape[0]):
        fi = f[i].clone().requires_grad_(True)
        (g, ) = torch.autograd.grad(fn(w @ fi + b, i), fi)
        rows.append(g)
    return torch.stack(rows).numpy()


def test_sdm_eq1_margin_loss_gradient_matches_autograd():
    """grad_f sum_{i != y} [m - z_y + z_i]_+ (Eq. 1) = dL/dz @ W."""
    f, w, b = _tiny_linear()
    z = (f @ w.T + b).numpy()
    y = np.array([0, 1, 2, 3, 1, 0])

    def loss(zi, i):
        others = torch.arange(zi.shape[0]) != int(y[i])
        return torch.clamp(1.0 - zi[int(y[i])] + zi[others], min=0).sum()

    ref = _autograd_feature_grad(f, w, b, loss)
    got = F.margin_loss_logit_grad(z, y, 1.0) @ w.numpy()
    np.testing.assert_allclose(got, ref, atol=1e-10)
    assert np.abs(ref).sum() > 0


def test_sdm_train_loss_gradient_matches_autograd():
    """The released code's loss: CE + hinge(normalised) / C - z^_y."""
    f, w, b = _tiny_linear(1)
    z = (f @ w.T + b).numpy()
    y = np.array([3, 1, 2, 0, 1, 2])
    C = w.shape[0]

    def loss(zi, i):
        yi = int(y[i])
        zh = zi / zi.norm()
        others = torch.arange(C) != yi
        hinge = torch.clamp(1.0 - zh[yi] + zh[others], min=0).sum() / C
        ce = torch.nn.functional.cross_entropy(zi[None], torch.tensor([yi]))
        return ce + hinge - zh[yi]

    ref = _autograd_feature_grad(f, w, b, loss)
    got = F.train_loss_logit_grad(z, y, 1.0) @ w.numpy()
    np.testing.assert_allclose(got, ref, atol=1e-10)


def test_sdm_eq3_query_gradient_matches_autograd():
    """grad_f Q, Q = 1 - (p_1* - p_2*) with the top-2 indices fixed."""
    f, w, b = _tiny_linear(2)
    z = (f @ w.T + b).numpy()
    i1, i2 = F.top2(z)

    def q(zi, i):
        p = torch.softmax(zi, 0)
        return 1 - (p[int(i1[i])] - p[int(i2[i])])

    ref = _autograd_feature_grad(f, w, b, q)
    got = F.q_logit_grad(z, i1, i2) @ w.numpy()
    np.testing.assert_allclose(got, ref, atol=1e-12)


@pytest.mark.parametrize('loss', ['margin', 'train'])
def test_sdm_eq8_eq9_score_matches_autograd(loss):
    """Q~ = Q + lam cos(p1 grad L(1*) + p2 grad L(2*), grad Q), autograd."""
    f, w, b = _tiny_linear(3, n=8)
    z = f @ w.T + b
    p = torch.softmax(z, 1).numpy()
    i1, i2 = F.top2(p)
    C = w.shape[0]

    def loss_fn(zi, y):
        others = torch.arange(C) != y
        if loss == 'margin':
            return torch.clamp(1.0 - zi[y] + zi[others], min=0).sum()
        zh = zi / zi.norm()
        return (
            torch.nn.functional.cross_entropy(zi[None], torch.tensor([y])) +
            torch.clamp(1.0 - zh[y] + zh[others], min=0).sum() / C - zh[y])

    gl1 = _autograd_feature_grad(f, w, b,
                                 lambda zi, i: loss_fn(zi, int(i1[i])))
    gl2 = _autograd_feature_grad(f, w, b,
                                 lambda zi, i: loss_fn(zi, int(i2[i])))
    rows = np.arange(8)
    gl = p[rows, i1][:, None] * gl1 + p[rows, i2][:, None] * gl2

    def q(zi, i):
        pi = torch.softmax(zi, 0)
        return 1 - (pi[int(i1[i])] - pi[int(i2[i])])

    gq = _autograd_feature_grad(f, w, b, q)
    cos = (gl * gq).sum(1) / (
        np.linalg.norm(gl, axis=1) * np.linalg.norm(gq, axis=1))
    q_ref = 1 - (p[rows, i1] - p[rows, i2])
    out = F.sdm_scores(
        p, f.numpy(), w.numpy(), b.numpy(), lam=0.5, loss=loss, chunk=3)
    np.testing.assert_allclose(out['cos'], cos, atol=1e-9)
    np.testing.assert_allclose(out['score'], q_ref + 0.5 * cos, atol=1e-9)
    assert out['prob_gap'] < 1e-9
    flipped = F.sdm_scores(
        p, f.numpy(), w.numpy(), b.numpy(), lam=0.5, loss=loss, sign=-1.0)
    np.testing.assert_allclose(flipped['score'], q_ref - 0.5 * cos, atol=1e-9)


# -------------------------------------------------------------------- SAGE
def test_sage_eq5_pop_properties():
    """POP removes the component along mu when g.mu >= 0, doubles it when
    g.mu < 0, and nulls a gradient parallel to mu (Eq. 5)."""
    rng = np.random.default_rng(8)
    g = rng.normal(size=(50, 4, 6))
    mu = rng.normal(size=(50, 6))
    gt = F.positive_orthogonal_projection(g, mu, eps=0.0)
    dot = np.einsum('ncd,nd->nc', g, mu)
    dot_t = np.einsum('ncd,nd->nc', gt, mu)
    pos = dot >= 0
    assert pos.any() and (~pos).any()
    np.testing.assert_allclose(dot_t[pos], 0.0, atol=1e-10)
    np.testing.assert_allclose(dot_t[~pos], 2 * dot[~pos], rtol=1e-10)
    # the orthogonal part is untouched
    perp = g - (dot / (mu * mu).sum(1)[:, None])[..., None] * mu[:, None]
    perp_t = gt - (dot_t / (mu * mu).sum(1)[:, None])[..., None] * mu[:, None]
    np.testing.assert_allclose(perp_t, perp, atol=1e-10)
    parallel = 3.0 * mu[:, None, :]
    np.testing.assert_allclose(
        F.positive_orthogonal_projection(parallel, mu, eps=0.0),
        0.0,
        atol=1e-10)
    # sign equivariance: flipping every g flips every g~
    np.testing.assert_allclose(
        F.positive_orthogonal_projection(
            -g, F.expected_gradient(np.full((50, 4), 0.25), -g)),
        -F.positive_orthogonal_projection(
            g, F.expected_gradient(np.full((50, 4), 0.25), g)),
        atol=1e-10)


def test_sage_eq3_to_eq6_embedding_matches_autograd_on_a_tiny_discriminator():
    torch.manual_seed(0)
    C, D, n = 3, 4, 5
    disc = torch.nn.Sequential(
        torch.nn.Linear(D, 8), torch.nn.Tanh(),
        torch.nn.Linear(8, C)).double().eval()
    z = torch.randn(n, D, dtype=torch.float64)
    grad = F.class_disc_grad(disc, z).numpy()
    prob = np.random.default_rng(9).dirichlet(np.ones(C), size=n)
    emb = F.sage_embedding(prob, grad, max_elems=24)  # 2 rows a chunk
    for i in range(n):  # a direct loop, one sample and class at a time
        g = []
        for c in range(C):
            zi = z[i].clone().requires_grad_(True)
            d_c = torch.sigmoid(disc(zi[None])[0, c])
            (gc, ) = torch.autograd.grad(-torch.log(d_c), zi)
            g.append(gc.numpy())
        g = np.stack(g)
        np.testing.assert_allclose(grad[i], g, atol=1e-10)
        mu = sum(prob[i, c] * g[c] for c in range(C))  # Eq. 4
        s = []
        for c in range(C):
            lam = abs(g[c] @ mu) / (mu @ mu)  # Eq. 5
            s.append(np.sqrt(prob[i, c]) * (g[c] - lam * mu))  # Eq. 6
        np.testing.assert_allclose(
            emb[i], np.concatenate(s), rtol=1e-5, atol=1e-6)
    no_pop = F.sage_embedding(prob, grad, pop=False, rows=[1, 3])
    np.testing.assert_allclose(
        no_pop, (np.sqrt(prob)[:, :, None] * grad)[[1, 3]].reshape(2, -1),
        rtol=1e-5)
    with pytest.raises(ValueError, match='one row per class'):
        F.sage_embedding(prob[:, :2], grad)


@pytest.mark.parametrize('pop', [True, False])
def test_sage_implicit_distances_equal_the_embedding_distances(pop):
    """SageSqDist never builds S(x) (Eq. 6) but measures the same."""
    rng = np.random.default_rng(10)
    n, c, d = 90, 4, 5
    grad = rng.normal(size=(n, c, d)).astype(np.float32)
    prob = rng.dirichlet(np.ones(c), size=n).astype(np.float32)
    prob[0] = [1, 0, 0, 0]  # a one-hot row: h_c = 0 entries
    rows = np.sort(rng.choice(n, 70, replace=False))
    emb = F.sage_embedding(prob, grad, pop=pop, rows=rows).astype(np.float64)
    dist = F.SageSqDist(
        prob, grad, rows=rows, pop=pop, max_elems=c * d * 7)  # 7 rows a chunk
    np.testing.assert_allclose(
        dist.sq, (emb * emb).sum(1), rtol=1e-5, atol=1e-9)
    cols = np.array([0, 13, 69])
    ref = ((emb[:, None] - emb[None, cols])**2).sum(-1)
    np.testing.assert_allclose(dist(None, cols), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        dist([2, 40], cols), ref[[2, 40]], rtol=1e-4, atol=1e-5)
