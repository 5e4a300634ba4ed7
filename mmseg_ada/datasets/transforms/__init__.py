"""Transforms of mmseg-ada."""
from .add_pixel_index import AddPixelIndex
from .load_active_label_mask import LoadActiveLabelMask
from .pack_pixel_index import PackPixelIndex

__all__ = ['AddPixelIndex', 'LoadActiveLabelMask', 'PackPixelIndex']
