"""Transforms of mmseg-ada."""
from .cls_random_crop import ClsRandomCrop
from .load_active_label_mask import LoadActiveLabelMask
from .mix_weak_strong import MixWeakStrong, mix_views
from .pack_cls_inputs import PackClsInputs
from .rand_augment import RAND_AUGMENT_OPS, RandAugment

__all__ = [
    'ClsRandomCrop', 'LoadActiveLabelMask', 'MixWeakStrong',
    'PackClsInputs', 'RAND_AUGMENT_OPS', 'RandAugment', 'mix_views'
]
