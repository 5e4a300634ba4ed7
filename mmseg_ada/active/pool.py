"""Pools of candidate units and what a strategy picks from them.

A *unit* is what one purchase buys: a region of an image (its cost is the
region's unlabelled pixels), a single pixel (cost 1) or a whole image (cost
1).  A selection pass turns the model's outputs on the target pool into one
:class:`UnitPool` (one row per unit); a strategy ranks the rows and returns
a :class:`Selection` whose total cost stays within the round's budget.
Strategies never see ground truth.

Rows whose ``cost`` is 0 are already labelled.  They stay in the pool
because some methods need the whole domain (ADeADA fits ``p_T`` on all
target regions; LAS looks for neighbours among all target samples), but they
are never bought.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence

import numpy as np

__all__ = [
    'UNIT_KINDS', 'UnitPool', 'Selection', 'take_within_budget', 'check_bought'
]

#: The kinds of unit the engine knows.
UNIT_KINDS = ('region', 'pixel', 'image')


@dataclass
class UnitPool:
    """Candidate units of one selection pass.

    Every array has one row per unit (first dimension ``N``).

    Args:
        image_index: ``int64 [N]`` dataset index of the unit's image.
        unit_id: ``int64 [N]`` the unit inside its image: the region id
            (region units), the flat pixel index ``y * W + x`` at the image's
            full resolution (pixel units), 0 (image units).
        cost: ``int64 [N]`` what buying the unit adds to the store: its
            unlabelled pixels (regions), 1 (an unlabelled pixel or image), 0
            (already labelled: never bought).
        prob: ``float32 [N, C]`` class probabilities (the region's mean
            softmax for regions), or ``None``.
        feature: ``float32 [N, D]`` embedding (the region's mean 256-d
            feature, an image's bottleneck feature), or ``None``.
        stats: per-row scalar scores by name (``'entropy'``,
            ``'confidence'``, ``'margin'``, ...), each ``[N]``.
        extras: further per-row outputs a strategy declared it ``requires``
            (``'aux_prob'``, ``'domain'``, ...), each ``[N, ...]``.
        kind: ``'region'``, ``'pixel'`` or ``'image'``.
    """

    image_index: np.ndarray
    unit_id: np.ndarray
    cost: np.ndarray
    prob: Optional[np.ndarray] = None
    feature: Optional[np.ndarray] = None
    stats: Dict[str, np.ndarray] = field(default_factory=dict)
    extras: Dict[str, np.ndarray] = field(default_factory=dict)
    kind: str = 'region'

    def __post_init__(self) -> None:
        if self.kind not in UNIT_KINDS:
            raise ValueError(f'UnitPool.kind must be one of {UNIT_KINDS}, '
                             f'got {self.kind!r}')
        self.image_index = np.asarray(self.image_index, dtype=np.int64)
        self.unit_id = np.asarray(self.unit_id, dtype=np.int64)
        self.cost = np.asarray(self.cost, dtype=np.int64)
        n = int(self.cost.shape[0])
        for name, value in self._arrays().items():
            if value is not None and int(np.shape(value)[0]) != n:
                raise ValueError(f'UnitPool.{name} has {np.shape(value)[0]} '
                                 f'rows, cost has {n}')
        if self.prob is not None and np.ndim(self.prob) != 2:
            raise ValueError('UnitPool.prob must be [N, C], got shape '
                             f'{np.shape(self.prob)}')
        if n and self.cost.min() < 0:
            raise ValueError(f'UnitPool.cost must be >= 0, got '
                             f'{self.cost.min()}')

    def _arrays(self) -> Dict[str, Any]:
        out = dict(
            image_index=self.image_index,
            unit_id=self.unit_id,
            prob=self.prob,
            feature=self.feature)
        out.update({f'stats[{k!r}]': v for k, v in self.stats.items()})
        out.update({f'extras[{k!r}]': v for k, v in self.extras.items()})
        return out

    def __len__(self) -> int:
        return int(self.cost.shape[0])

    @property
    def candidates(self) -> np.ndarray:
        """``bool [N]``: rows that can be bought (``cost > 0``)."""
        return self.cost > 0

    @property
    def num_classes(self) -> int:
        """``C`` (0 when the pool has no probabilities)."""
        return 0 if self.prob is None else int(self.prob.shape[1])

    @property
    def pred_class(self) -> np.ndarray:
        """``int64 [N]`` argmax of ``prob`` (a region's class in ADeADA)."""
        if self.prob is None:
            raise ValueError('the pool has no probabilities')
        return self.prob.argmax(axis=1).astype(np.int64)

    def stat(self, name: str) -> np.ndarray:
        """The per-row statistic ``name``.

        Args:
            name: key of :attr:`stats`.

        Returns:
            np.ndarray: ``float64 [N]``.

        Raises:
            KeyError: naming the statistics present, if ``name`` is absent.
        """
        if name not in self.stats:
            raise KeyError(f'the {self.kind} pool has no stats[{name!r}] '
                           f'(has {sorted(self.stats)})')
        return np.asarray(self.stats[name], dtype=np.float64)

    def extra(self, name: str) -> np.ndarray:
        """The per-row output ``name``.

        Args:
            name: key of :attr:`extras`.

        Returns:
            np.ndarray: the stored ``[N, ...]`` array, as is.

        Raises:
            KeyError: naming the extras present, if ``name`` is absent.
        """
        if name not in self.extras:
            raise KeyError(
                f'the {self.kind} pool has no extras[{name!r}] (has '
                f'{sorted(self.extras)}); declare it in the strategy\'s '
                '`requires` so the selection pass collects it')
        return self.extras[name]

    def subset(self, index: np.ndarray) -> 'UnitPool':
        """The rows ``index`` of this pool, as a new pool.

        Args:
            index: row indices or a ``bool [N]`` mask, applied to every
                per-row array (``stats`` and ``extras`` included).

        Returns:
            UnitPool: the selected rows, same ``kind``.
        """

        def take(v):
            return None if v is None else v[index]

        return UnitPool(
            image_index=self.image_index[index],
            unit_id=self.unit_id[index],
            cost=self.cost[index],
            prob=take(self.prob),
            feature=take(self.feature),
            stats={
                k: v[index]
                for k, v in self.stats.items()
            },
            extras={
                k: v[index]
                for k, v in self.extras.items()
            },
            kind=self.kind)

    @classmethod
    def cat(cls, pools: Sequence['UnitPool']) -> 'UnitPool':
        """Concatenate pools (per image, or gathered from ranks).

        All pools must be of one kind, with the same stats and extras keys
        and all or none probabilities and features.

        Args:
            pools: at least one pool.

        Returns:
            UnitPool: the rows of all pools, in order.
        """
        pools = list(pools)
        if not pools:
            raise ValueError('UnitPool.cat needs at least one pool')
        first = pools[0]
        for p in pools[1:]:
            if p.kind != first.kind:
                raise ValueError('UnitPool.cat: pools of different kinds '
                                 f'({first.kind!r}, {p.kind!r})')
            if set(p.stats) != set(first.stats) or set(p.extras) != set(
                    first.extras):
                raise ValueError('UnitPool.cat: pools have different stats '
                                 'or extras keys')

        def cat_opt(name):
            vals = [getattr(p, name) for p in pools]
            have = [v is not None for v in vals]
            if any(have) and not all(have):
                raise ValueError(f'UnitPool.cat: some pools have {name} and '
                                 'some do not')
            return np.concatenate(vals) if all(have) else None

        return cls(
            image_index=np.concatenate([p.image_index for p in pools]),
            unit_id=np.concatenate([p.unit_id for p in pools]),
            cost=np.concatenate([p.cost for p in pools]),
            prob=cat_opt('prob'),
            feature=cat_opt('feature'),
            stats={
                k: np.concatenate([p.stats[k] for p in pools])
                for k in first.stats
            },
            extras={
                k: np.concatenate([p.extras[k] for p in pools])
                for k in first.extras
            },
            kind=first.kind)


@dataclass
class Selection:
    """What a strategy bought.

    Args:
        index: ``int64 [M]`` rows of the pool that were bought, in the order
            they were chosen.
        info: JSON-serialisable facts for the round report (budgets per
            class, shares, ...); :mod:`mmseg_ada.visualization` draws them.
    """

    index: np.ndarray
    info: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = np.asarray(self.index, dtype=np.int64).reshape(-1)

    @classmethod
    def empty(cls) -> 'Selection':
        """Nothing bought."""
        return cls(np.zeros(0, np.int64), dict(spent=0))

    @classmethod
    def bought(cls, pool: 'UnitPool', index: np.ndarray,
               **info: Any) -> 'Selection':
        """The rows ``index`` of ``pool``, ``info`` led by what they cost.

        Args:
            pool: the pool that ``index`` indexes.
            index: the bought rows, in the order they were chosen.
            **info: further facts for the round report.

        Returns:
            Selection: ``info`` is ``dict(spent=..., **info)``.
        """
        return cls(index, dict(spent=int(pool.cost[index].sum()), **info))


def take_within_budget(order: np.ndarray, cost: np.ndarray,
                       budget: int) -> np.ndarray:
    """Walk ``order`` and keep every row whose cost still fits the budget.

    Rows that would overflow the remaining budget are skipped (a smaller row
    further down may still fit), so the spent total never exceeds ``budget``
    and, at the end, every row not kept costs more than what is left.
    Rows with zero cost are skipped: they would buy nothing.

    Args:
        order: row indices in preference order (best first).
        cost: ``[N]`` cost of every row of the pool (``>= 0``).
        budget: what may be spent.

    Returns:
        ``int64 [M]`` the kept rows, in preference order.
    """
    order = np.asarray(order, dtype=np.int64).ravel()
    cost = np.asarray(cost)
    if cost.size and cost.min() < 0:
        raise ValueError(f'unit costs must be >= 0, got {cost.min()}')
    c = cost.astype(np.int64)[order]
    budget = int(budget)
    if budget <= 0 or order.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Rows of cost 0 are dropped first; then the prefix that fits without
    # any skipping is taken at once.
    order, c = order[c > 0], c[c > 0]
    csum = np.cumsum(c)
    n_prefix = int(np.searchsorted(csum, budget, side='right'))
    keep = [order[:n_prefix]]
    left = budget - (int(csum[n_prefix - 1]) if n_prefix else 0)
    # Slow path over the remainder: skip rows that do not fit.  Only rows
    # that fit the budget left now can ever fit later.
    rest_order, rest_cost = order[n_prefix:], c[n_prefix:]
    if left > 0 and rest_order.size:
        extra = []
        for i in np.flatnonzero(rest_cost <= left):
            if rest_cost[i] <= left:
                extra.append(rest_order[i])
                left -= int(rest_cost[i])
                if left <= 0:
                    break
        keep.append(np.asarray(extra, dtype=np.int64))
    return np.concatenate(keep).astype(np.int64)


def check_bought(pool: UnitPool,
                 selection: Selection,
                 budget: int,
                 round_idx: int,
                 strategy: str = 'the strategy',
                 cost_unit: str = 'units',
                 labeled: int = 0,
                 total: Optional[int] = None) -> Optional[str]:
    """Refuse a round that buys nothing although its budget is not 0.

    A round that spends nothing must not pass silently (a run would report
    success for rounds that bought nothing).  The one legitimate case is a
    target with nothing left to buy (``labeled >= total``): then a note
    says so, for the caller to log and record in the round's report.

    Args:
        pool: the round's pool.
        selection: the strategy's picks.
        budget: the round's budget, in the units' cost.
        round_idx: the round.
        strategy: the strategy's name, for the message.
        cost_unit: what costs count (``'pixels'``, ``'images'``).
        labeled: units' cost labelled before this round.
        total: the cost of the whole target (``None``: unknown).

    Returns:
        str | None: ``None`` when the picks spend something (or the budget
        is 0); the note when the target is exhausted.

    Raises:
        RuntimeError: naming the round, its budget and why nothing fits.
    """
    spent = int(pool.cost[selection.index].sum()) if len(pool) else 0
    if spent > 0 or int(budget) <= 0:
        return None
    unit = pool.kind
    if total is not None and int(labeled) >= int(total):
        return (f'active round {round_idx}: bought 0 {unit}s (budget '
                f'{budget} {cost_unit}): the pool is exhausted, all '
                f'{total} {cost_unit} of the target are labelled')
    cost = pool.cost[pool.cost > 0]
    head = (f'active round {round_idx}: {strategy} bought 0 {unit}s with '
            f'a budget of {budget} {cost_unit}')
    if not cost.size:
        raise RuntimeError(
            f'{head}: the pool offered no unlabelled {unit} although '
            f'{int(labeled)} of {total} {cost_unit} of the target are '
            'labelled (pixel units size their candidates by the budget: '
            'raise train_cfg.budget)')
    fit = int((cost <= int(budget)).sum())
    if not fit:
        raise RuntimeError(
            f'{head}: the cheapest unlabelled {unit} costs '
            f'{int(cost.min())} {cost_unit}, more than the budget. Raise '
            f'train_cfg.budget so that every round buys at least '
            f'{int(cost.min())} {cost_unit}')
    raise RuntimeError(
        f'{head}, although {fit} of the {cost.size} unlabelled {unit}s fit '
        f'it (the cheapest costs {int(cost.min())} {cost_unit}): the '
        'strategy selected none; check its settings (e.g. per-class '
        'budgets or filters that leave nothing to buy)')
