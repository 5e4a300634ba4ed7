"""Transforms of mmseg-ada."""
from .add_pixel_index import AddPixelIndex
from .cls_random_crop import ClsRandomCrop
from .load_bought_labels import LoadBoughtLabels
from .mix_weak_strong import MixWeakStrong, mix_views
from .pack_cls_inputs import PackClsInputs
from .pack_pixel_index import PackPixelIndex
from .rand_augment import RAND_AUGMENT_OPS, RandAugment

__all__ = [
    'AddPixelIndex', 'ClsRandomCrop', 'LoadBoughtLabels', 'MixWeakStrong',
    'PackClsInputs', 'PackPixelIndex', 'RAND_AUGMENT_OPS', 'RandAugment',
    'mix_views'
]
