"""A poly learning-rate schedule that restarts at every round."""
from __future__ import annotations

from typing import Optional, Sequence, Union

from mmengine.optim.optimizer import BaseOptimWrapper
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler
from mmseg.registry import PARAM_SCHEDULERS
from torch.optim import Optimizer

__all__ = ['RestartPolyLR']


@PARAM_SCHEDULERS.register_module()
class RestartPolyLR(_ParamScheduler):
    """Poly decay within each period, back to the base lr at each restart.

    In step ``t`` of a period of ``P`` steps the lr of every parameter
    group is ``eta_min + (base - eta_min) * (1 - t / (P - 1)) ** power``
    (``base`` is the group's initial lr, heads' multipliers included), the
    same closed form as mmengine's ``PolyLR`` over ``begin..end``.
    mmengine's chainable ``PolyLR`` cannot restart: it multiplies the
    current value, so after decaying to 0 it stays 0.

    ADeADA's fine-tuning step ("SGD with the initial learning rate 2.5e-4
    and the decay rate 0.9" after every selection) is
    ``periods=[iters_per_round] * num_rounds``.

    Args:
        optimizer: the optimizer (or wrapper).
        periods: the length of each period in steps.
        power: the poly power.
        eta_min: the value at the end of each period.
        begin: step of the first period's start.
        end: accepted for mmengine (which fills in the run's length); the
            schedule ends after the periods.
        last_step: as in mmengine's schedulers.
        by_epoch: steps are epochs (default: iterations).
        verbose: print each update.
    """

    def __init__(self,
                 optimizer: Union[Optimizer, BaseOptimWrapper],
                 periods: Sequence[int],
                 power: float = 0.9,
                 eta_min: float = 0.0,
                 begin: int = 0,
                 end: Optional[int] = None,
                 last_step: int = -1,
                 by_epoch: bool = False,
                 verbose: bool = False) -> None:
        periods = [int(p) for p in periods]
        if not periods or min(periods) < 1:
            raise ValueError(f'periods must be positive lengths, got '
                             f'{periods}')
        self.periods = periods
        self.power = float(power)
        self.eta_min = float(eta_min)
        super().__init__(
            optimizer,
            param_name='lr',
            begin=begin,
            end=begin + sum(periods),
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    def factor(self, step: int) -> float:
        """The decay factor at ``step`` steps after ``begin``.

        Args:
            step: steps since ``begin`` (within ``sum(periods)``).

        Returns:
            float: ``(1 - min(t, P - 1) / (P - 1)) ** power`` for step ``t``
            of its period of ``P`` steps (``P - 1`` at least 1).
        """
        start = 0
        for p in self.periods:
            if step < start + p:
                break
            start += p
        t = step - start
        span = max(p - 1, 1)
        return (1.0 - min(t, span) / span)**self.power

    def _get_value(self):
        f = self.factor(self.last_step)
        return [
            self.eta_min + (base - self.eta_min) * f
            for base in self.base_values
        ]
