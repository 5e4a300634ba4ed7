"""A full-covariance Gaussian mixture fitted by EM in torch.

This is the density estimator behind ADeADA's domain densities
(``p_S(z|c)`` and ``p_T(z|c)``, paper Sec. 3.2.1).  It follows the semantics
of :class:`sklearn.mixture.GaussianMixture` with ``covariance_type='full'``
(greedy k-means++ then Lloyd initialisation, ``reg_covar`` added to every
covariance diagonal, convergence when the mean per-sample log-likelihood
changes by less than ``tol``), so the two back-ends can be swapped and
compared, and adds what a selection round over a million 256-d region
features needs:

* float32 matrix products (the bulk of the cost) on data centred once on its
  mean, with the Cholesky factorisation and triangular inverse in float64,
  where cancellation and tiny ``reg_covar`` ridges would otherwise make a
  float32 factorisation fail;
* truncated EM: in high dimension responsibilities are nearly one-hot, so
  between dense E-steps (the first one and every ``dense_every``-th) only
  the (point, component) pairs whose last dense responsibility exceeded
  ``resp_tol`` are evaluated, and the M-step accumulates each covariance
  over the points with responsibility above ``resp_tol``.  This is EM with
  the posterior restricted to those supports (a variational EM: every step
  still raises a lower bound of the likelihood, and convergence is judged
  on it); the neglected mass is below ``K * resp_tol`` per point.
  ``resp_tol=0`` gives exact dense EM;
* a relative tolerance ``rtol`` that stops EM once the change of the mean
  log-likelihood is negligible relative to its magnitude;
* chunked E-steps and scoring, so temporary memory stays bounded by
  ``max_chunk_bytes`` whatever the number of points (on the CPU the
  truncated steps also keep one ``[N, D]`` gather buffer for the fit);
* any torch device (``'cuda'`` when one is present);
* warm start from a previous mixture (the previous selection round's);
* a covariance that is not positive definite never raises: the ridge of the
  offending component is raised tenfold until it factorises.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator, Optional, Union

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

__all__ = ['TorchGMM']

ArrayLike = Union[np.ndarray, torch.Tensor]

_DTYPES = {'float32': torch.float32, 'float64': torch.float64}
_THREADPOOLS: Optional[ThreadpoolController] = None


def _as_dtype(dtype: Union[str, torch.dtype]) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f'dtype must be float32 or float64, got {dtype}')
        return dtype
    if dtype not in _DTYPES:
        raise ValueError(
            f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return _DTYPES[dtype]


def _threadpools() -> ThreadpoolController:
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS


@contextmanager
def _cpu_threads(n: Optional[int]) -> Iterator[None]:
    """Run torch, BLAS and OpenMP with ``n`` threads (``None``: unchanged).

    On this shared 2-core machine a second thread costs more than it brings:
    torch's OpenMP pool and OpenBLAS's spin against each other and against
    other processes (a 256x256 Cholesky after torch work: 1.0 s instead of
    0.06 s; an EM-like loop of torch element-wise ops and OpenBLAS products:
    0.58 s with 2 BLAS threads vs 0.12 s with 1; measured).
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with _threadpools().limit(limits=n):
            yield
    finally:
        torch.set_num_threads(old)


def _mm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b``; on CPU through numpy's BLAS.

    torch's CPU matmul goes through MKL, which runs its slow generic path on
    AMD processors: a [14000, 169] x [169, 169] float32 product took 25 ms
    with torch and 10 ms with numpy/OpenBLAS here, and ``s.T @ s`` 17 ms vs
    7 ms (numpy uses SYRK for it).  CPU tensors and numpy arrays share
    memory, so nothing is copied.
    """
    if a.device.type == 'cpu':
        return torch.from_numpy(np.matmul(a.numpy(), b.numpy()))
    return a @ b


class TorchGMM:
    """Gaussian mixture with full covariances, fitted by EM in torch.

    Args:
        n_components: number of mixture components (reduced to the number of
            points when fewer points are given).
        reg_covar: non-negative ridge added to every covariance diagonal
            (same meaning as scikit-learn's ``reg_covar``).
        tol: absolute convergence threshold on the change of the mean
            per-sample log-likelihood between EM iterations (scikit-learn's
            ``tol``).
        rtol: relative convergence threshold: EM also stops when the change
            is below ``rtol * |mean log-likelihood|``.  ``0`` disables it.
        max_iter: maximum number of EM iterations.
        resp_tol: responsibilities at or below this are treated as zero by
            the truncated E-step and the sparse M-step (see the module
            docstring); ``0`` runs exact dense EM.
        dense_every: a dense E-step runs at least every this many iterations
            when ``resp_tol > 0``.
        kmeans_iter: maximum number of Lloyd iterations of the k-means
            initialisation (it stops earlier when no assignment changes).
        init_samples: the k-means initialisation runs on a seeded random
            subset of at most this many points (``None``: all points); every
            point is then assigned to its nearest centre.
        seed: seed of the k-means++ seeding and of the subset draw.
        device: torch device for the computation; ``None`` picks ``'cuda'``
            when available, else ``'cpu'``.
        dtype: ``'float32'`` (default) or ``'float64'`` for the matrix
            products; the Cholesky factorisation is always float64.
        max_chunk_bytes: bound on the temporary memory of one chunk.
        num_threads: CPU threads for :meth:`fit` and :meth:`score_samples`
            (torch, BLAS and OpenMP, restored afterwards); ``None`` keeps
            the process settings.  The default 1 is the fastest on a shared
            machine (see ``_cpu_threads``); on an idle many-core machine
            more can help.

    Attributes:
        weights_: ``[K]`` mixture weights (float64 numpy).
        means_: ``[K, D]`` component means.
        covariances_: ``[K, D, D]`` component covariances (ridge included).
        converged_: whether EM met the tolerance before ``max_iter``.
        n_iter_: EM iterations run.
        lower_bound_: mean per-sample log-likelihood of the training data at
            the last E-step.
        history_: ``lower_bound_`` of every EM iteration.
        extra_ridge_: the largest ridge added on top of ``reg_covar`` to make
            a covariance factorise during the last fit (0: none needed).
    """

    def __init__(self,
                 n_components: int = 1,
                 reg_covar: float = 1e-6,
                 tol: float = 1e-3,
                 rtol: float = 0.0,
                 max_iter: int = 100,
                 resp_tol: float = 0.0,
                 dense_every: int = 5,
                 kmeans_iter: int = 300,
                 init_samples: Optional[int] = 20000,
                 seed: int = 0,
                 device: Optional[Union[str, torch.device]] = None,
                 dtype: Union[str, torch.dtype] = 'float32',
                 max_chunk_bytes: int = 1 << 26,
                 num_threads: Optional[int] = 1) -> None:
        if int(n_components) < 1:
            raise ValueError(f'n_components must be >= 1, got {n_components}')
        if reg_covar < 0:
            raise ValueError(f'reg_covar must be >= 0, got {reg_covar}')
        if tol < 0 or rtol < 0:
            raise ValueError(
                f'tol and rtol must be >= 0, got tol={tol}, rtol={rtol}')
        if not 0 <= resp_tol < 1:
            raise ValueError(f'resp_tol must be in [0, 1), got {resp_tol}')
        if int(max_iter) < 0 or int(dense_every) < 1:
            raise ValueError(f'max_iter must be >= 0 and dense_every >= 1, '
                             f'got {max_iter} and {dense_every}')
        self.n_components = int(n_components)
        self.extra_ridge_ = 0.0
        self.reg_covar = float(reg_covar)
        self.tol = float(tol)
        self.rtol = float(rtol)
        self.max_iter = int(max_iter)
        self.resp_tol = float(resp_tol)
        self.dense_every = int(dense_every)
        self.kmeans_iter = int(kmeans_iter)
        self.init_samples = None if init_samples is None else int(init_samples)
        self.seed = int(seed)
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device = torch.device(device)
        self.dtype = _as_dtype(dtype)
        self.max_chunk_bytes = int(max_chunk_bytes)
        if num_threads is not None and int(num_threads) < 1:
            raise ValueError(f'num_threads must be >= 1 or None, got '
                             f'{num_threads}')
        self.num_threads = None if num_threads is None else int(num_threads)
        self._fitted = False
        self._scratch: Optional[torch.Tensor] = None

    # ------------------------------------------------------------------ utils
    def _tensor(self, X: ArrayLike) -> torch.Tensor:
        if isinstance(X, torch.Tensor):
            t = X.to(device=self.device, dtype=self.dtype)
        else:
            t = torch.as_tensor(
                np.asarray(X), dtype=self.dtype, device=self.device)
        if t.ndim != 2:
            raise ValueError(
                f'X must be a 2-d array [N, D], got shape {tuple(t.shape)}')
        if not bool(torch.isfinite(t).all()):
            raise ValueError('X contains NaN or infinite values')
        return t.contiguous()

    def _chunk_rows(self, k: int, d: int) -> int:
        per_row = max(1, k * d * torch.finfo(self.dtype).bits // 8)
        return max(256, self.max_chunk_bytes // per_row)

    # -------------------------------------------------------------- k-means
    def _kmeans_labels(self, X: torch.Tensor, k: int) -> torch.Tensor:
        """Seeded k-means++ + Lloyd on a subset, then nearest-centre labels."""
        n = X.shape[0]
        gen = torch.Generator(device='cpu').manual_seed(self.seed)
        if self.init_samples is not None and n > max(self.init_samples, k):
            sub = torch.randperm(n, generator=gen)[:max(self.init_samples, k)]
            sub = sub.sort().values.to(self.device)
            Xs = X.index_select(0, sub)
        else:
            Xs = X
        if Xs.device.type == 'cpu':
            # scikit-learn's k-means (same greedy k-means++ and Lloyd rule)
            # is about 2x faster than the torch loop on CPU (measured).
            from sklearn.cluster import KMeans
            km = KMeans(
                n_clusters=k,
                n_init=1,
                max_iter=max(self.kmeans_iter, 1),
                random_state=self.seed).fit(Xs.numpy())
            C = torch.from_numpy(km.cluster_centers_).to(self.dtype)
        else:
            C = self._kmeans_torch(Xs, k, gen)
        return self._nearest(X, C)

    def _kmeans_torch(self, Xs: torch.Tensor, k: int,
                      gen: torch.Generator) -> torch.Tensor:
        """Greedy k-means++ seeding and Lloyd iterations; ``[k, D]`` centres.
        """
        m = Xs.shape[0]
        sq = (Xs * Xs).sum(1)
        # Greedy k-means++ (as scikit-learn): draw ``2 + log k`` candidates
        # by D^2 sampling and keep the one that lowers the potential most.
        trials = 2 + int(math.log(k))
        first = int(torch.randint(m, (1, ), generator=gen))
        centers = [Xs[first]]
        d2 = (sq - 2 * Xs @ Xs[first] + sq[first]).clamp_min_(0)
        for _ in range(1, k):
            w = d2.double().cpu()
            if float(w.sum()) <= 0:  # all remaining points coincide
                cand = torch.randint(m, (trials, ), generator=gen)
            else:
                cand = torch.multinomial(
                    w, trials, replacement=True, generator=gen)
            cand = cand.to(self.device)
            dc = (sq[None] - 2 * Xs[cand] @ Xs.T +
                  sq[cand][:, None]).clamp_min_(0)
            dc = torch.minimum(dc, d2[None])
            best = int(dc.double().sum(1).argmin())
            centers.append(Xs[int(cand[best])])
            d2 = dc[best]
        C = torch.stack(centers)
        # Lloyd; stops when no label changes or the centres move less than
        # 1e-4 of the mean per-dimension variance (scikit-learn's rule).
        shift_tol = 1e-4 * float(Xs.var(0).mean())
        labels = None
        for _ in range(max(self.kmeans_iter, 0)):
            new = self._nearest(Xs, C)
            if labels is not None and bool((new == labels).all()):
                break
            labels = new
            onehot = torch.zeros(m, k, dtype=self.dtype, device=Xs.device)
            onehot[torch.arange(m, device=Xs.device), labels] = 1
            counts = onehot.sum(0)
            sums = onehot.T @ Xs
            new_c = torch.where(counts[:, None] > 0,
                                sums / counts.clamp_min(1)[:, None], C)
            moved = float(((new_c - C)**2).sum())
            C = new_c
            if moved <= shift_tol:
                break
        return C

    def _nearest(self, X: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        """Index of the nearest centre of every row of ``X``."""
        csq = (C * C).sum(1)
        C2 = 2 * C.T
        out = torch.empty(X.shape[0], dtype=torch.long, device=X.device)
        step = self._chunk_rows(max(C.shape[0], 16), 1)
        for s in range(0, X.shape[0], step):
            out[s:s + step] = (csq - _mm(X[s:s + step], C2)).argmin(1)
        return out

    # ------------------------------------------------------------------ EM
    def _gather(self, X: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``X.index_select(0, rows)``; on the CPU into a scratch buffer kept
        for the fit (the same values).

        On the CPU a fresh tensor of this size is a new mapping whose pages
        fault in on first write: the truncated E- and M-steps gather up to
        ``N`` rows per component and iteration, and gathering into a reused
        buffer took 10 ms instead of 42 ms for 100k rows of 170 floats (each
        result is consumed before the next gather overwrites it).  The
        buffer holds ``N`` rows (at most one more copy of the centred
        points).  CUDA's caching allocator has no such cost: there each
        gather is a plain ``index_select``.
        """
        if X.device.type != 'cpu':
            return X.index_select(0, rows)
        m = rows.numel()
        buf = self._scratch
        if buf is None or buf.shape[0] < m or buf.shape[1:] != X.shape[1:] \
                or buf.dtype != X.dtype:  # both on the CPU (above)
            # every gather is at most N rows: one allocation per fit
            buf = X.new_empty((max(m, X.shape[0], 1), ) + tuple(X.shape[1:]))
            self._scratch = buf
        return torch.index_select(X, 0, rows, out=buf[:m])

    def _m_step(self, X: torch.Tensor, resp: torch.Tensor) -> None:
        """Weights, means and covariances from responsibilities ``resp``.

        ``X`` is centred.  Covariances are accumulated centred on each
        component mean, in ``self.dtype``, over the points whose
        responsibility exceeds ``resp_tol``; the division and everything
        after it is float64.
        """
        n, d = X.shape
        eps = 10 * torch.finfo(torch.float64).eps
        nk = resp.sum(0, dtype=torch.float64) + eps
        n_comp = resp.shape[1]
        means = torch.empty(n_comp, d, dtype=torch.float64, device=X.device)
        covs = torch.empty(n_comp, d, d, dtype=torch.float64, device=X.device)
        resp_t = resp.T.contiguous()  # column scans are slow on CPU
        for k in range(n_comp):
            r = resp_t[k]
            if self.resp_tol > 0:
                idx = torch.nonzero(r > self.resp_tol).flatten()
                diff, r = self._gather(X, idx), r.index_select(0, idx)
                means[k] = _mm(r, diff).double() / nk[k]
                diff.sub_(means[k].to(self.dtype))  # a copy: in place
            else:
                means[k] = _mm(r, X).double() / nk[k]
                diff = X - means[k].to(self.dtype)
            diff.mul_(r.sqrt()[:, None])  # s.T @ s: a symmetric rank-k update
            covs[k] = _mm(diff.T, diff).double() / nk[k]
        self._set_params(nk / n, means, covs)

    def _set_params(self, weights: torch.Tensor, means: torch.Tensor,
                    covs: torch.Tensor) -> None:
        """Store parameters (centred means); factorise ``covs + reg``."""
        k, d, _ = covs.shape
        eye = torch.eye(d, dtype=torch.float64, device=covs.device)
        covs = 0.5 * (covs + covs.transpose(1, 2)) + self.reg_covar * eye
        if covs.device.type == 'cpu':
            # LAPACK through scipy: several times faster than torch's batched
            # CPU Cholesky on 256x256 blocks here (measured).
            covs_np = covs.numpy()
            prec = np.empty_like(covs_np)
            with _threadpools().limit(limits=1, user_api='blas'):
                for j in range(k):
                    covs_np[j], prec[j] = self._factor_np(covs_np[j])
            covs, prec_chol = covs, torch.from_numpy(prec)
        else:
            chol, info = torch.linalg.cholesky_ex(covs)
            for j in torch.nonzero(info > 0).flatten().tolist():
                covs[j], chol[j] = self._regularise_torch(covs[j])
            prec_chol = torch.linalg.solve_triangular(
                chol, eye.expand(k, d, d), upper=False).transpose(1, 2)
        self._weights = weights.double()
        self._means = means.double()
        self._covs = covs
        self._prec_chol = prec_chol.to(self.dtype).contiguous()
        self._log_det = prec_chol.diagonal(dim1=1, dim2=2).log().sum(1)
        # ``(x - mu) @ P == x @ P - mu @ P``: precompute the shift.
        self._shift = torch.einsum('kd,kde->ke', self._means,
                                   prec_chol).to(self.dtype)

    def _ridges(self, cov_diag_mean: float):
        """Growing ridges tried on a covariance that does not factorise."""
        ridge = max(self.reg_covar, 1e-12) * max(abs(cov_diag_mean), 1.0)
        for _ in range(40):
            ridge *= 10
            yield ridge
        raise RuntimeError(  # pragma: no cover - unreachable, finite input
            'covariance could not be regularised')

    def _factor_np(self, cov: np.ndarray):
        """``(cov, upper precision Cholesky)``; raises the ridge if needed."""
        from scipy.linalg import lapack
        chol, info = lapack.dpotrf(cov, lower=1, clean=1)
        if info != 0:
            eye = np.eye(cov.shape[0])
            for ridge in self._ridges(float(np.diag(cov).mean())):
                chol, info = lapack.dpotrf(cov + ridge * eye, lower=1, clean=1)
                if info == 0:
                    cov = cov + ridge * eye
                    self.extra_ridge_ = max(self.extra_ridge_, ridge)
                    break
        inv, info = lapack.dtrtri(chol, lower=1)
        return cov, inv.T

    def _regularise_torch(self, cov: torch.Tensor):
        """``(cov + ridge, its Cholesky)``, the smallest ridge that works."""
        eye = torch.eye(cov.shape[0], dtype=cov.dtype, device=cov.device)
        for ridge in self._ridges(float(cov.diagonal().mean())):
            chol, info = torch.linalg.cholesky_ex(cov + ridge * eye)
            if int(info) == 0:
                self.extra_ridge_ = max(self.extra_ridge_, ridge)
                return cov + ridge * eye, chol

    def _log_const(self, d: int) -> torch.Tensor:
        """``[K]`` ``log w_k + log det(P_k) - D/2 log(2 pi)``."""
        return (self._log_det + self._weights.log() -
                0.5 * d * math.log(2 * math.pi))

    def _weighted_log_prob(self, X: torch.Tensor) -> torch.Tensor:
        """``[n, K]`` float64 ``log w_k + log N(x | mu_k, Sigma_k)``."""
        k, d, _ = self._prec_chol.shape
        P = self._prec_chol.permute(1, 0, 2).reshape(d, k * d)
        y = _mm(X, P).view(-1, k, d).sub_(self._shift)
        maha = torch.linalg.vector_norm(y, dim=-1).double().square_()
        return self._log_const(d) - 0.5 * maha

    def _e_step(self, X: torch.Tensor, active: Optional[torch.Tensor] = None):
        """Mean log-likelihood and responsibilities of centred ``X``.

        Args:
            X: ``[n, D]`` centred points.
            active: optional ``bool [n, K]``: only these (point, component)
                pairs are evaluated (a truncated E-step); the others are
                taken as zero responsibility.

        Returns:
            tuple: mean log-likelihood (float) and ``[n, K]``
            responsibilities in ``self.dtype``.
        """
        n, d = X.shape
        k = self._means.shape[0]
        if active is None:
            step = self._chunk_rows(k, d)
            resp = torch.empty(n, k, dtype=self.dtype, device=X.device)
            total = 0.0
            for s in range(0, n, step):
                wlp = self._weighted_log_prob(X[s:s + step])
                norm = torch.logsumexp(wlp, dim=1)
                total += float(norm.sum())
                resp[s:s + step] = (wlp - norm[:, None]).exp()
            return total / n, resp
        wlp = torch.full((n, k),
                         -math.inf,
                         dtype=torch.float64,
                         device=X.device)
        const = self._log_const(d)
        step = self._chunk_rows(1, d)
        active_t = active.T.contiguous()
        for j in range(k):
            idx = torch.nonzero(active_t[j]).flatten()
            for s in range(0, idx.numel(), step):
                rows = idx[s:s + step]
                y = _mm(self._gather(X, rows),
                        self._prec_chol[j]).sub_(self._shift[j])
                maha = torch.linalg.vector_norm(y, dim=-1).double().square_()
                wlp[rows, j] = const[j] - 0.5 * maha
        norm = torch.logsumexp(wlp, dim=1)
        resp = (wlp - norm[:, None]).exp_().to(self.dtype)
        return float(norm.mean()), resp

    # ------------------------------------------------------------- public
    def _threads(self):
        return _cpu_threads(self.num_threads if self.device.type ==
                            'cpu' else None)

    def fit(self,
            X: ArrayLike,
            warm_start: Optional['TorchGMM'] = None) -> 'TorchGMM':
        """Fit the mixture to ``X``.

        Args:
            X: ``[N, D]`` training points (numpy or torch).
            warm_start: a fitted mixture with the same number of components
                and dimensions whose parameters start EM instead of k-means
                (typically last round's mixture).  Ignored (k-means init)
                when the shapes differ.

        Returns:
            ``self``.
        """
        with self._threads(), torch.no_grad():
            return self._fit(X, warm_start)

    def _fit(self, X: ArrayLike,
             warm_start: Optional['TorchGMM']) -> 'TorchGMM':
        X = self._tensor(X)
        self.extra_ridge_ = 0.0
        self._scratch = None
        try:
            return self._fit_em(X, warm_start)
        finally:
            self._scratch = None  # the gather buffer lives for one fit

    def _fit_em(self, X: torch.Tensor,
                warm_start: Optional['TorchGMM']) -> 'TorchGMM':
        n, d = X.shape
        if n < 1 or d < 1:
            raise ValueError(f'X must have at least one row and one column, '
                             f'got shape {tuple(X.shape)}')
        k = min(self.n_components, n)
        center = X.mean(0, dtype=torch.float64)
        X = X - center.to(self.dtype)
        self._center = center
        if (warm_start is not None and warm_start._fitted
                and warm_start.means_.shape == (k, d)):
            dev = X.device
            eye = torch.eye(d, dtype=torch.float64, device=dev)
            self._set_params(
                torch.as_tensor(warm_start.weights_, device=dev),
                torch.as_tensor(warm_start.means_, device=dev) - center,
                torch.as_tensor(warm_start.covariances_, device=dev) -
                warm_start.reg_covar * eye)
        else:
            if k == 1:
                labels = torch.zeros(n, dtype=torch.long, device=X.device)
            else:
                labels = self._kmeans_labels(X, k)
            resp = torch.zeros(n, k, dtype=self.dtype, device=X.device)
            resp[torch.arange(n, device=X.device), labels] = 1
            self._m_step(X, resp)
            del resp, labels
        lower = -math.inf
        self.converged_ = False
        self.n_iter_ = 0
        self.history_ = []
        active, since_dense = None, 0
        for it in range(1, self.max_iter + 1):
            prev = lower
            dense = (
                self.resp_tol <= 0 or active is None
                or since_dense >= self.dense_every)
            lower, resp = self._e_step(X, None if dense else active)
            if dense and self.resp_tol > 0:
                active = resp > self.resp_tol
                since_dense = 0
                if int(active.sum()) > active.numel() // 2:
                    active = None  # not sparse: dense steps are cheaper
            since_dense += 1
            self._m_step(X, resp)
            del resp
            self.n_iter_ = it
            self.history_.append(lower)
            if abs(lower - prev) < max(self.tol, self.rtol * abs(lower)):
                self.converged_ = True
                break
        self.lower_bound_ = lower
        self._fitted = True
        return self

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise RuntimeError('TorchGMM is not fitted; call fit() first')

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Per-point log-density ``log p(x)`` (always exact, dense).

        Args:
            X: ``[N, D]`` points.

        Returns:
            ``float64 [N]`` log-densities (computed chunk by chunk).
        """
        with self._threads(), torch.no_grad():
            return self._score_samples(X)

    def _score_samples(self, X: ArrayLike) -> np.ndarray:
        self._check_fitted()
        X = self._tensor(X)
        k, d = self._means.shape
        if X.shape[1] != d:
            raise ValueError(f'X has {X.shape[1]} columns, the mixture was '
                             f'fitted on {d}')
        center = self._center.to(self.dtype)
        step = self._chunk_rows(k, d)
        out = np.empty(X.shape[0], dtype=np.float64)
        for s in range(0, X.shape[0], step):
            wlp = self._weighted_log_prob(X[s:s + step] - center)
            out[s:s + step] = torch.logsumexp(wlp, dim=1).cpu().numpy()
        return out

    def score(self, X: ArrayLike) -> float:
        """Mean per-point log-density of ``X``.

        Args:
            X: ``[N, D]`` points.

        Returns:
            The mean of :meth:`score_samples`.
        """
        return float(self.score_samples(X).mean())

    @property
    def weights_(self) -> np.ndarray:
        self._check_fitted()
        return self._weights.cpu().numpy()

    @property
    def means_(self) -> np.ndarray:
        self._check_fitted()
        return (self._means + self._center).cpu().numpy()

    @property
    def covariances_(self) -> np.ndarray:
        self._check_fitted()
        return self._covs.cpu().numpy()
