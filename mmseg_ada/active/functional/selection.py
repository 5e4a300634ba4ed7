"""Small helpers shared by strategies that override ``select``."""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Tuple

import numpy as np

__all__ = ['check_budget', 'describe', 'sklearn_seed', 'grow_until_spent']


def check_budget(budget: Any) -> int:
    """``budget`` as an int, or a clear error if it is not a count >= 0.

    Args:
        budget: the requested budget; must equal a non-negative integer
            (``3`` and ``3.0`` pass, ``2.5``, ``-1`` and ``'3'`` raise).

    Returns:
        int: the budget.

    Raises:
        ValueError: if ``budget`` is not a non-negative integer.
    """
    try:
        ok = int(budget) == budget and budget >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f'budget must be a non-negative integer, got '
                         f'{budget!r}')
    return int(budget)


def describe(values: Any) -> Dict[str, float]:
    """JSON-safe summary (``n``, ``min``, ``mean``, ``median``, ``max``).

    Args:
        values: numbers of any shape (flattened, as ``float64``).

    Returns:
        dict: plain Python ``int``/``float`` values; only ``n=0`` when
        ``values`` is empty.
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if v.size == 0:
        return dict(n=0)
    return dict(
        n=int(v.size),
        min=float(v.min()),
        mean=float(v.mean()),
        median=float(np.median(v)),
        max=float(v.max()))


def sklearn_seed(rng: np.random.Generator) -> int:
    """An ``int`` ``random_state`` for scikit-learn drawn from ``rng``.

    Args:
        rng: generator to draw from (advanced by one ``integers`` draw).

    Returns:
        int: a seed in ``[0, 2**31 - 1)``.
    """
    return int(rng.integers(0, 2**31 - 1))


def grow_until_spent(pick: Callable[[int], np.ndarray], cost: np.ndarray,
                     budget: int) -> Tuple[np.ndarray, int]:
    """Picks of a count-based rule (k-means++ seeds, one row per k-means
    centre) spent on units of unequal cost (regions): ``k`` starts at the
    number of average candidates the budget buys, ``ceil(budget / mean
    cost)``, and doubles while every one of the ``k`` picks still fits, so
    the picks fill the budget; they are then walked in order, keeping every
    pick that fits (:func:`~mmseg_ada.active.pool.take_within_budget`).

    Args:
        pick: ``k -> int64 [k]`` rows of ``cost`` in preference order (a
            rule whose first ``k`` picks do not depend on how many more are
            asked for, e.g. seeded k-means++, grows consistently).
        cost: ``[N]`` costs of the candidate rows (all ``> 0``).
        budget: what may be spent.

    Returns:
        tuple: the kept rows (``int64``, in pick order) and the final ``k``.
    """
    from ..pool import take_within_budget
    cost = np.asarray(cost, dtype=np.int64)
    n = int(cost.size)
    if n == 0 or budget <= 0:
        return np.zeros(0, dtype=np.int64), 0
    k = min(n, max(1, math.ceil(budget / float(cost.mean()))))
    while True:
        order = np.asarray(pick(k), dtype=np.int64)
        index = take_within_budget(order, cost, budget)
        if index.size < order.size or k >= n or int(
                cost[index].sum()) >= budget:
            return index, k
        k = min(n, 2 * k)
