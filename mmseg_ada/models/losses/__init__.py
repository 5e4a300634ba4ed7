"""Losses of mmseg-ada: ADA-MCU's contrastive units and DCCM, SDM's margin
loss."""
from .dccm import DCCM
from .mcu_contrastive_loss import MCUContrastiveLoss
from .mcu_seg_loss import masked_cross_entropy, masked_entropy
from .sdm_loss import SDMLoss, sdm_margin_terms
from .weighted_info_nce import weighted_info_nce

__all__ = [
    'DCCM', 'MCUContrastiveLoss', 'masked_cross_entropy', 'masked_entropy',
    'SDMLoss', 'sdm_margin_terms', 'weighted_info_nce'
]
