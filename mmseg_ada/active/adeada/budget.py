"""ADeADA's scores and budget arithmetic (paper Eqs. 2, 5, 6, 7; supp. E).

Pure functions on numpy arrays; all budgets are integer pixel counts and
every split adds up exactly.

* Eq. 2 :func:`density_score`: ``pi = log p_T(z|c) - log p_S(z|c)``.
* Eq. 5 :func:`class_kl`: ``KL_c ~ mean of pi over the class's regions``.
* Eq. 6 :func:`category_budgets`: ``B_d,c = sigma(KL_c) / sum_i sigma(KL_i)
  * B_d``, rounded by the largest-remainder method
  (:func:`allocate_pixels`), and :func:`buy_per_class`, which spends each
  class's share on its top-``pi`` regions and hands what a class cannot
  spend to the others in a bounded number of passes.
* Eq. 7 :func:`split_round_budget`: ``B_d^k = alpha * 2^(-beta (k-1)) *
  B^k``, ``B_u^k = B^k - B_d^k`` and the scheduling policies of the
  supplement's Table 5.

Choice of ``sigma`` (the paper only says it is "a normalization function to
make the weighting term fall within a reasonable range"): the default
``'log10'`` is what the authors' released code (D2ADA) uses, the integer part
of the decimal logarithm of the KL estimate's magnitude, ``w_c =
int(log10(|KL_c|))`` (truncated toward zero, floored at 0): a class whose
Monte-Carlo KL is in the thousands gets weight 3, in the hundreds 2, in the
tens 1, below 10 nothing (the released code hands these weights to a
weighted round-robin over the classes' ranked regions, i.e. a class's share
of the density budget is its weight over the sum; with a weight of 0 that
round-robin never terminates, here the class gets no density budget, and
when every class weighs 0 the budget is split evenly).  ``'zsoftmax'`` is a
softmax over the *standardised* KL estimates, ``w_c = exp(z_c / T)``, ``z_c =
(KL_c - mean) / std`` over the classes that compete: positive, monotone,
invariant to the scale and offset of the log-densities, bounded (with ``C``
classes no class gets more than ``e^sqrt(C-1)`` times the weight of an
average one) and uniform when all estimates are equal.  ``'relu'``
(``max(KL, 0)``, proportional), ``'softmax'`` (raw, temperature ``T``),
``'sigmoid'`` and ``'uniform'`` are available, as is any callable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple, Union

import numpy as np

from ..pool import take_within_budget

__all__ = [
    'RoundBudget', 'SCHEDULE_POLICIES', 'SIGMA_FUNCTIONS', 'density_fraction',
    'split_round_budget', 'density_score', 'class_kl', 'class_weights',
    'allocate_pixels', 'category_budgets', 'buy_per_class'
]

#: Scheduling policies of Eq. 7 / supplement Table 5.
SCHEDULE_POLICIES = ('half', 'even', 'linear', 'density', 'uncertainty')
#: Named normalisation functions ``sigma`` of Eq. 6.
SIGMA_FUNCTIONS = ('log10', 'zsoftmax', 'softmax', 'relu', 'sigmoid',
                   'uniform')

Sigma = Union[str, Callable[[np.ndarray], np.ndarray]]


@dataclass
class RoundBudget:
    """The pixel split of one selection round (Eq. 7).

    Args:
        total: ``B^k``, pixels of the round.
        density: ``B_d^k``, pixels for density-aware selection.
        uncertainty: ``B_u^k = B^k - B_d^k``.
        density_fraction: the share ``B_d^k / B^k`` before rounding.
    """

    total: int
    density: int
    uncertainty: int
    density_fraction: float


# ------------------------------------------------------------------ Eq. 7
def density_fraction(round_idx: int,
                     policy: str = 'half',
                     alpha: float = 1.0,
                     beta: float = 1.0,
                     linear_step: float = 0.2) -> float:
    """Share of round ``round_idx``'s budget given to density selection.

    Args:
        round_idx: 1-based round number ``k``.
        policy: ``'half'``: ``alpha * 2^(-beta (k-1))`` (Eq. 7; with
            ``alpha = beta = 1``: 1, 1/2, 1/4, ...); ``'even'``: 0.5 every
            round; ``'linear'``: ``1 - linear_step * (k-1)`` floored at 0
            (1.0, 0.8, 0.6, ... by default); ``'density'``: 1;
            ``'uncertainty'``: 0.
        alpha: balance coefficient in ``[0, 1]`` (``'half'`` only).
        beta: decay rate ``>= 0``.
        linear_step: decrement per round of ``'linear'``.

    Returns:
        The share, in ``[0, 1]``.
    """
    if int(round_idx) != round_idx or round_idx < 1:
        raise ValueError(f'round_idx is 1-based, got {round_idx}')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    if beta < 0 or linear_step < 0:
        raise ValueError(f'beta and linear_step must be >= 0, got {beta} '
                         f'and {linear_step}')
    k = int(round_idx)
    if policy == 'half':
        frac = alpha * 2.0**(-beta * (k - 1))
    elif policy == 'even':
        frac = 0.5
    elif policy == 'linear':
        frac = 1.0 - linear_step * (k - 1)
    elif policy == 'density':
        frac = 1.0
    elif policy == 'uncertainty':
        frac = 0.0
    else:
        raise ValueError(
            f'policy must be one of {SCHEDULE_POLICIES}, got {policy!r}')
    return float(min(max(frac, 0.0), 1.0))


def split_round_budget(total: int,
                       round_idx: int,
                       policy: str = 'half',
                       alpha: float = 1.0,
                       beta: float = 1.0,
                       linear_step: float = 0.2) -> RoundBudget:
    """Split ``B^k`` pixels into density and uncertainty shares (Eq. 7).

    ``B_d^k`` is the share rounded half up; ``B_u^k = B^k - B_d^k``, so the
    two add up to ``total`` exactly.

    Args:
        total: the round's budget ``B^k`` in pixels, a non-negative integer.
        round_idx: 1-based round number ``k``.
        policy: schedule policy, see :func:`density_fraction`.
        alpha: balance coefficient in ``[0, 1]`` (``'half'`` only).
        beta: decay rate ``>= 0``.
        linear_step: decrement per round of ``'linear'``.

    Returns:
        :class:`RoundBudget`.
    """
    if int(total) != total or total < 0:
        raise ValueError(f'total budget must be a non-negative integer, got '
                         f'{total}')
    total = int(total)
    frac = density_fraction(round_idx, policy, alpha, beta, linear_step)
    dens = min(max(int(np.floor(frac * total + 0.5)), 0), total)
    return RoundBudget(total, dens, total - dens, frac)


# ------------------------------------------------------------- Eqs. 2, 5
def density_score(log_pt: np.ndarray, log_ps: np.ndarray) -> np.ndarray:
    """Region importance ``pi = log p_T(z|c) - log p_S(z|c)`` (Eq. 2).

    Missing densities (``-inf`` from a class without a model) are resolved
    without NaN: a region the target density covers but the source density
    does not (``log p_S = -inf``) gets ``+inf`` (unseen in the source: the
    most valuable); the reverse gets ``-inf``; with neither density the
    score is ``0`` (no evidence either way).

    Args:
        log_pt: ``[N]`` target log-densities.
        log_ps: ``[N]`` source log-densities.

    Returns:
        ``float64 [N]`` scores (possibly ``+-inf``, never NaN).
    """
    log_pt = np.asarray(log_pt, dtype=np.float64)
    log_ps = np.asarray(log_ps, dtype=np.float64)
    if log_pt.shape != log_ps.shape:
        raise ValueError(f'log_pt and log_ps differ in shape: '
                         f'{log_pt.shape} vs {log_ps.shape}')
    if np.isnan(log_pt).any() or np.isnan(log_ps).any():
        raise ValueError('log-densities contain NaN')
    if (log_pt == np.inf).any() or (log_ps == np.inf).any():
        raise ValueError('log-densities contain +inf')
    with np.errstate(invalid='ignore'):
        pi = log_pt - log_ps
    both_missing = np.isneginf(log_pt) & np.isneginf(log_ps)
    pi[both_missing] = 0.0
    return pi


def class_kl(pi: np.ndarray,
             classes: np.ndarray,
             num_classes: int,
             mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Monte-Carlo ``KL(p_T(z|c) || p_S(z|c))`` per class (Eq. 5).

    The mean of ``pi`` over the regions of each class (optionally only the
    rows in ``mask``).  A class with a ``+inf`` score (no source density)
    gets ``+inf``; otherwise one with ``-inf`` gets ``-inf``.

    Args:
        pi: ``[N]`` scores from :func:`density_score`.
        classes: ``int [N]`` region classes.
        num_classes: ``C``.
        mask: optional ``bool [N]`` rows to average over.

    Returns:
        ``float64 [C]``; NaN for a class without rows.
    """
    pi = np.asarray(pi, dtype=np.float64)
    classes = np.asarray(classes, dtype=np.int64)
    if pi.shape != classes.shape:
        raise ValueError(f'pi {pi.shape} and classes {classes.shape} differ')
    if np.isnan(pi).any():
        raise ValueError('pi contains NaN')
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        pi, classes = pi[mask], classes[mask]
    if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
        raise ValueError(f'classes must lie in [0, {num_classes})')
    out = np.full(num_classes, np.nan)
    for c in np.unique(classes):
        v = pi[classes == c]
        if np.isposinf(v).any():
            out[c] = np.inf
        elif np.isneginf(v).any():
            out[c] = -np.inf
        else:
            out[c] = float(v.mean())
    return out


# ------------------------------------------------------------------ Eq. 6
def class_weights(kl: np.ndarray,
                  eligible: Optional[np.ndarray] = None,
                  sigma: Sigma = 'log10',
                  temperature: float = 1.0) -> np.ndarray:
    """``sigma(KL_c)``: the unnormalised class weights of Eq. 6.

    Args:
        kl: ``[C]`` per-class KL estimates (NaN = class without regions).
        eligible: ``bool [C]`` classes that may receive budget (default: the
            non-NaN ones).  Others get weight 0.
        sigma: a name from :data:`SIGMA_FUNCTIONS` (see the module
            docstring) or a callable mapping the finite KL values of the
            eligible classes to non-negative weights.
        temperature: ``T`` of ``'zsoftmax'``, ``'softmax'``, ``'sigmoid'``.

    Returns:
        ``float64 [C]`` non-negative weights.  ``-inf`` KL gets 0; ``+inf``
        KL gets the largest weight of the finite classes (1 when none).
        With ``'log10'`` a KL of magnitude below 10 gets 0.
    """
    kl = np.asarray(kl, dtype=np.float64)
    if eligible is None:
        eligible = ~np.isnan(kl)
    eligible = np.asarray(eligible, dtype=bool) & ~np.isnan(kl)
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    w = np.zeros(kl.shape, dtype=np.float64)
    fin = eligible & np.isfinite(kl)
    v = kl[fin]
    if v.size:
        if callable(sigma):
            wv = np.asarray(sigma(v.copy()), dtype=np.float64)
            if wv.shape != v.shape or not np.isfinite(wv).all() or (wv
                                                                    < 0).any():
                raise ValueError('a callable sigma must return finite '
                                 'non-negative weights of the same shape')
        elif sigma == 'log10':
            mag = np.abs(v)
            wv = np.zeros_like(v)
            pos = mag > 0
            wv[pos] = np.maximum(np.trunc(np.log10(mag[pos])), 0.0)
        elif sigma == 'zsoftmax':
            std = v.std()
            z = (v - v.mean()) / std if std > 0 else np.zeros_like(v)
            wv = np.exp((z - z.max()) / temperature)
        elif sigma == 'softmax':
            wv = np.exp((v - v.max()) / temperature)
        elif sigma == 'relu':
            wv = np.maximum(v, 0.0)
            if wv.sum() <= 0:  # nothing is shifted: split evenly
                wv = np.ones_like(v)
        elif sigma == 'sigmoid':
            wv = 0.5 * (1.0 + np.tanh(0.5 * v / temperature))
        elif sigma == 'uniform':
            wv = np.ones_like(v)
        else:
            raise ValueError(f'sigma must be one of {SIGMA_FUNCTIONS} or a '
                             f'callable, got {sigma!r}')
        w[fin] = wv
    top = w[fin].max() if fin.any() else 1.0
    w[eligible & np.isposinf(kl)] = top if top > 0 else 1.0
    return w


def allocate_pixels(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` pixels in proportion to ``weights``, exactly.

    Largest-remainder (Hamilton) rounding: every class gets the floor of its
    quota, and the pixels left over go one each to the largest fractional
    parts (ties to the lower class index).

    Args:
        total: non-negative pixel count.
        weights: ``[C]`` non-negative weights.

    Returns:
        ``int64 [C]`` summing to ``total``; all zeros when every weight is
        0 (nothing can receive the budget).
    """
    weights = np.asarray(weights, dtype=np.float64)
    if int(total) != total or total < 0:
        raise ValueError(f'total must be a non-negative integer, got {total}')
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f'weights must be finite and >= 0, got {weights}')
    total = int(total)
    out = np.zeros(weights.shape, dtype=np.int64)
    s = weights.sum()
    if s <= 0 or total == 0:
        return out
    quota = weights / s * total
    out[:] = np.floor(quota).astype(np.int64)
    left = total - int(out.sum())
    if left > 0:
        frac = quota - out
        frac[weights <= 0] = -1.0
        order = np.lexsort((np.arange(frac.size), -frac))
        out[order[:left]] += 1
    elif left < 0:  # float round-off put a floor one too high
        order = np.lexsort((np.arange(out.size), -(out - quota)))
        for i in order[:(-left)]:
            out[i] -= 1
    return out


def category_budgets(kl: np.ndarray,
                     eligible: np.ndarray,
                     total: int,
                     sigma: Sigma = 'log10',
                     temperature: float = 1.0,
                     balance: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Per-class density budgets ``B_d,c`` (Eq. 6).

    Args:
        kl: ``[C]`` KL estimates from :func:`class_kl`.
        eligible: ``bool [C]`` classes with candidates; the others get 0
            and their share goes to the eligible ones.
        total: ``B_d`` pixels.
        sigma: see :func:`class_weights`.
        temperature: see :func:`class_weights`.
        balance: ``False`` splits evenly over the eligible classes (the
            "density w/o category balance" ablation, Table 2 (b)).

    Returns:
        tuple: ``int64 [C]`` budgets summing to ``total`` (all zero when no
        class is eligible) and the ``float64 [C]`` weights used.
    """
    eligible = np.asarray(eligible, dtype=bool)
    if balance:
        w = class_weights(kl, eligible, sigma, temperature)
        if w.sum() <= 0 and eligible.any():
            # e.g. every eligible class has KL = -inf, or every |KL| < 10
            # with 'log10': no density signal.
            w = eligible.astype(np.float64)
    else:
        w = eligible.astype(np.float64)
    return allocate_pixels(total, w), w


def buy_per_class(
    score: np.ndarray,
    classes: np.ndarray,
    cost: np.ndarray,
    budgets: np.ndarray,
    weights: Optional[np.ndarray] = None,
    tie: Optional[np.ndarray] = None,
    max_regions_per_class: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spend each class's budget on its best-scoring regions.

    Pass 1 walks each class's regions in descending ``score`` (ties by
    ``tie``, then row) with :func:`take_within_budget`.  Pixels a class
    could not spend (too few regions, or a remainder smaller than its next
    region) are pooled and re-split by ``weights`` over the classes that
    still have regions; this repeats at most ``C`` times and stops as soon
    as a pass buys nothing.  A last pass offers what is still unspent to the
    remaining regions of all weighted classes in global score order.  The
    total spent never exceeds ``budgets.sum()``; no row is bought twice.

    Args:
        score: ``[N]`` region scores (higher first; ``+-inf`` allowed).
        classes: ``int [N]`` region classes.
        cost: ``int [N]`` pixel costs (rows with cost 0 are never bought).
        budgets: ``int [C]`` per-class pixel budgets.
        weights: ``[C]`` weights for re-splitting unspent pixels (default:
            ``budgets``); classes with weight 0 receive none.
        tie: ``[N]`` tie-break keys (default: row order).
        max_regions_per_class: optional cap on regions bought per class.

    Returns:
        tuple: ``int64 [M]`` rows bought (in buying order), ``int64 [C]``
        pixels spent per class, ``int64 [C]`` regions bought per class.
    """
    score = np.asarray(score, dtype=np.float64)
    classes = np.asarray(classes, dtype=np.int64)
    cost = np.asarray(cost, dtype=np.int64)
    budgets = np.asarray(budgets, dtype=np.int64)
    n, C = score.shape[0], budgets.shape[0]
    if classes.shape != (n, ) or cost.shape != (n, ):
        raise ValueError('score, classes and cost must all be [N]')
    if np.isnan(score).any():
        raise ValueError('score contains NaN')
    if (budgets < 0).any():
        raise ValueError(f'budgets must be >= 0, got {budgets}')
    if n and (classes.min() < 0 or classes.max() >= C):
        raise ValueError(f'classes must lie in [0, {C})')
    weights = (
        budgets.astype(np.float64) if weights is None else np.asarray(
            weights, dtype=np.float64))
    tie = np.arange(n) if tie is None else np.asarray(tie)
    cap = np.iinfo(np.int64).max if max_regions_per_class is None else int(
        max_regions_per_class)
    order = np.lexsort((np.arange(n), tie, -score))
    order = order[cost[order] > 0]
    cls_sorted = classes[order]
    queues = [order[cls_sorted == c] for c in range(C)]
    spent = np.zeros(C, dtype=np.int64)
    count = np.zeros(C, dtype=np.int64)
    bought = []
    allowance = budgets.copy()
    total = int(budgets.sum())

    def _buy(rows: np.ndarray) -> None:
        bought.append(rows)
        for c in np.unique(classes[rows]):
            mine = rows[classes[rows] == c]
            spent[c] += int(cost[mine].sum())
            count[c] += mine.size
            queues[c] = queues[c][~np.isin(queues[c], mine)]

    for _ in range(max(C, 1)):
        progress = False
        for c in range(C):
            if allowance[c] <= 0 or queues[c].size == 0 or count[c] >= cap:
                continue
            take = take_within_budget(queues[c], cost, int(allowance[c]))
            take = take[:cap - count[c]]
            if take.size:
                _buy(take)
                progress = True
        unspent = total - int(spent.sum())
        open_ = (weights > 0) & np.array([q.size > 0 for q in queues]) & (
            count < cap)
        if unspent <= 0 or not progress or not open_.any():
            break
        allowance = allocate_pixels(unspent, np.where(open_, weights, 0.0))
    unspent = total - int(spent.sum())
    if unspent > 0:
        rest = [
            queues[c][:cap - count[c]] for c in range(C)
            if weights[c] > 0 and count[c] < cap
        ]
        rest = np.concatenate(rest) if rest else np.zeros(0, np.int64)
        if rest.size:
            rest = rest[np.lexsort((rest, tie[rest], -score[rest]))]
            take = take_within_budget(rest, cost, unspent)
            if take.size:
                _buy(take)
    index = (
        np.concatenate(bought).astype(np.int64) if bought else np.zeros(
            0, np.int64))
    return index, spent, count
