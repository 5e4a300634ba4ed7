"""Losses of mmseg-ada (ADA-MCU's contrastive units and DCCM)."""
from .dccm import DCCM
from .mcu_contrastive_loss import MCUContrastiveLoss
from .mcu_seg_loss import masked_cross_entropy, masked_entropy
from .weighted_info_nce import weighted_info_nce

__all__ = [
    'DCCM', 'MCUContrastiveLoss', 'masked_cross_entropy', 'masked_entropy',
    'weighted_info_nce'
]
