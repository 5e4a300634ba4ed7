"""Small helpers shared by strategies that override ``select``."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

__all__ = ['check_budget', 'describe', 'sklearn_seed']


def check_budget(budget: Any) -> int:
    """``budget`` as an int, or a clear error if it is not a count >= 0."""
    try:
        ok = int(budget) == budget and budget >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f'budget must be a non-negative integer, got '
                         f'{budget!r}')
    return int(budget)


def describe(values: Any) -> Dict[str, float]:
    """JSON-safe summary (``n``, ``min``, ``mean``, ``median``, ``max``)."""
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
    """An ``int`` ``random_state`` for scikit-learn drawn from ``rng``."""
    return int(rng.integers(0, 2**31 - 1))
