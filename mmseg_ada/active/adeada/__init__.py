"""ADeADA's math: density-based budgets, class densities and the GMM.

* :mod:`.budget`: the scores and budget arithmetic of the paper's Eqs. 2,
  5, 6 and 7 (density score, class KL, per-class budgets, the schedule of
  the density share);
* :mod:`.density`: the class-conditional densities ``p_S(z|c)`` and
  ``p_T(z|c)``;
* :mod:`.gmm`: the full-covariance Gaussian mixture fitted by EM in torch
  behind those densities.

The selection strategy itself is
:class:`~mmseg_ada.active.strategies.ADeADA`.
"""
from .budget import (SCHEDULE_POLICIES, SIGMA_FUNCTIONS, RoundBudget,
                     allocate_pixels, buy_per_class, category_budgets,
                     class_kl, class_weights, density_fraction, density_score,
                     split_round_budget)
from .density import ClassConditionalDensity, class_active_dims
from .gmm import TorchGMM

__all__ = [
    'RoundBudget', 'SCHEDULE_POLICIES', 'SIGMA_FUNCTIONS', 'density_fraction',
    'split_round_budget', 'density_score', 'class_kl', 'class_weights',
    'allocate_pixels', 'category_budgets', 'buy_per_class',
    'ClassConditionalDensity', 'class_active_dims', 'TorchGMM'
]
