"""Class-conditional domain densities ``p(z | c)`` (ADeADA Sec. 3.2.1).

One Gaussian mixture per class, fitted on the region features ``z`` whose
region class (argmax of the mean softmax) is ``c``.  ADeADA fits one such
family on the source domain (``p_S``) and one on the target domain
(``p_T``); :func:`mmseg_ada.active.adeada.budget.density_score` turns the
pair into the region score ``pi = log p_T(z|c) - log p_S(z|c)`` (Eq. 2).

Design decisions (documented because the paper leaves them open):

* Components per class: ``clip(n_c // regions_per_component, min, max)``
  with ``n_c`` the class's number of regions *before* any subsampling (the
  reference code's ``clip(N_c // 100, 1, 10)``: floor, not round), further
  capped by the number of points actually fitted.
* Constant dimensions: post-ReLU features often have channels that are dead
  for a class.  A Gaussian on a constant coordinate is a delta; scikit-learn
  then fails on float32 input ("ill-defined empirical covariance").  The
  density of a class is therefore defined on its *active* dimensions only
  (``max - min > constant_atol``; by default: not exactly constant).
  A density ratio needs both domains on the same dimensions, so
  :class:`~mmseg_ada.active.strategies.adeada.ADeADA` passes the
  union of the two domains' active dimensions (:func:`class_active_dims`)
  to both fits; a coordinate constant in one domain but not the other is
  kept and regularised by ``reg_covar``.  A class with no active dimension
  gets the constant model ``log p = 0``.
* Classes with fewer than ``min_samples`` regions get no model; their
  ``log_prob`` is ``-inf`` (never NaN).  ``n_components_[c] == 0`` marks
  them.  How ``-inf`` enters Eq. 2 is decided in :mod:`.budget`.
* ``max_fit_samples`` fits a class on a seeded uniform subsample (stratified
  by class, since each class is fitted separately) and still scores every
  point.  It is off by default: a 10-component full-covariance mixture on
  ~170 live dimensions has ~150k parameters and keeps gaining held-out
  likelihood well past 20k points (measured on the benchmark's synthetic
  features: mean held-out log-likelihood -82.3 fitted on 20k of a class's
  regions vs -78.6 on 100k, 4.6% worse; 50k was within 0.5%).
* Backends: ``'torch'`` (:class:`~mmseg_ada.active.adeada.gmm.TorchGMM`,
  float32 products, truncated EM, any device) and ``'sklearn'`` (the reference:
  :class:`sklearn.mixture.GaussianMixture` on float64, as the paper's code).
  With the defaults both run the same EM (k-means init, ``tol`` on the mean
  log-likelihood) and need the same number of iterations; the sklearn
  backend ignores ``rtol``/``resp_tol``/``device``/``dtype``/
  ``num_threads``.
* Small classes: with ``regions_per_component=100`` a component gets ~100
  regions, fewer than the feature dimension, so its covariance is singular
  up to ``reg_covar`` and the class's log-densities are dominated by the
  ridge (held-out log-likelihoods of -1e4 and below were measured on such
  classes).  This is the paper's setting, kept for fidelity; a larger
  ``reg_covar`` or ``regions_per_component`` gives smoother densities.
"""
from __future__ import annotations

import logging
import time
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.logging import print_log

from .gmm import TorchGMM

__all__ = ['ClassConditionalDensity', 'class_active_dims']


def _check_inputs(features: np.ndarray, classes: np.ndarray,
                  num_classes: int) -> tuple:
    features = np.asarray(features)
    classes = np.asarray(classes)
    if features.ndim != 2:
        raise ValueError(f'features must be [N, D], got shape '
                         f'{features.shape}')
    if classes.shape != (features.shape[0], ):
        raise ValueError(f'classes must be [N] with N={features.shape[0]} '
                         f'(rows of features), got shape {classes.shape}')
    if classes.size and not np.issubdtype(classes.dtype, np.integer):
        raise ValueError(f'classes must be integers, got {classes.dtype}')
    if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
        raise ValueError(f'classes must lie in [0, {num_classes}), got '
                         f'[{classes.min()}, {classes.max()}]')
    return features, classes.astype(np.int64)


def class_active_dims(features: np.ndarray,
                      classes: np.ndarray,
                      num_classes: int,
                      constant_atol: float = 0.0,
                      chunk: int = 65536) -> np.ndarray:
    """Per class, the feature dimensions that are not constant.

    A dimension is constant for class ``c`` when its maximum and minimum over
    the rows of class ``c`` differ by at most ``constant_atol`` (by default:
    exactly constant, as a dead post-ReLU channel is).  Min/max need no
    float64 copies and no BLAS, so this is one cheap pass over a million
    rows, in chunks.

    Args:
        features: ``[N, D]`` region features.
        classes: ``int [N]`` region classes in ``[0, num_classes)``.
        num_classes: number of classes ``C``.
        constant_atol: tolerance on ``max - min``.
        chunk: rows per chunk.

    Returns:
        ``bool [C, D]``; a class without rows has no active dimension.
    """
    features, classes = _check_inputs(features, classes, num_classes)
    d = features.shape[1]
    out = np.zeros((num_classes, d), dtype=bool)
    order = np.argsort(classes, kind='stable')
    bounds = np.concatenate([[0],
                             np.cumsum(
                                 np.bincount(classes, minlength=num_classes))])
    for c in range(num_classes):
        rows = order[bounds[c]:bounds[c + 1]]
        if rows.size == 0:
            continue
        lo = np.full(d, np.inf)
        hi = np.full(d, -np.inf)
        for s in range(0, rows.size, chunk):
            x = features[rows[s:s + chunk]]
            lo = np.minimum(lo, x.min(0))
            hi = np.maximum(hi, x.max(0))
        out[c] = (hi - lo) > constant_atol
    return out


class ClassConditionalDensity:
    """One Gaussian mixture per class: ``log p(z | c)``.

    Args:
        num_classes: number of classes ``C``.
        backend: ``'torch'`` or ``'sklearn'``.
        regions_per_component: regions per mixture component.
        min_components: lower clip of the component count.
        max_components: upper clip of the component count.
        min_samples: a class with fewer regions gets no model
            (``log_prob = -inf``).
        max_fit_samples: fit each class on at most this many of its regions
            (seeded uniform draw); ``None`` fits on all.
        reg_covar: ridge added to each covariance diagonal.
        tol: absolute EM tolerance on the mean log-likelihood change
            (1e-3: scikit-learn's).  ``1e-2`` took 2-5x fewer EM iterations
            at equal held-out likelihood in ``benchmarks/density.py`` (its
            ``torch+tol`` row: -0.02% at GTA5 scale, -0.31% on the largest
            class, the worst of the classes it checks); ``1e-1`` (2
            iterations) was 1.4% worse on a 203k-region class, where EM
            reorganises after a plateau.
        rtol: relative EM tolerance (torch backend only).  0 (default):
            the same stopping rule as scikit-learn.  EM on 256-d data often
            sits on a plateau for tens of iterations before a component
            reorganises (measured: held-out log-likelihood flat from
            iteration 3 to 30, then 1% better by iteration 50), so a
            relative tolerance that stops on the plateau loses likelihood.
        max_iter: maximum EM iterations.
        resp_tol: truncated-EM threshold (torch backend only; 0 = exact);
            the likelihood bound it neglects is below ``K * resp_tol`` per
            region.
        drop_constant_dims: when :meth:`fit` gets no ``dims``, restrict each
            class to its non-constant dimensions (see module docstring).
        constant_atol: tolerance of :func:`class_active_dims`.
        warm_start: start each class's EM from this object's previous fit of
            that class when its dimensions and component count match.
        device: torch device (torch backend); ``None`` = cuda if available.
        dtype: ``'float32'`` or ``'float64'`` products (torch backend).
        num_threads: CPU threads of the torch backend's fits (see
            :class:`~mmseg_ada.active.adeada.gmm.TorchGMM`; ``None``:
            unchanged).
        seed: seed of the subsampling and of the mixtures' initialisation.

    Attributes:
        n_components_: ``int [C]`` components per class (0: no model).
        class_counts_: ``int [C]`` regions per class given to :meth:`fit`.
        fit_counts_: ``int [C]`` regions per class the mixture was fitted on.
        dims_: ``bool [C, D]`` dimensions each class's density is defined on.
        n_iter_: ``int [C]`` EM iterations per class.
        fit_seconds_: wall time of the last :meth:`fit`.
        reg_events_: one dict per class whose covariance regularisation had
            to be raised (``domain``, ``cls``, ``reg_covar``,
            ``fallback_one_component``); also logged as warnings.
    """

    def __init__(self,
                 num_classes: int,
                 backend: str = 'torch',
                 regions_per_component: int = 100,
                 min_components: int = 1,
                 max_components: int = 10,
                 min_samples: int = 2,
                 max_fit_samples: Optional[int] = None,
                 reg_covar: float = 1e-6,
                 tol: float = 1e-3,
                 rtol: float = 0.0,
                 max_iter: int = 100,
                 resp_tol: float = 1e-6,
                 drop_constant_dims: bool = True,
                 constant_atol: float = 0.0,
                 warm_start: bool = False,
                 device: Optional[Union[str, torch.device]] = None,
                 dtype: str = 'float32',
                 num_threads: Optional[int] = 1,
                 seed: int = 0) -> None:
        if int(num_classes) < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if backend not in ('torch', 'sklearn'):
            raise ValueError(
                f"backend must be 'torch' or 'sklearn', got {backend!r}")
        if int(regions_per_component) < 1:
            raise ValueError('regions_per_component must be >= 1, got '
                             f'{regions_per_component}')
        if not 1 <= int(min_components) <= int(max_components):
            raise ValueError('need 1 <= min_components <= max_components, got '
                             f'{min_components} and {max_components}')
        if int(min_samples) < 1:
            raise ValueError(f'min_samples must be >= 1, got {min_samples}')
        if max_fit_samples is not None and int(max_fit_samples) < 1:
            raise ValueError(
                f'max_fit_samples must be >= 1 or None, got {max_fit_samples}')
        self.num_classes = int(num_classes)
        self.backend = backend
        self.regions_per_component = int(regions_per_component)
        self.min_components = int(min_components)
        self.max_components = int(max_components)
        self.min_samples = int(min_samples)
        self.max_fit_samples = (None if max_fit_samples is None else
                                int(max_fit_samples))
        self.reg_covar = float(reg_covar)
        self.tol = float(tol)
        self.rtol = float(rtol)
        self.max_iter = int(max_iter)
        self.resp_tol = float(resp_tol)
        self.drop_constant_dims = bool(drop_constant_dims)
        self.constant_atol = float(constant_atol)
        self.warm_start = bool(warm_start)
        self.device = device
        self.dtype = dtype
        self.num_threads = num_threads
        self.seed = int(seed)
        self._models: Dict[int, object] = {}
        self.n_components_: Optional[np.ndarray] = None

    # ---------------------------------------------------------------- fit
    def components_for(self, n: int) -> int:
        """Mixture components for a class with ``n`` regions.

        Args:
            n: number of regions of the class.

        Returns:
            ``n // regions_per_component`` clipped to
            ``[min_components, max_components]``.
        """
        k = n // self.regions_per_component
        return int(np.clip(k, self.min_components, self.max_components))

    def _new_model(self, k: int, c: int):
        seed = self.seed + 1009 * c
        if self.backend == 'torch':
            return TorchGMM(
                n_components=k,
                reg_covar=self.reg_covar,
                tol=self.tol,
                rtol=self.rtol,
                max_iter=self.max_iter,
                resp_tol=self.resp_tol,
                seed=seed,
                device=self.device,
                dtype=self.dtype,
                num_threads=self.num_threads)
        from sklearn.mixture import GaussianMixture
        return GaussianMixture(
            n_components=k,
            covariance_type='full',
            reg_covar=self.reg_covar,
            tol=self.tol,
            max_iter=self.max_iter,
            random_state=seed)

    def _fit_one(self, x: np.ndarray, k: int, c: int, prev):
        """Fit class ``c``; never raises on degenerate data.

        Returns ``(model, event)``: ``event`` is ``None`` or a dict saying
        how the covariance regularisation had to be raised
        (``reg_covar``: the value used) or that the fit fell back to one
        component (``fallback_one_component``).
        """
        if self.backend == 'torch':
            warm = prev if isinstance(prev, TorchGMM) else None
            model = self._new_model(k, c).fit(x, warm_start=warm)
            event = None
            if model.extra_ridge_ > 0:
                event = dict(
                    reg_covar=self.reg_covar + model.extra_ridge_,
                    fallback_one_component=False)
            return model, event
        x = x.astype(np.float64)
        model = self._new_model(k, c)
        if prev is not None and prev.means_.shape == (k, x.shape[1]):
            model.set_params(
                weights_init=prev.weights_,
                means_init=prev.means_,
                precisions_init=prev.precisions_)
        reg = self.reg_covar
        for _ in range(8):
            try:
                model = model.fit(x)
                return model, (None if reg == self.reg_covar else dict(
                    reg_covar=reg, fallback_one_component=False))
            except ValueError:  # ill-defined covariance: raise the ridge
                reg = max(reg, 1e-8) * 100
                model.set_params(reg_covar=reg)
        reg = max(reg, 1.0)
        model.set_params(
            n_components=1,
            reg_covar=reg,
            weights_init=None,
            means_init=None,
            precisions_init=None)
        return model.fit(x), dict(reg_covar=reg, fallback_one_component=True)

    def fit(self,
            features: np.ndarray,
            classes: np.ndarray,
            dims: Optional[np.ndarray] = None,
            n_components: Optional[Sequence[int]] = None,
            domain: str = '') -> 'ClassConditionalDensity':
        """Fit one mixture per class.

        Args:
            features: ``[N, D]`` region features of one domain.
            classes: ``int [N]`` region classes.
            dims: optional ``bool [C, D]`` dimensions per class (e.g. the
                union over both domains from :func:`class_active_dims`);
                ``None``: this data's active dimensions (or all of them when
                ``drop_constant_dims`` is off).
            n_components: optional ``[C]`` component counts that replace the
                ``regions_per_component`` rule (still capped by the points).
            domain: a name for the log messages and :attr:`reg_events_`
                (e.g. ``'source'``).

        Returns:
            ``self``.
        """
        features, classes = _check_inputs(features, classes, self.num_classes)
        n, d = features.shape
        C = self.num_classes
        for s in range(0, n, 65536):  # chunked: no [N, D] temporary
            if not np.isfinite(features[s:s + 65536]).all():
                raise ValueError('features contain NaN or infinite values')
        if n_components is not None and len(n_components) != C:
            raise ValueError(f'n_components must have {C} entries, got '
                             f'{len(n_components)}')
        start = time.perf_counter()
        counts = np.bincount(classes, minlength=C)
        order = np.argsort(classes, kind='stable')
        bounds = np.concatenate([[0], np.cumsum(counts)])
        fit_idx = {}
        for c in range(C):
            rows = order[bounds[c]:bounds[c + 1]]
            if (self.max_fit_samples is not None
                    and rows.size > self.max_fit_samples):
                rng = np.random.default_rng([self.seed, c])
                rows = np.sort(
                    rng.choice(rows, self.max_fit_samples, replace=False))
            fit_idx[c] = rows
        if dims is None:
            if self.drop_constant_dims:
                dims = class_active_dims(features, classes, C,
                                         self.constant_atol)
            else:
                dims = np.ones((C, d), dtype=bool)
        dims = np.asarray(dims, dtype=bool)
        if dims.shape != (C, d):
            raise ValueError(f'dims must be bool [{C}, {d}], got shape '
                             f'{dims.shape}')
        prev_models = self._models if self.warm_start else {}
        prev_dims = getattr(self, 'dims_', None)
        models: Dict[int, object] = {}
        n_comp = np.zeros(C, dtype=np.int64)
        n_iter = np.zeros(C, dtype=np.int64)
        fit_counts = np.zeros(C, dtype=np.int64)
        events = []
        for c in range(C):
            rows = fit_idx[c]
            fit_counts[c] = rows.size
            if rows.size < self.min_samples:
                continue
            cols = np.flatnonzero(dims[c])
            if cols.size == 0:
                models[c] = 'constant'
                n_comp[c] = 1
                continue
            k = (
                self.components_for(int(counts[c]))
                if n_components is None else max(int(n_components[c]), 1))
            k = min(k, rows.size)
            prev = prev_models.get(c)
            if (prev is None or isinstance(prev, str) or prev_dims is None
                    or not np.array_equal(prev_dims[c], dims[c])):
                prev = None
            x = features[np.ix_(rows, cols)]
            t0 = time.perf_counter()
            models[c], event = self._fit_one(x, k, c, prev)
            if event is not None:
                event = dict(domain=domain, cls=c, **event)
                events.append(event)
                print_log(
                    f'density {domain or "?"} class {c}: covariance '
                    f"regularisation raised to {event['reg_covar']:.3g}" +
                    (' and the mixture fell back to one component'
                     if event['fallback_one_component'] else ''),
                    logger='current',
                    level=logging.WARNING)
            n_comp[c] = models[c].n_components if self.backend == 'sklearn' \
                else models[c].means_.shape[0]
            n_iter[c] = models[c].n_iter_
            print_log(
                f'density class {c}: {rows.size}/{counts[c]} regions, '
                f'{cols.size}/{d} dims, {n_comp[c]} components, '
                f'{n_iter[c]} EM iterations, '
                f'{time.perf_counter() - t0:.2f}s',
                logger='current',
                level=10)
        self._models = models
        self.dims_ = dims
        self.n_components_ = n_comp
        self.n_iter_ = n_iter
        self.class_counts_ = counts
        self.fit_counts_ = fit_counts
        self.reg_events_ = events
        self.fit_seconds_ = time.perf_counter() - start
        print_log(
            f'fitted {self.backend} class densities: {int(fit_counts.sum())}'
            f' regions, {int((n_comp > 0).sum())}/{C} classes, '
            f'{self.fit_seconds_:.1f}s',
            logger='current')
        return self

    # --------------------------------------------------------------- score
    @property
    def has_model(self) -> np.ndarray:
        """``bool [C]``: classes with a fitted density."""
        if self.n_components_ is None:
            raise RuntimeError('ClassConditionalDensity is not fitted')
        return self.n_components_ > 0

    def log_prob(self, features: np.ndarray,
                 classes: np.ndarray) -> np.ndarray:
        """``log p(z_i | c_i)`` for every row.

        Args:
            features: ``[N, D]`` features (same ``D`` as in :meth:`fit`).
            classes: ``int [N]`` classes.

        Returns:
            ``float64 [N]``; ``-inf`` for rows whose class has no model,
            never NaN.
        """
        if self.n_components_ is None:
            raise RuntimeError(
                'ClassConditionalDensity is not fitted; call fit() first')
        features, classes = _check_inputs(features, classes, self.num_classes)
        if features.shape[1] != self.dims_.shape[1]:
            raise ValueError(f'features have {features.shape[1]} dims, the '
                             f'densities were fitted on {self.dims_.shape[1]}')
        out = np.full(features.shape[0], -np.inf)
        for c, model in self._models.items():
            rows = np.flatnonzero(classes == c)
            if rows.size == 0:
                continue
            if isinstance(model, str):  # no active dimension: log p = 0
                out[rows] = 0.0
                continue
            x = features[np.ix_(rows, np.flatnonzero(self.dims_[c]))]
            if self.backend == 'sklearn':
                x = x.astype(np.float64)
            lp = model.score_samples(x)
            out[rows] = np.where(np.isnan(lp), -np.inf, lp)
        return out
