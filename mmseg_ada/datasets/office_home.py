"""Office-Home (Venkateswara et al., CVPR 2017)."""
from __future__ import annotations

from typing import Optional

from mmseg.registry import DATASETS

from .image_list import ImageListDataset

__all__ = ['OfficeHomeDataset', 'OFFICE_HOME_CLASSES']

#: The 65 classes in the order of the most used lists (labels 0..64 of the
#: Transfer-Learning-Library, LADA and SDM ``{Art,Clipart,Product,
#: Real_World}.txt``: Drill = 0, ..., Marker = 64).
OFFICE_HOME_CLASSES = (
    'Drill', 'Exit_Sign', 'Bottle', 'Glasses', 'Computer', 'File_Cabinet',
    'Shelf', 'Toys', 'Sink', 'Laptop', 'Kettle', 'Folder', 'Keyboard',
    'Flipflops', 'Pencil', 'Bed', 'Hammer', 'ToothBrush', 'Couch', 'Bike',
    'Postit_Notes', 'Mug', 'Webcam', 'Desk_Lamp', 'Telephone', 'Helmet',
    'Mouse', 'Pen', 'Monitor', 'Mop', 'Sneakers', 'Notebook', 'Backpack',
    'Alarm_Clock', 'Push_Pin', 'Paper_Clip', 'Batteries', 'Radio', 'Fan',
    'Ruler', 'Pan', 'Screwdriver', 'Trash_Can', 'Printer', 'Speaker', 'Eraser',
    'Bucket', 'Chair', 'Calendar', 'Calculator', 'Flowers', 'Lamp_Shade',
    'Spoon', 'Candles', 'Clipboards', 'Scissors', 'TV', 'Curtains', 'Fork',
    'Soda', 'Table', 'Knives', 'Oven', 'Refrigerator', 'Marker')

CLASS_ORDERS = {
    'common': OFFICE_HOME_CLASSES,
    # dictionary order ignoring case (..., Trash_Can, TV, Webcam): the
    # RS-UT lists shipped with LADA
    'alphabetical': tuple(sorted(OFFICE_HOME_CLASSES, key=str.lower)),
    # Python's sorted(): upper case first (..., Spoon, TV, Table, ...), what
    # torchvision's ImageFolder assigns to the folders
    'ascii': tuple(sorted(OFFICE_HOME_CLASSES)),
}


@DATASETS.register_module()
class OfficeHomeDataset(ImageListDataset):
    """Office-Home: domains Art, Clipart, Product, Real_World.

    Layout::

        data/office_home
        ├── Art/Drill/00001.jpg
        ├── Clipart/ ... Product/ ... Real_World/
        └── image_list/{Art,Clipart,Product,Real_World}.txt

    Lists disagree on the label order; pick the one of your lists:

    * ``class_order='common'`` (default): Drill = 0, Exit_Sign = 1, ...,
      Marker = 64 (:data:`OFFICE_HOME_CLASSES`; Transfer-Learning-Library,
      LADA, SDM, CDAN lists);
    * ``'alphabetical'``: Alarm_Clock = 0, ..., Drill = 16, ..., TV = 63,
      Webcam = 64 (case ignored; LADA's RS-UT lists);
    * ``'ascii'``: like ``'alphabetical'`` but upper case first, so TV = 58
      comes before Table = 59 (torchvision ``ImageFolder`` indices).

    The folder check of :class:`ImageListDataset` tells a wrong choice
    from the first mismatching line.

    Args:
        class_order (str): ``'common'``, ``'alphabetical'`` or ``'ascii'``.
        metainfo (dict, optional): Overrides (e.g. your own ``classes``).
        **kwargs: See :class:`ImageListDataset`.
    """

    METAINFO = dict(classes=OFFICE_HOME_CLASSES)
    CLASS_ORDER_HINT = (" Office-Home lists come in several orders: try "
                        "class_order='common', 'alphabetical' or 'ascii'.")

    def __init__(self,
                 class_order: str = 'common',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if class_order not in CLASS_ORDERS:
            raise ValueError(f'class_order must be one of '
                             f'{sorted(CLASS_ORDERS)}, got {class_order!r}')
        self.class_order = class_order
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', CLASS_ORDERS[class_order])
        super().__init__(metainfo=metainfo, **kwargs)
