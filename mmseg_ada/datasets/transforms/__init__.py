"""Transforms of mmseg-ada."""
from .add_pixel_index import AddPixelIndex
from .cls_random_crop import ClsRandomCrop
from .load_active_label_mask import LoadActiveLabelMask
from .pack_cls_inputs import PackClsInputs
from .pack_pixel_index import PackPixelIndex

__all__ = [
    'AddPixelIndex', 'ClsRandomCrop', 'LoadActiveLabelMask', 'PackClsInputs',
    'PackPixelIndex'
]
