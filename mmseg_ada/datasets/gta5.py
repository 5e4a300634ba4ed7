"""GTA5 (Playing for Data) as an MMSegmentation source dataset."""
from __future__ import annotations

import copy
from typing import List, Optional

from mmseg.datasets import BaseSegDataset, CityscapesDataset
from mmseg.registry import DATASETS

from .converters import (BROKEN_LIST_NAME, GTA5_CONVERT_CMD, GTA5_IMG_DIR,
                         GTA5_LABEL_DIR, TRAIN_ID_SUFFIX,
                         load_converted_data_list)

__all__ = ['GTA5Dataset']


@DATASETS.register_module()
class GTA5Dataset(BaseSegDataset):
    """GTA5 with labels converted to the 19 Cityscapes trainIds.

    Folder layout (the official download, plus the converted labels)::

        data/gta5
        ├── images
        │   ├── 00001.png
        │   └── ...
        ├── labels
        │   ├── 00001.png                  # palette PNG, Cityscapes ids
        │   ├── 00001_labelTrainIds.png    # written by the converter
        │   └── ...
        └── broken_pairs.txt               # written by the converter

    Convert once with ``python tools/dataset_converters/gta5.py data/gta5``.
    Pairs listed in ``broken_pairs.txt`` are left out; any other image
    without a converted label is an error naming the file and the converter
    command (so a missing label never crashes a running epoch).

    Args:
        img_suffix (str): Image suffix. Defaults to ``'.png'``.
        seg_map_suffix (str): Converted label suffix. Defaults to
            ``'_labelTrainIds.png'``.
        data_prefix (dict): ``img_path`` / ``seg_map_path`` below
            ``data_root``. Defaults to ``images`` / ``labels``.
        broken_list (str, optional): Broken-pair list (relative to
            ``data_root`` unless absolute); a missing file means none; None
            disables it. Defaults to ``'broken_pairs.txt'``.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``data_root``, ``ann_file`` with one stem per line,
            ``pipeline``, ...).
    """
    METAINFO = copy.deepcopy(CityscapesDataset.METAINFO)

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = TRAIN_ID_SUFFIX,
                 data_prefix: Optional[dict] = None,
                 broken_list: Optional[str] = BROKEN_LIST_NAME,
                 **kwargs) -> None:
        self.broken_list = broken_list
        prefix = dict(img_path=GTA5_IMG_DIR, seg_map_path=GTA5_LABEL_DIR)
        prefix.update(data_prefix or {})
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """List image/converted-label pairs, leaving out broken ones.

        Returns:
            list[dict]: Data infos with ``img_path`` and ``seg_map_path``.

        Raises:
            FileNotFoundError: If a folder, the split file, an image or a
                converted label is missing, or no pair is found.
        """
        return load_converted_data_list(self, GTA5_CONVERT_CMD,
                                        type(self).__name__)
