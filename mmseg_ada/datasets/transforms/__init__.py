"""Transforms of mmseg-ada."""
from .load_active_label_mask import LoadActiveLabelMask

__all__ = ['LoadActiveLabelMask']
