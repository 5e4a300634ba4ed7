"""TorchGMM and ClassConditionalDensity (ADeADA Eqs. 1, 2, 5)."""
import sys

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture

from mmseg_ada.active.adeada.budget import class_kl, density_score
from mmseg_ada.active.adeada.density import (ClassConditionalDensity,
                                             class_active_dims)
from mmseg_ada.active.adeada.gmm import TorchGMM


def _mixture(rng, n, means, scale=0.6, seed=0):
    """``n`` draws of a fixed Gaussian mixture (shapes fixed by ``seed``)."""
    k, d = means.shape
    a = np.random.default_rng(seed).normal(size=(k, d, d)) * scale / np.sqrt(d)
    z = rng.integers(k, size=n)
    return (means[z] + np.einsum('nd,nde->ne', rng.normal(size=(n, d)),
                                 a[z] + scale * np.eye(d))).astype(np.float32)


def _random_spd(rng, d, lo=0.3):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + lo * np.eye(d)


@pytest.mark.parametrize('resp_tol,rtol', [(0.0, 0.0), (1e-9, 3e-4)])
def test_torch_gmm_agrees_with_sklearn(resp_tol, rtol):
    rng = np.random.default_rng(0)
    means = rng.normal(0, 3, size=(3, 5))
    rng_data = np.random.default_rng(1)
    x = _mixture(rng_data, 1500, means)
    held = _mixture(rng_data, 4000, means)
    ours = TorchGMM(3, seed=0, resp_tol=resp_tol, rtol=rtol).fit(x)
    ref = GaussianMixture(
        3, covariance_type='full', random_state=0).fit(x.astype(np.float64))
    ll_ours, ll_ref = ours.score(held), ref.score(held.astype(np.float64))
    assert abs(ll_ours - ll_ref) <= 0.01 * abs(ll_ref)
    # the fitted parameters describe the same mixture, too
    assert np.allclose(
        np.sort(ours.weights_), np.sort(ref.weights_), atol=0.02)


def test_single_gaussian_is_the_mle_gaussian():
    rng = np.random.default_rng(2)
    cov = _random_spd(rng, 4)
    x = rng.multivariate_normal([1, -2, 0.5, 3], cov, size=800)
    q = rng.multivariate_normal([1, -2, 0.5, 3], 2 * cov, size=50)
    mu, s = x.mean(0), np.cov(x.T, bias=True) + 1e-6 * np.eye(4)
    expect = multivariate_normal(mu, s).logpdf(q)
    for dtype, tol in (('float32', 2e-3), ('float64', 1e-8)):
        g = TorchGMM(1, dtype=dtype).fit(x)
        np.testing.assert_allclose(
            g.score_samples(q), expect, rtol=0, atol=tol)
    for backend in ('torch', 'sklearn'):
        dens = ClassConditionalDensity(
            2, backend=backend, regions_per_component=10**6)
        dens.fit(np.concatenate([x, x + 5]), np.repeat([0, 1], 800))
        got = dens.log_prob(q, np.zeros(50, dtype=np.int64))
        np.testing.assert_allclose(got, expect, atol=2e-3)


def _kl_gauss(m0, s0, m1, s1):
    """Closed-form KL(N(m0, s0) || N(m1, s1))."""
    d = len(m0)
    inv = np.linalg.inv(s1)
    diff = m1 - m0
    return 0.5 * (
        np.trace(inv @ s0) + diff @ inv @ diff - d +
        np.log(np.linalg.det(s1) / np.linalg.det(s0)))


def test_eq2_and_eq5_against_closed_form_gaussians():
    """pi = log p_T - log p_S and its class mean = KL (Monte Carlo)."""
    rng = np.random.default_rng(3)
    d, n_s, n_t = 3, 6000, 6000
    params = []
    for c in range(2):
        ms, mt = rng.normal(size=d), rng.normal(size=d) * 0.8
        params.append((ms, _random_spd(rng, d), mt, _random_spd(rng, d)))
    xs = np.concatenate(
        [rng.multivariate_normal(p[0], p[1], n_s) for p in params])
    xt = np.concatenate(
        [rng.multivariate_normal(p[2], p[3], n_t) for p in params])
    cs = np.repeat([0, 1], n_s)
    ct = np.repeat([0, 1], n_t)
    kw = dict(num_classes=2, regions_per_component=10**6)  # one Gaussian
    ps = ClassConditionalDensity(**kw).fit(xs, cs)
    pt = ClassConditionalDensity(**kw).fit(xt, ct)
    pi = density_score(pt.log_prob(xt, ct), ps.log_prob(xt, ct))
    true_pi = np.concatenate([
        multivariate_normal(p[2], p[3]).logpdf(xt[ct == c]) -
        multivariate_normal(p[0], p[1]).logpdf(xt[ct == c])
        for c, p in enumerate(params)
    ])
    assert np.median(np.abs(pi - true_pi)) < 0.05
    kl = class_kl(pi, ct, 2)
    kl_true = np.array([_kl_gauss(p[2], p[3], p[0], p[1]) for p in params])
    assert kl_true.min() > 0.5  # the test data is really shifted
    np.testing.assert_allclose(kl, kl_true, rtol=0.06)


def test_collapsed_dims_tiny_and_missing_classes_never_crash():
    rng = np.random.default_rng(4)
    n, d = 400, 12
    x = np.abs(rng.normal(size=(n, d))).astype(np.float32)
    x[:, 3] = 0.0  # dead channel everywhere
    cls = rng.integers(0, 3, size=n)
    x[cls == 1, 5] = 2.5  # stuck channel for class 1 only
    cls[:1] = 3  # class 3: a single region
    cls[1:3] = 4  # class 4: two regions; class 5: none
    for backend in ('torch', 'sklearn'):
        dens = ClassConditionalDensity(
            6, backend=backend, regions_per_component=20)
        dens.fit(x, cls)
        assert not dens.dims_[:, 3].any()
        assert not dens.dims_[1, 5] and dens.dims_[0, 5]
        lp = dens.log_prob(x, cls)
        assert not np.isnan(lp).any()
        assert np.isfinite(lp[cls <= 2]).all()
        assert np.isneginf(lp[cls == 3]).all()  # below min_samples
        assert np.isfinite(lp[cls == 4]).all()
        assert list(dens.has_model) == [True] * 3 + [False, True, False]
        # a class whose every dimension is constant: log p = 0
        xc = np.zeros((5, d), np.float32)
        dc = ClassConditionalDensity(
            1, backend=backend).fit(xc, np.zeros(5, np.int64))
        assert (dc.log_prob(xc, np.zeros(5, np.int64)) == 0).all()
    # scikit-learn itself fails on this kind of input; the wrapper does not
    with pytest.raises(ValueError):
        GaussianMixture(2, reg_covar=0.0).fit(x[cls == 1])


def test_component_rule_and_subsampling():
    dens = ClassConditionalDensity(
        3, regions_per_component=100, max_components=10)
    assert [dens.components_for(n) for n in (1, 99, 250, 999, 5000)] == \
        [1, 1, 2, 9, 10]
    rng = np.random.default_rng(5)
    counts = [50, 250, 1200]
    cls = np.repeat([0, 1, 2], counts)
    x = rng.normal(size=(len(cls), 4)).astype(np.float32) + cls[:, None]
    dens = ClassConditionalDensity(
        3, regions_per_component=100, max_fit_samples=300).fit(x, cls)
    assert list(dens.n_components_) == [1, 2, 10]
    assert list(dens.fit_counts_) == [50, 250, 300]
    assert list(dens.class_counts_) == counts
    assert np.isfinite(dens.log_prob(x, cls)).all()


def test_warm_start_truncation_chunking_determinism():
    rng = np.random.default_rng(6)
    means = rng.normal(0, 4, size=(4, 6))
    x = _mixture(rng, 3000, means)
    cold = TorchGMM(4, seed=1).fit(x)
    warm = TorchGMM(4, seed=1).fit(x, warm_start=cold)
    assert warm.n_iter_ <= 2 and warm.n_iter_ < cold.n_iter_ + 1
    assert abs(warm.lower_bound_ - cold.lower_bound_) < 1e-2
    dense = TorchGMM(4, seed=1, resp_tol=0).fit(x)
    trunc = TorchGMM(4, seed=1, resp_tol=1e-9).fit(x)
    assert abs(dense.score(x) - trunc.score(x)) < 1e-3 * abs(dense.score(x))
    small = TorchGMM(4, seed=1, max_chunk_bytes=1024).fit(x)
    np.testing.assert_allclose(
        small.score_samples(x), cold.score_samples(x), rtol=1e-5, atol=1e-4)
    again = TorchGMM(4, seed=1).fit(x)
    np.testing.assert_array_equal(
        again.score_samples(x), cold.score_samples(x))
    # ClassConditionalDensity warm start reuses the previous mixtures
    cls = (x[:, 0] > 0).astype(np.int64)
    dens = ClassConditionalDensity(
        2, warm_start=True, regions_per_component=500)
    first = dens.fit(x, cls).n_iter_.copy()
    second = dens.fit(x, cls).n_iter_
    # dense step, truncated step, dense confirmation at most
    assert (second <= first).all() and second.max() <= 3


def test_torch_kmeans_init_matches_sklearn():
    """The k-means used on GPUs (tested here on CPU) is as good as sklearn's.
    """
    from sklearn.cluster import KMeans
    rng = np.random.default_rng(9)
    x = _mixture(rng, 3000, rng.normal(0, 4, size=(5, 6)))
    g = TorchGMM(5, seed=0)
    xt = torch.as_tensor(x)
    centres = g._kmeans_torch(xt, 5, torch.Generator().manual_seed(0))
    inertia = float(((xt - centres[g._nearest(xt, centres)])**2).sum())
    ref = KMeans(5, n_init=1, random_state=0).fit(x).inertia_
    assert inertia <= 1.05 * ref


def test_class_active_dims_by_hand():
    x = np.array([[0, 1, 5], [0, 2, 5], [0, 3, 5], [1, 7, 7]], np.float32)
    c = np.array([0, 0, 0, 1])
    dims = class_active_dims(x, c, 3)
    assert dims.tolist() == [[False, True, False], [False] * 3, [False] * 3]


def test_bad_input_raises():
    dens = ClassConditionalDensity(2)
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match='classes must lie'):
        dens.fit(x, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match='rows of features'):
        dens.fit(x, np.array([0, 1]))
    with pytest.raises(ValueError, match='NaN'):
        dens.fit(np.full((4, 3), np.nan), np.zeros(4, np.int64))
    with pytest.raises(RuntimeError, match='not fitted'):
        dens.log_prob(x, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match='backend'):
        ClassConditionalDensity(2, backend='numpy')
    with pytest.raises(ValueError, match='n_components'):
        TorchGMM(0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_cuda_matches_cpu():
    rng = np.random.default_rng(7)
    x = _mixture(rng, 2000, rng.normal(0, 3, size=(3, 8)))
    cpu = TorchGMM(3, device='cpu').fit(x)
    gpu = TorchGMM(3, device='cuda').fit(x)
    assert abs(cpu.score(x) - gpu.score(x)) < 1e-3 * abs(cpu.score(x))


def _reference_em(x, k, seed, reg_covar=1e-6, tol=1e-3, max_iter=100):
    """Dense float64 EM from TorchGMM's k-means labels (the exact path's
    mathematical reference, kept independent of TorchGMM's EM code)."""
    labels = TorchGMM(
        k, seed=seed, dtype='float64')._kmeans_labels(
            torch.as_tensor(x - x.mean(0), dtype=torch.float64), k).numpy()
    resp = np.eye(k)[labels]
    lower = -np.inf
    for _ in range(max_iter):
        nk = resp.sum(0) + 10 * np.finfo(np.float64).eps
        means = resp.T @ x / nk[:, None]
        wlp = np.empty((len(x), k))
        for j in range(k):
            diff = x - means[j]
            cov = (resp[:, j, None] * diff).T @ diff / nk[j]
            cov += reg_covar * np.eye(x.shape[1])
            wlp[:, j] = np.log(nk[j] / len(x)) + multivariate_normal(
                means[j], cov).logpdf(x)
        norm = np.logaddexp.reduce(wlp, axis=1)
        prev, lower = lower, norm.mean()
        resp = np.exp(wlp - norm[:, None])
        if abs(lower - prev) < tol:
            break
    return lower


def test_exact_path_matches_reference_em():
    """Dense float64 EM of TorchGMM (resp_tol=0) is textbook EM."""
    rng = np.random.default_rng(11)
    x = _mixture(rng, 600, rng.normal(0, 3, size=(3, 4))).astype(np.float64)
    ours = TorchGMM(3, seed=2, dtype='float64', resp_tol=0).fit(x)
    ref = _reference_em(x, 3, seed=2)
    assert abs(ours.lower_bound_ - ref) < 1e-6 * abs(ref)


def test_options_off_are_the_exact_path_bit_for_bit():
    """max_fit_samples above every class size and warm_start without a
    previous fit change nothing (same draws, same numbers)."""
    rng = np.random.default_rng(12)
    x = _mixture(rng, 2000, rng.normal(0, 3, size=(4, 5)))
    cls = (x[:, 0] > 0).astype(np.int64)
    base = ClassConditionalDensity(2, regions_per_component=300).fit(x, cls)
    for opts in (dict(max_fit_samples=5000), dict(warm_start=True)):
        other = ClassConditionalDensity(
            2, regions_per_component=300, **opts).fit(x, cls)
        np.testing.assert_array_equal(
            other.log_prob(x, cls), base.log_prob(x, cls))
        np.testing.assert_array_equal(other.n_iter_, base.n_iter_)


def test_warm_start_from_previous_round_reaches_cold_likelihood():
    """Warm start from a fit on another draw (the previous round) converges
    to the cold fit's held-out log-likelihood within 1%."""
    means = np.random.default_rng(13).normal(0, 4, size=(4, 6))
    prev_x = _mixture(np.random.default_rng(14), 3000, means)
    x = _mixture(np.random.default_rng(15), 3000, means)
    held = _mixture(np.random.default_rng(16), 3000, means)
    cold = TorchGMM(4, seed=0).fit(x)
    warm = TorchGMM(
        4, seed=0).fit(
            x, warm_start=TorchGMM(4, seed=0).fit(prev_x))
    assert abs(warm.score(held) -
               cold.score(held)) <= 0.01 * abs(cold.score(held))
    assert warm.converged_
    # through ClassConditionalDensity: the second round reuses the first
    cls = np.zeros(len(x), dtype=np.int64)
    dens = ClassConditionalDensity(1, warm_start=True, max_components=4)
    dens.fit(prev_x, cls)
    dens.fit(x, cls)
    ref = ClassConditionalDensity(1, max_components=4).fit(x, cls)
    hc = np.zeros(len(held), dtype=np.int64)
    assert abs(dens.log_prob(held, hc).mean() -
               ref.log_prob(held, hc).mean()) <= 0.01 * abs(
                   ref.log_prob(held, hc).mean())


def test_subsample_fit_scores_every_point():
    """max_fit_samples fits on a seeded subset and scores all rows with the
    subset's mixture (the same numbers as fitting the subset directly)."""
    rng = np.random.default_rng(17)
    x = _mixture(rng, 4000, rng.normal(0, 3, size=(3, 5)))
    cls = np.repeat([0, 1], 2000)
    dens = ClassConditionalDensity(
        2, max_fit_samples=700, regions_per_component=500).fit(x, cls)
    assert list(dens.fit_counts_) == [700, 700]
    assert list(dens.n_components_) == [4, 4]  # from the full counts
    lp = dens.log_prob(x, cls)
    assert lp.shape == (4000, ) and np.isfinite(lp).all()
    rows = np.sort(
        np.random.default_rng([0, 1]).choice(
            np.arange(2000, 4000), 700, replace=False))
    direct = ClassConditionalDensity(
        2, regions_per_component=500).fit(
            x[rows], cls[rows], n_components=[4, 4])
    np.testing.assert_array_equal(lp[2000:],
                                  direct.log_prob(x[2000:], cls[2000:]))


def test_truncated_gathers_into_one_buffer_give_the_same_fit(monkeypatch):
    """The truncated E/M steps gather their rows into one scratch buffer per
    fit: the same fit, bit for bit, as fresh ``index_select`` gathers, one
    allocation per fit, released after it."""
    rng = np.random.default_rng(13)
    x = _mixture(rng, 4000, rng.normal(0, 3, size=(5, 7)))
    buffers, callers = [], set()
    real = TorchGMM._gather

    def spy(self, X, rows):
        out = real(self, X, rows)
        # the rows asked for, in a view of the fit's one buffer
        assert torch.equal(out, X.index_select(0, rows))
        buffers.append(self._scratch.data_ptr())
        assert out.data_ptr() == self._scratch.data_ptr()
        callers.add(sys._getframe(1).f_code.co_name)
        return out

    monkeypatch.setattr(TorchGMM, '_gather', spy)
    ours = TorchGMM(5, seed=4, resp_tol=1e-6).fit(x)
    # truncated E-steps and sparse M-steps both gathered, into one buffer
    assert callers == {'_e_step', '_m_step'}
    assert len(set(buffers)) == 1
    assert ours._scratch is None
    monkeypatch.setattr(TorchGMM, '_gather',
                        lambda self, X, rows: X.index_select(0, rows))
    fresh = TorchGMM(5, seed=4, resp_tol=1e-6).fit(x)
    assert fresh.n_iter_ == ours.n_iter_
    for name in ('weights_', 'means_', 'covariances_'):
        np.testing.assert_array_equal(
            getattr(ours, name), getattr(fresh, name))
    np.testing.assert_array_equal(
        ours.score_samples(x), fresh.score_samples(x))
