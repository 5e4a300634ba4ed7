"""Model-side utilities (ADA-MCU pixel sampling and anchors)."""
from .mcu_adaptive_sampler import MCUAdaptiveSampler, split_quota
from .mcu_anchors import (anchor_mask, cap_per_class, class_argmax,
                          class_centres, gather_pixel_features,
                          pixel_sampling_grid)

__all__ = [
    'MCUAdaptiveSampler', 'anchor_mask', 'cap_per_class', 'class_argmax',
    'class_centres', 'gather_pixel_features', 'pixel_sampling_grid',
    'split_quota'
]
