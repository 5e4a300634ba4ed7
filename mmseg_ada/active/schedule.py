"""The schedule of a run's rounds: when each starts and what it may buy."""
from __future__ import annotations

import bisect
import math
from typing import Callable, List, Optional, Sequence, Union

__all__ = ['RoundSchedule', 'round_budgets', 'ROUNDINGS']

Number = Union[int, float]

ROUNDINGS = ('floor', 'ceil', 'round')


class RoundSchedule:
    """The training iterations at which a run's selection rounds start.

    Round ``k`` (1-based) starts at iteration ``starts[k - 1]`` and trains
    until the next round starts or the run ends (``max_iters``).

    Args:
        starts: the rounds' start iterations, increasing (empty: a run
            without rounds).
        max_iters: the run's training iterations.
    """

    def __init__(self, starts: Sequence[int], max_iters: int) -> None:
        self.starts = tuple(int(s) for s in starts)
        self.max_iters = int(max_iters)

    def __len__(self) -> int:
        return len(self.starts)

    def rounds_started(self, it: int) -> int:
        """Rounds started at or before iteration ``it``.

        Args:
            it: training iteration.

        Returns:
            int: the count (0 = none yet).
        """
        return bisect.bisect_right(self.starts, it)

    def round_start(self, round_idx: int) -> int:
        """The iteration at which round ``round_idx`` starts.

        Args:
            round_idx: 1-based round; 0 (or less) is the training before
                any round.

        Returns:
            int: the start iteration (0 for round 0).

        Raises:
            ValueError: if ``round_idx`` exceeds the number of rounds.
        """
        if round_idx <= 0:
            return 0
        if round_idx > len(self.starts):
            raise ValueError(
                f'round {round_idx} of a run with {len(self.starts)} rounds')
        return self.starts[round_idx - 1]

    def round_ends(self) -> List[int]:
        """Iterations after which a round's training is complete."""
        return list(self.starts[1:]) + [self.max_iters] if self.starts \
            else []

    def pretraining_end(self) -> Optional[int]:
        """The iteration that ends training before the first round (the
        model the first round selects with), if there is such training."""
        return self.starts[0] if self.starts and self.starts[0] > 0 else None


def _round(value: float, rounding: str) -> int:
    """``value`` (a fraction times the pool) to a whole count of units.

    A tolerance of ``1e-9`` keeps ``0.01 * 800 = 8.000000000000002`` at 8
    under ``'ceil'`` and ``0.29 * 100 = 28.999999999999996`` at 29 under
    ``'floor'``.
    """
    if rounding == 'floor':
        return int(math.floor(value + 1e-9))
    if rounding == 'ceil':
        return int(math.ceil(value - 1e-9))
    return int(round(value))


def _amount(x: Number,
            total_cost: int,
            name: str,
            rounding: str = 'floor') -> int:
    """A fraction in ``(0, 1]`` of ``total_cost`` (rounded by ``rounding``)
    or a count."""
    if isinstance(x, bool):
        raise TypeError(f'{name} must be a number, got {x!r}')
    if isinstance(x, float):
        if not 0.0 < x <= 1.0:
            raise ValueError(f'{name}={x} must be a fraction in (0, 1] of the '
                             f'pool (or an integer count of units)')
        return _round(x * total_cost, rounding)
    if int(x) != x or int(x) < 1:
        raise ValueError(f'{name}={x!r} must be a positive integer count of '
                         'units or a fraction in (0, 1] of the pool')
    return int(x)


def round_budgets(total_cost: int,
                  num_rounds: int,
                  per_round: Optional[Union[Number, Sequence[Number]]] = None,
                  total: Optional[Number] = None,
                  rounding: Optional[str] = None,
                  min_cost: Union[int, Callable[[int], int]] = 1,
                  unit: str = 'unit',
                  cost_unit: str = 'units') -> List[int]:
    """The budget of every round, in the units' cost.

    Exactly one of ``per_round`` and ``total`` is given:

    * ``per_round=0.01``: every round buys ``floor(0.01 * total_cost)`` (a
      float is a fraction of the pool: pixels for region and pixel units,
      images for image units); ``per_round=50``: 50 units per round; a list
      gives each round its own amount.
    * ``total=0.05`` (or a count): ``T = round(0.05 * total_cost)`` split over
      the rounds as ``floor(T / K)`` each, the remainder to the last round
      (LADA's and CLUE's protocol).

    ``rounding`` turns a fraction of the pool into a count: ``'floor'``,
    ``'ceil'`` or ``'round'``; ``None`` (the default) floors a ``per_round``
    fraction and rounds a ``total`` fraction, as above.  SDM ("Learning
    Distinctive Margin toward Active Domain Adaptation") buys "1% of target
    data" per round and its released logs buy 8 of Office-31 Webcam's 795
    images (7.95) and 5 of DSLR's 498 (4.98): ``per_round=0.01,
    rounding='ceil'``.  Counts are never rounded.

    A budget that buys nothing in some round (``per_round=0.0001`` of a
    1000-unit pool, ``total=2`` over 3 rounds) is refused, naming the rounds
    and the smallest budget that buys one unit in every round: a run must
    never report success for rounds that bought nothing.  The same holds
    for a round budget below the cheapest unit's cost (``min_cost``, e.g.
    the smallest region's pixels): the refusal names the round, its budget,
    the cheapest unit's cost and the smallest ``per_round`` / ``total``
    that buys one unit (cost-weighted).

    Args:
        total_cost: the cost of the whole pool (all pixels / images).
        num_rounds: ``K``.
        per_round: see above.
        total: see above.
        rounding (str, optional): ``'floor'``, ``'ceil'`` or ``'round'``
            for fractions of the pool; see above.
        min_cost (int | callable): the cost of the cheapest unit (1 for
            pixels and images), or a function of a bound that returns the
            cost of some unit costing at most the bound if there is one,
            else the cheapest unit's cost (a region pool need not read
            every region map to accept a budget).
        unit (str): the unit's name for messages (``'region'``).
        cost_unit (str): what costs are counted in (``'pixels'``).

    Returns:
        list: ``K`` positive integers; their sum never exceeds
        ``total_cost``.
    """
    total_cost = int(total_cost)
    num_rounds = int(num_rounds)
    if num_rounds < 1:
        raise ValueError(f'num_rounds must be >= 1, got {num_rounds}')
    if (per_round is None) == (total is None):
        raise ValueError('give exactly one of per_round and total '
                         f'(got per_round={per_round!r}, total={total!r})')
    if rounding is not None and rounding not in ROUNDINGS:
        raise ValueError(f'rounding must be one of {ROUNDINGS} (or None), '
                         f'got {rounding!r}')
    per_round_rounding = rounding or 'floor'
    if per_round is not None:
        if isinstance(per_round, (list, tuple)):
            if len(per_round) != num_rounds:
                raise ValueError(f'per_round has {len(per_round)} entries '
                                 f'for {num_rounds} rounds')
            out = [
                _amount(x, total_cost, f'per_round[{i}]', per_round_rounding)
                for i, x in enumerate(per_round)
            ]
        else:
            out = [
                _amount(per_round, total_cost, 'per_round', per_round_rounding)
            ] * num_rounds
    else:
        if isinstance(total, float):
            if not 0.0 < total <= 1.0:
                raise ValueError(f'total={total} must be a fraction in '
                                 '(0, 1] of the pool or an integer count')
            t = _round(total * total_cost, rounding or 'round')
        else:
            t = _amount(total, total_cost, 'total')
        base = t // num_rounds
        out = [base] * num_rounds
        out[-1] += t - base * num_rounds
    cheapest = (
        int(min_cost(min(out))) if callable(min_cost) else int(min_cost))
    _check_no_empty_round(out, total_cost, per_round, total,
                          per_round_rounding, rounding or 'round',
                          max(1, cheapest), unit, cost_unit)
    if sum(out) > total_cost:
        raise ValueError(
            f'the rounds would buy {sum(out)} units but the pool has '
            f'{total_cost}: lower the budget or the number of rounds')
    return out


def _ceil_fraction(x: float, total_cost: int, enough) -> str:
    """The shortest decimal ``>= x`` (at most 6 significant digits) that
    ``enough`` accepts, as text."""
    for digits in range(1, 7):
        exp = math.floor(math.log10(x)) - digits + 1
        value = math.ceil(round(x / 10**exp, 9)) * 10**exp
        text = f'{value:.{max(0, -exp)}f}'
        if '.' in text:  # 0.0010 -> 0.001
            text = text.rstrip('0').rstrip('.')
        if float(text) <= 1.0 and enough(float(text)):
            return text
    return repr(x)


def _first_empty_per_round(per_round, empty: List[int]) -> tuple:
    """``(name, value)`` of the ``per_round`` entry of the first round in
    ``empty`` (``per_round`` itself when it is one amount for all)."""
    if isinstance(per_round, (list, tuple)):
        return f'per_round[{empty[0] - 1}]', per_round[empty[0] - 1]
    return 'per_round', per_round


def _smallest_per_round(cost: int, total_cost: int, rounding: str) -> str:
    """The smallest ``per_round`` fraction of ``total_cost`` that buys
    ``cost`` under ``rounding``, as text."""
    return _ceil_fraction(cost / total_cost, total_cost,
                          lambda f: _round(f * total_cost, rounding) >= cost)


def _check_no_empty_round(out: List[int],
                          total_cost: int,
                          per_round,
                          total,
                          per_round_rounding: str,
                          total_rounding: str,
                          cost: int = 1,
                          unit: str = 'unit',
                          cost_unit: str = 'units') -> None:
    """Refuse a schedule with a round that buys nothing: a budget below
    ``cost``, the cheapest unit's."""
    empty = [k + 1 for k, b in enumerate(out) if b < cost]
    if not empty:
        return
    rounds = (f'round {empty[0]}'
              if len(empty) == 1 else f"rounds {', '.join(map(str, empty))}")
    pool = f'a pool of {total_cost} units'
    if total_cost < len(out) or total_cost < 1:
        raise ValueError(
            f'the budget buys nothing in {rounds} of {len(out)}: {pool} '
            f'cannot give each of {len(out)} rounds one unit; use fewer '
            'rounds or a larger pool')
    if cost > 1:
        _refuse_below_cost(out, empty, rounds, total_cost, per_round, total,
                           per_round_rounding, total_rounding, cost, unit,
                           cost_unit)
    if per_round is not None:
        name, value = _first_empty_per_round(per_round, empty)
        fraction = _smallest_per_round(1, total_cost, per_round_rounding)
        raise ValueError(
            f'budget {name}={value!r} buys 0 units in {rounds} '
            f'({per_round_rounding}({value!r} x {pool}) = 0): the smallest '
            f'{name} that buys one unit is {fraction} (a fraction) or 1 (a '
            'count)')
    K = len(out)
    fraction = _ceil_fraction(
        K / total_cost, total_cost,
        lambda f: _round(f * total_cost, total_rounding) >= K)
    raise ValueError(
        f'budget total={total!r} ({sum(out)} units of {pool}) over {K} '
        f'rounds buys 0 units in {rounds} (floor({sum(out)} / {K}) = 0 per '
        'round, the remainder to the last round): the smallest total that '
        f'buys one unit in every round is {K} (a count) or {fraction} (a '
        'fraction)')


def _refuse_below_cost(out: List[int], empty: List[int], rounds: str,
                       total_cost: int, per_round, total,
                       per_round_rounding: str, total_rounding: str, cost: int,
                       unit: str, cost_unit: str) -> None:
    """The refusal of round budgets below the cheapest unit's ``cost``
    (> 1): the smallest budgets named buy one unit, cost-weighted."""
    K = len(out)
    budget_text = ', '.join(f'round {k}: {out[k - 1]}' for k in empty[:5])
    if len(empty) > 5:
        budget_text += ', ...'
    head = (f'the budget of {rounds} ({budget_text} {cost_unit}) is less '
            f'than the cheapest {unit} ({cost} {cost_unit}): it buys 0 '
            f'{unit}s. The budget is in {cost_unit}, of a pool of '
            f'{total_cost} {cost_unit}')
    if per_round is not None:
        name, value = _first_empty_per_round(per_round, empty)
        fraction = _smallest_per_round(cost, total_cost, per_round_rounding)
        raise ValueError(
            f'budget {name}={value!r}: {head}. The smallest {name} that '
            f'buys one unit (a {unit} of {cost} {cost_unit}) is {fraction} '
            f'(a fraction) or {cost} (a count of {cost_unit})')
    fraction = _ceil_fraction(
        K * cost / total_cost, total_cost,
        lambda f: _round(f * total_cost, total_rounding) // K >= cost)
    raise ValueError(
        f'budget total={total!r} over {K} rounds: {head} (floor(total / '
        f'{K}) per round, the remainder to the last round). The smallest '
        f'total that buys one unit (a {unit} of {cost} {cost_unit}) in '
        f'every round is {K * cost} (a count of {cost_unit}) or {fraction} '
        '(a fraction)')
