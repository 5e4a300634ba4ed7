"""Office-31 (Saenko et al., ECCV 2010)."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .image_list import ImageListDataset

__all__ = ['Office31Dataset', 'OFFICE31_CLASSES']

#: The 31 classes, alphabetical: the labels of the common
#: ``image_list/{amazon,dslr,webcam}.txt`` lists.
OFFICE31_CLASSES = ('back_pack', 'bike', 'bike_helmet', 'bookcase', 'bottle',
                    'calculator', 'desk_chair', 'desk_lamp',
                    'desktop_computer', 'file_cabinet', 'headphones',
                    'keyboard', 'laptop_computer', 'letter_tray',
                    'mobile_phone', 'monitor', 'mouse', 'mug',
                    'paper_notebook', 'pen', 'phone', 'printer', 'projector',
                    'punchers', 'ring_binder', 'ruler', 'scissors', 'speaker',
                    'stapler', 'tape_dispenser', 'trash_can')


@DATASETS.register_module()
class Office31Dataset(ImageListDataset):
    """Office-31: domains amazon (A), dslr (D), webcam (W).

    The common layout (Transfer-Learning-Library, LADA, SDM lists)::

        data/office31
        ├── amazon/images/back_pack/frame_0001.jpg
        ├── dslr/images/...
        ├── webcam/images/...
        └── image_list/{amazon,dslr,webcam}.txt   # amazon/images/... 0

    Lists written with another prefix (LADA: ``office31//amazon/...``, SDM:
    ``/root/amazon/...``) load with ``path_rewrite``.

    Args:
        **kwargs: See :class:`ImageListDataset`.
    """

    METAINFO = dict(classes=OFFICE31_CLASSES)
