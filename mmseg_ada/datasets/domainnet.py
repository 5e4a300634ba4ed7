"""DomainNet (Peng et al., ICCV 2019): 345 classes, or MME's 126."""
from __future__ import annotations

from typing import Optional, Union

from mmseg.registry import DATASETS

from .image_list import ImageListDataset, read_class_names

__all__ = ['DomainNetDataset', 'DOMAINNET_CLASSES', 'DOMAINNET126_CLASSES']

#: The labels 0..344 of the official ``<domain>_{train,test}.txt`` lists
#: (folder names; alphabetical up to a few case/punctuation quirks), one a
#: line in ``class_names/domainnet345.txt``.
DOMAINNET_CLASSES = read_class_names('domainnet345.txt')

#: The 126 classes of MME's SSDA DomainNet lists (``data/txt/multi`` of
#: VisionLearningGroup/SSDA_MME), used by SAGE; labels 0..125 in this order
#: (the order of the 345-class list), one a line in
#: ``class_names/domainnet126.txt``.
DOMAINNET126_CLASSES = read_class_names('domainnet126.txt')

SUBSETS = {'345': DOMAINNET_CLASSES, '126': DOMAINNET126_CLASSES}


@DATASETS.register_module()
class DomainNetDataset(ImageListDataset):
    """DomainNet image lists.

    Domains: clipart, infograph, painting, quickdraw, real, sketch.
    Official lists ``<domain>_train.txt`` / ``<domain>_test.txt`` hold
    ``<domain>/<class>/<file>.jpg <label>`` relative to the dataset root::

        data/domainnet
        ├── clipart/aircraft_carrier/clipart_001_000018.jpg
        ├── ...
        ├── clipart_train.txt
        └── clipart_test.txt

    Args:
        subset (str | int): ``'345'`` (all classes, official lists) or
            ``'126'`` (the subset of MME / SAGE with their
            ``labeled_source_images_<domain>.txt`` etc. lists, labels
            0..125). Defaults to ``'345'``.
        metainfo (dict, optional): Overrides (e.g. your own ``classes``).
        **kwargs: See :class:`ImageListDataset`.
    """

    METAINFO = dict(classes=DOMAINNET_CLASSES)
    CLASS_ORDER_HINT = (" Lists of MME's 126-class subset need "
                        "subset='126'.")

    def __init__(self,
                 subset: Union[str, int] = '345',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        subset = str(subset)
        if subset not in SUBSETS:
            raise ValueError(f"subset must be '345' or '126', got {subset!r}")
        self.subset = subset
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', SUBSETS[subset])
        super().__init__(metainfo=metainfo, **kwargs)
