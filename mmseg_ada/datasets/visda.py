"""VisDA-2017 classification (Peng et al., 2017)."""
from __future__ import annotations

from mmseg.registry import DATASETS

from .image_list import ImageListDataset

__all__ = ['VisDADataset', 'VISDA_CLASSES']

#: The 12 classes, labels 0..11 of the official lists.
VISDA_CLASSES = ('aeroplane', 'bicycle', 'bus', 'car', 'horse', 'knife',
                 'motorcycle', 'person', 'plant', 'skateboard', 'train',
                 'truck')


@DATASETS.register_module()
class VisDADataset(ImageListDataset):
    """VisDA-2017: synthetic ``train`` (source) and real ``validation``.

    Layout of the Transfer-Learning-Library / LADA lists (paths relative to
    the root)::

        data/visda
        ├── train/aeroplane/src_1_02691156_....png
        ├── validation/aeroplane/aeroplane_1363018.jpg
        └── image_list/{train,validation}.txt

    The official ``train/image_list.txt`` holds paths relative to
    ``train/``: use ``ann_file='train/image_list.txt',
    data_prefix=dict(img_path='train')``.  VisDA reports the mean
    per-class accuracy (``ClsAccuracyMetric``'s ``mean_class_acc``).

    Args:
        **kwargs: See :class:`ImageListDataset`.
    """

    METAINFO = dict(classes=VISDA_CLASSES)
