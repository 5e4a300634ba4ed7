"""The active-learning core: pure algorithms on arrays and tensors.

Nothing here imports another package of ``mmseg_ada``.
"""
from . import strategies  # noqa: F401
from .strategies import (BaseActiveStrategy, RegionPool, Selection,
                         take_within_budget)
from .label_store import LabelStore
from .pooling import build_region_pool, pixel_uncertainty, pool_by_region
from .regions import (RegionCache, grid_regions, precompute_regions,
                      regions_to_mask, slic_regions)
from .strategies import (ActiveConfidence, ActiveEntropy, ActiveMargin,
                         ActiveRandom)

__all__ = ['BaseActiveStrategy', 'RegionPool', 'Selection', 'take_within_budget',
           'LabelStore', 'build_region_pool', 'pixel_uncertainty',
           'pool_by_region', 'RegionCache', 'grid_regions',
           'precompute_regions', 'regions_to_mask', 'slic_regions',
           'ActiveConfidence', 'ActiveEntropy', 'ActiveMargin', 'ActiveRandom']
