"""How much each round may buy: the budget schedule of a run."""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

__all__ = ['round_budgets']

Number = Union[int, float]


def _amount(x: Number, total_cost: int, name: str) -> int:
    """A fraction in ``(0, 1]`` of ``total_cost`` (floor) or a count."""
    if isinstance(x, bool):
        raise TypeError(f'{name} must be a number, got {x!r}')
    if isinstance(x, float):
        if not 0.0 < x <= 1.0:
            raise ValueError(f'{name}={x} must be a fraction in (0, 1] of the '
                             f'pool (or an integer count of units)')
        return int(x * total_cost + 1e-9)
    if int(x) != x or int(x) < 1:
        raise ValueError(f'{name}={x!r} must be a positive integer count of '
                         'units or a fraction in (0, 1] of the pool')
    return int(x)


def round_budgets(total_cost: int,
                  num_rounds: int,
                  per_round: Optional[Union[Number, Sequence[Number]]] = None,
                  total: Optional[Number] = None) -> List[int]:
    """The budget of every round, in the units' cost.

    Exactly one of ``per_round`` and ``total`` is given:

    * ``per_round=0.01``: every round buys ``floor(0.01 * total_cost)`` (a
      float is a fraction of the pool: pixels for region and pixel units,
      images for image units); ``per_round=50``: 50 units per round; a list
      gives each round its own amount.
    * ``total=0.05`` (or a count): ``T = round(0.05 * total_cost)`` split over
      the rounds as ``floor(T / K)`` each, the remainder to the last round
      (LADA's and CLUE's protocol).

    Args:
        total_cost: the cost of the whole pool (all pixels / images).
        num_rounds: ``K``.
        per_round: see above.
        total: see above.

    Returns:
        list: ``K`` non-negative integers; their sum never exceeds
        ``total_cost``.
    """
    total_cost = int(total_cost)
    num_rounds = int(num_rounds)
    if num_rounds < 1:
        raise ValueError(f'num_rounds must be >= 1, got {num_rounds}')
    if (per_round is None) == (total is None):
        raise ValueError('give exactly one of per_round and total '
                         f'(got per_round={per_round!r}, total={total!r})')
    if per_round is not None:
        if isinstance(per_round, (list, tuple)):
            if len(per_round) != num_rounds:
                raise ValueError(f'per_round has {len(per_round)} entries '
                                 f'for {num_rounds} rounds')
            out = [
                _amount(x, total_cost, f'per_round[{i}]')
                for i, x in enumerate(per_round)
            ]
        else:
            out = [_amount(per_round, total_cost, 'per_round')] * num_rounds
    else:
        if isinstance(total, float):
            if not 0.0 < total <= 1.0:
                raise ValueError(f'total={total} must be a fraction in '
                                 '(0, 1] of the pool or an integer count')
            t = int(round(total * total_cost))
        else:
            t = _amount(total, total_cost, 'total')
        base = t // num_rounds
        out = [base] * num_rounds
        out[-1] += t - base * num_rounds
    if sum(out) > total_cost:
        raise ValueError(
            f'the rounds would buy {sum(out)} units but the pool has '
            f'{total_cost}: lower the budget or the number of rounds')
    return out
