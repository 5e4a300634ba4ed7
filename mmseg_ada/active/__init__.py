"""The active-learning core: pure algorithms on arrays and tensors.

Nothing here imports another package of ``mmseg_ada``.
"""
from . import strategies  # noqa: F401
from .strategies import (BaseActiveStrategy, RegionPool, Selection,
                         take_within_budget)
from .budget import (RoundBudget, allocate_pixels, buy_per_class,
                     category_budgets, class_kl, class_weights,
                     density_fraction, density_score, split_round_budget)
from .density import ClassConditionalDensity, class_active_dims
from .gmm import TorchGMM
from .label_store import LabelStore
from .pooling import build_region_pool, pixel_uncertainty, pool_by_region
from .regions import (RegionCache, grid_regions, precompute_regions,
                      regions_to_mask, slic_regions)
from .strategies import (ActiveADeADA, ActiveConfidence, ActiveEntropy,
                         ActiveMargin, ActiveRandom)

__all__ = ['BaseActiveStrategy', 'RegionPool', 'Selection', 'take_within_budget',
           'LabelStore', 'build_region_pool', 'pixel_uncertainty',
           'pool_by_region', 'RegionCache', 'grid_regions',
           'precompute_regions', 'regions_to_mask', 'slic_regions',
           'ActiveConfidence', 'ActiveEntropy', 'ActiveMargin', 'ActiveRandom',
           'ActiveADeADA', 'RoundBudget', 'allocate_pixels', 'buy_per_class',
           'category_budgets', 'class_kl', 'class_weights', 'density_fraction',
           'density_score', 'split_round_budget', 'ClassConditionalDensity',
           'class_active_dims', 'TorchGMM']
