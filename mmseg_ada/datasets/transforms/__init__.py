"""Transforms of mmseg-ada."""
from .cls_random_crop import ClsRandomCrop
from .load_active_label_mask import LoadActiveLabelMask
from .pack_cls_inputs import PackClsInputs

__all__ = ['ClsRandomCrop', 'LoadActiveLabelMask', 'PackClsInputs']
