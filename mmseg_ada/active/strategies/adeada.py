"""ADeADA: adaptive density-aware active domain adaptation (Wu et al.).

One selection round (paper Sec. 3, supplement Algorithm 1):

1. Region class ``c`` = argmax of the region's mean softmax, in both domains
   (the paper assigns categories "according to the predicted probability";
   source ground truth is not used, so both densities condition on the same
   kind of label).
2. Fit ``p_S(z|c)`` on the source pool's region features and ``p_T(z|c)``
   on **all** target regions, labelled ones included ("Z_T, C_T <-
   h(D_T)"; the pool keeps fully labelled regions with cost 0).  Both use
   the union of the two domains' non-constant dimensions per class
   (:func:`~mmseg_ada.active.adeada.density.class_active_dims`) so the ratio
   compares densities on the same space.  Components per class: by default
   from the class's *target* region count for both domains (the authors'
   code: ``clip(N_target_c // 100, 1, 10)``); ``components='per_domain'``
   uses each domain's own count.
3. Classes that take part in the density share: those in the source label
   space (``source_classes``; SYNTHIA has no terrain, truck, train) that
   have a density in *both* domains.  A class missing from one pool (no
   region predicted as it, or fewer than ``min_samples``) has no density
   ratio: it gets no density budget this round (its regions can still be
   bought by the uncertainty share), so no region or class ever scores
   ``+-inf``.  The round report lists the excluded classes and why.
4. Score the unlabelled candidates (``cost > 0``) of those classes:
   ``pi = log p_T - log p_S`` (Eq. 2); per-class ``KL_c`` = mean ``pi``
   over the class's *unlabelled* candidates (Eq. 5 as Algorithm 1 computes
   it, inside the loop over ``R_c``, the regions of ``D_T^U`` predicted as
   ``c``; ``kl_regions='all'`` averages over every target region of the
   class instead).
5. Split the round budget (Eq. 7 / Table 5 policies) into ``B_d`` and
   ``B_u``; split ``B_d`` over the participating classes by
   ``sigma(KL_c)`` (Eq. 6) and buy the top-``pi`` regions of each class
   (:func:`~mmseg_ada.active.adeada.budget.buy_per_class`).
6. Spend ``B^k`` minus what the density share spent on the remaining
   candidates by uncertainty (mean pixel entropy by default).  What the
   density share cannot spend goes to the uncertainty share; the two never
   buy the same region and never exceed ``B^k`` together.

Reproducibility: with ``density_cfg['warm_start']`` off (the default) a
selection depends only on the inputs, the seed and the round, so a resumed
run re-selects identically; warm start (a speed lever) makes it depend on
the previous rounds' fits held in this object.  Those fits live only in
memory (``self._densities``), not in checkpoints: the first round after a
resume starts cold (k-means), so a resumed warm-start run may select
differently from an uninterrupted one.  Both numerics-changing speed
options are therefore off by default:

* ``density_cfg['warm_start']``: start each class's EM from the previous
  round's mixture (same dimensions and component count), else k-means.
* ``density_cfg['max_fit_samples']``: fit each class on at most N of its
  regions (a seeded draw), score every region.

``benchmarks/density.py`` prints both against scikit-learn (fit time and
held-out log-likelihood, "equal" = at most 1% below scikit-learn's).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from mmseg_ada.registry import STRATEGIES
from ..adeada.budget import (buy_per_class, category_budgets, class_kl,
                             density_score, split_round_budget)
from ..adeada.density import ClassConditionalDensity, class_active_dims
from ..pool import Selection, UnitPool, take_within_budget
from .base import BaseStrategy

__all__ = ['ADeADA', 'ADEADA_ABLATIONS']

#: Keyword overrides reproducing the rows of the paper's Table 2.
ADEADA_ABLATIONS: Dict[str, Dict[str, Any]] = {
    'a': dict(policy='uncertainty'),  # uncertainty only (alpha = 0)
    'b': dict(policy='density', category_balance=False),  # density, even
    'c': dict(policy='density', category_balance=True),  # + category bal.
    'd': dict(policy='even', category_balance=True),  # + uncertainty 50/50
    'e': dict(policy='half', category_balance=True),  # full (Eq. 7)
}

_UNCERTAINTY = {'entropy': 1.0, 'confidence': -1.0, 'margin': -1.0}


def _json_float(x: float) -> Optional[float]:
    return float(x) if np.isfinite(x) else None


@STRATEGIES.register_module()
class ADeADA(BaseStrategy):
    """ADeADA region selection: density-aware + uncertainty, adaptive budget.

    Args:
        alpha: balance coefficient ``alpha`` of Eq. 7 (in ``[0, 1]``).
        beta: decay rate ``beta`` of Eq. 7.
        policy: budget schedule: ``'half'`` (Eq. 7), ``'even'``,
            ``'linear'``, ``'density'``, ``'uncertainty'`` (supp. Table 5).
        category_balance: split the density budget by ``sigma(KL_c)``
            (Eq. 6); ``False`` splits it evenly over the participating
            classes (Table 2 (b)).
        sigma: normalisation of Eq. 6 (see
            :mod:`mmseg_ada.active.adeada.budget`; default ``'log10'``,
            the released code's ``int(log10(|KL_c|))``;
            ``'zsoftmax'``, a softmax of the standardised KL, and others are
            options).
        temperature: temperature of ``sigma`` (``'zsoftmax'``,
            ``'softmax'``, ``'sigmoid'``).
        uncertainty: the uncertainty share's score: ``'entropy'`` (paper),
            ``'confidence'`` or ``'margin'`` (from ``pool.stats``).
        kl_regions: ``'unlabelled'`` (Algorithm 1) or ``'all'`` target
            regions of the class for Eq. 5.
        components: GMM components per class from the class's target region
            count for both domains (``'target'``, the authors' code) or from
            each domain's own count (``'per_domain'``).
        source_classes: class indices in the source label space (``None``:
            all classes).  The others never get a density budget.
        max_regions_per_class: optional cap on density picks per class per
            round (the reference code caps candidates at 200 per class; off
            by default since the paper does not mention it).
        linear_step: decrement of the ``'linear'`` policy (1.0, 0.8, ...;
            ``alpha`` does not scale it).
        density_cfg: keyword arguments of
            :class:`~mmseg_ada.active.adeada.density.ClassConditionalDensity`
            (``backend``, ``regions_per_component``, ``max_components``,
            ``min_samples``, ``max_fit_samples`` (off), ``warm_start``
            (off; see the module docstring), ``device`` ...).
        seed: seed of the tie-breaking and of the density fits.
    """

    requires = ('prob', 'feature', 'source_pool')
    #: the round figure: per-class KL, budgets, split and picks
    #: (:func:`mmseg_ada.visualization.draw_adeada_round`)
    figure = 'adeada'
    unit_kinds = ('region', )

    def __init__(self,
                 alpha: float = 1.0,
                 beta: float = 1.0,
                 policy: str = 'half',
                 category_balance: bool = True,
                 sigma: Any = 'log10',
                 temperature: float = 1.0,
                 uncertainty: str = 'entropy',
                 kl_regions: str = 'unlabelled',
                 components: str = 'target',
                 source_classes: Optional[Sequence[int]] = None,
                 max_regions_per_class: Optional[int] = None,
                 linear_step: float = 0.2,
                 density_cfg: Optional[Dict[str, Any]] = None,
                 seed: int = 0) -> None:
        super().__init__(seed=seed)
        if uncertainty not in _UNCERTAINTY:
            raise ValueError(f'uncertainty must be one of '
                             f'{sorted(_UNCERTAINTY)}, got {uncertainty!r}')
        if kl_regions not in ('unlabelled', 'all'):
            raise ValueError("kl_regions must be 'unlabelled' or 'all', got "
                             f'{kl_regions!r}')
        if components not in ('target', 'per_domain'):
            raise ValueError("components must be 'target' or 'per_domain', "
                             f'got {components!r}')
        # validate the schedule once, eagerly
        split_round_budget(0, 1, policy, alpha, beta, linear_step)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.policy = policy
        if policy == 'uncertainty' or (self.alpha == 0.0 and policy == 'half'):
            # no density share in any round (Table 2 (a), alpha = 0): the
            # selection pass needs neither features nor the source pool
            self.requires = ('prob', )
        self.category_balance = bool(category_balance)
        self.sigma = sigma
        self.temperature = float(temperature)
        self.uncertainty = uncertainty
        self.kl_regions = kl_regions
        self.components = components
        self.source_classes = (None if source_classes is None else sorted(
            int(c) for c in source_classes))
        self.max_regions_per_class = max_regions_per_class
        self.linear_step = float(linear_step)
        cfg = dict(
            backend='torch', regions_per_component=100, max_components=10)
        cfg.update(density_cfg or {})
        for key in ('num_classes', 'seed'):
            if key in cfg:
                raise ValueError(f'density_cfg must not set {key!r} (taken '
                                 'from the pool / the strategy seed)')
        self.density_cfg = cfg
        self._densities: Dict[str, ClassConditionalDensity] = {}

    # ------------------------------------------------------------- scores
    def score(self, pool: UnitPool) -> np.ndarray:
        """The uncertainty score of the uncertainty share (higher first).

        Args:
            pool: the candidates; ``pool.stats[uncertainty]`` is read.

        Returns:
            np.ndarray: ``[N]`` the entropy, or minus the confidence /
            margin, so that higher is more uncertain.
        """
        return _UNCERTAINTY[self.uncertainty] * pool.stat(self.uncertainty)

    def _density(self, name: str, num_classes: int) -> ClassConditionalDensity:
        warm = bool(self.density_cfg.get('warm_start', False))
        dens = self._densities.get(name)
        if dens is None or not warm or dens.num_classes != num_classes:
            dens = ClassConditionalDensity(
                num_classes=num_classes, seed=self.seed, **self.density_cfg)
            if warm:
                self._densities[name] = dens
        return dens

    @staticmethod
    def _check_pool(pool: Any, name: str, num_classes: int,
                    dim: Optional[int]) -> None:
        if not isinstance(pool, UnitPool):
            raise ValueError(f'ADeADA needs {name} as a UnitPool, got '
                             f'{type(pool).__name__}')
        if pool.feature is None:
            raise ValueError(f'{name}.feature is None: ADeADA needs pooled '
                             "region features (requires 'feature')")
        if pool.feature.ndim != 2 or pool.feature.shape[0] != len(pool):
            raise ValueError(f'{name}.feature must be [N, D] with N='
                             f'{len(pool)}, got {pool.feature.shape}')
        if pool.prob is None or pool.prob.shape[1] != num_classes:
            raise ValueError(
                f'{name}.prob must be [N, {num_classes}], got '
                f'{None if pool.prob is None else pool.prob.shape}')
        if dim is not None and pool.feature.shape[1] != dim:
            raise ValueError(f'{name}.feature has {pool.feature.shape[1]} '
                             f'dims, the target pool has {dim}')

    def _fit(self, source_pool: UnitPool, target_all: UnitPool,
             num_classes: int) -> tuple:
        """Fit ``p_S`` and ``p_T``; returns both densities."""
        src_cls = source_pool.pred_class
        tgt_cls = target_all.pred_class
        dims = (
            class_active_dims(source_pool.feature, src_cls, num_classes)
            | class_active_dims(target_all.feature, tgt_cls, num_classes))
        dens_t = self._density('target', num_classes)
        dens_s = self._density('source', num_classes)
        n_comp = None
        if self.components == 'target':
            counts = np.bincount(tgt_cls, minlength=num_classes)
            n_comp = [dens_t.components_for(int(n)) for n in counts]
        dens_s.fit(
            source_pool.feature,
            src_cls,
            dims=dims,
            n_components=n_comp,
            domain='source')
        dens_t.fit(
            target_all.feature,
            tgt_cls,
            dims=dims,
            n_components=n_comp,
            domain='target')
        return dens_s, dens_t

    def density_classes(self, dens_s: ClassConditionalDensity,
                        dens_t: ClassConditionalDensity,
                        num_classes: int) -> tuple:
        """Classes with a density ratio, and why the others have none.

        Args:
            dens_s: the fitted source density ``p_S``.
            dens_t: the fitted target density ``p_T``.
            num_classes: ``C``.

        Returns:
            tuple: ``bool [C]`` participating classes and ``{class: reason}``
            for the others.
        """
        ok = np.zeros(num_classes, dtype=bool)
        why: Dict[int, str] = {}
        src_space = (
            set(range(num_classes))
            if self.source_classes is None else set(self.source_classes))
        for c in range(num_classes):
            if c not in src_space:
                why[c] = 'not in the source label space'
            elif not dens_s.has_model[c] and not dens_t.has_model[c]:
                why[c] = 'no density in either domain'
            elif not dens_s.has_model[c]:
                why[c] = 'no source density'
            elif not dens_t.has_model[c]:
                why[c] = 'no target density'
            else:
                ok[c] = True
        return ok, why

    # ------------------------------------------------------------- select
    def select(self,
               pool: UnitPool,
               budget: int,
               round_idx: int = 1,
               source_pool: Optional[UnitPool] = None,
               target_all: Optional[UnitPool] = None,
               **context: Any) -> Selection:
        """Buy regions of ``pool`` spending at most ``budget`` pixels.

        Args:
            pool: every target region (rows with ``cost == 0`` are labelled:
                never bought, but part of ``p_T``).
            budget: ``B^k`` pixels.
            round_idx: 1-based round ``k`` of Eq. 7.
            source_pool: source regions with features and probabilities
                (required unless the density share is 0).
            target_all: optional regions to fit ``p_T`` on instead of
                ``pool``.
            **context: ignored.

        Returns:
            Selection: bought rows (density picks first) and the round
            report in ``info``.
        """
        if int(budget) != budget or budget < 0:
            raise ValueError(f'budget must be a non-negative integer, got '
                             f'{budget}')
        if int(round_idx) < 1:
            raise ValueError(f'ADeADA rounds are 1-based (Eq. 7), got '
                             f'round_idx={round_idx}')
        split = split_round_budget(
            int(budget), int(round_idx), self.policy, self.alpha, self.beta,
            self.linear_step)
        n = len(pool)
        C = pool.num_classes
        cost = pool.cost
        cls = pool.pred_class if n else np.zeros(0, np.int64)
        candidate = pool.candidates
        tie = self.rng(round_idx).permutation(n)
        kl = np.full(C, np.nan)
        weights = np.zeros(C)
        class_budget = np.zeros(C, dtype=np.int64)
        dens_idx = np.zeros(0, dtype=np.int64)
        info: Dict[str, Any] = {}
        if split.density > 0 and candidate.any():
            self._check_pool(pool, 'pool', C, None)
            dim = pool.feature.shape[1]
            if source_pool is None:
                raise ValueError('ADeADA needs source_pool (source region '
                                 'features and probabilities) for its '
                                 'density share')
            self._check_pool(source_pool, 'source_pool', C, dim)
            if target_all is None:
                target_all = pool
            else:
                self._check_pool(target_all, 'target_all', C, dim)
            dens_s, dens_t = self._fit(source_pool, target_all, C)
            ok, why = self.density_classes(dens_s, dens_t, C)
            scored = ok[cls]
            pi = np.zeros(n)
            pi[scored] = density_score(
                dens_t.log_prob(pool.feature[scored], cls[scored]),
                dens_s.log_prob(pool.feature[scored], cls[scored]))
            kl_mask = scored & (
                candidate if self.kl_regions == 'unlabelled' else True)
            kl = class_kl(pi, cls, C, kl_mask)
            eligible = ok & (np.bincount(cls[candidate], minlength=C) > 0)
            class_budget, weights = category_budgets(kl, eligible,
                                                     split.density, self.sigma,
                                                     self.temperature,
                                                     self.category_balance)
            dens_idx, _, _ = buy_per_class(
                np.where(scored, pi, -np.inf), cls, np.where(scored, cost, 0),
                class_budget, weights, tie, self.max_regions_per_class)
            info.update(
                density_classes=[int(c) for c in np.flatnonzero(ok)],
                excluded_classes={
                    str(c): r
                    for c, r in why.items()
                },
                per_class_source_regions=[
                    int(v) for v in dens_s.class_counts_
                ],
                per_class_target_regions=[
                    int(v) for v in dens_t.class_counts_
                ],
                per_class_components_source=[
                    int(v) for v in dens_s.n_components_
                ],
                per_class_components_target=[
                    int(v) for v in dens_t.n_components_
                ],
                density_reg_events=dens_s.reg_events_ + dens_t.reg_events_,
                density_fit_seconds=float(dens_s.fit_seconds_ +
                                          dens_t.fit_seconds_))
        dens_spent = int(cost[dens_idx].sum())
        unc_budget = int(budget) - dens_spent
        unc_idx = np.zeros(0, dtype=np.int64)
        if unc_budget > 0 and n:
            left = candidate.copy()
            left[dens_idx] = False
            rows = np.flatnonzero(left)
            if rows.size:
                s = self.score(pool)[rows]
                if np.isnan(s).any():
                    raise ValueError(
                        f'pool.stats[{self.uncertainty!r}] contains NaN')
                order = rows[np.lexsort((tie[rows], -s))]
                unc_idx = take_within_budget(order, cost, unc_budget)
        unc_spent = int(cost[unc_idx].sum())
        index = np.concatenate([dens_idx, unc_idx]).astype(np.int64)
        info = dict(
            round=int(round_idx),
            policy=self.policy,
            alpha=self.alpha,
            beta=self.beta,
            density_fraction=split.density_fraction,
            density_budget=split.density,
            uncertainty_budget=split.uncertainty,
            per_class_kl=[_json_float(v) for v in kl],
            per_class_weight=[float(v) for v in weights],
            per_class_density_budget=[int(v) for v in class_budget],
            density_spent=dens_spent,
            uncertainty_spent=unc_spent,
            spent=dens_spent + unc_spent,
            regions_per_class_density=[
                int(v) for v in np.bincount(cls[dens_idx], minlength=C)
            ],
            regions_per_class_uncertainty=[
                int(v) for v in np.bincount(cls[unc_idx], minlength=C)
            ],
            **info)
        return Selection(index, info)
