"""Model-side utilities (ADA-MCU uncertainty, sampling, pixel picking)."""
from .mcu_adaptive_sampler import MCUAdaptiveSampler, split_quota
from .mcu_anchors import (anchor_mask, cap_per_class, class_centres,
                          gather_pixel_features)
from .mcu_uncertainty import kl_main_aux, mcu_uncertainty, normalized_entropy

__all__ = [
    'MCUAdaptiveSampler', 'anchor_mask', 'cap_per_class', 'class_centres',
    'gather_pixel_features', 'kl_main_aux', 'mcu_uncertainty',
    'normalized_entropy', 'split_quota'
]
