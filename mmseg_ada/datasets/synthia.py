"""SYNTHIA RAND-CITYSCAPES as an MMSegmentation source dataset."""
from __future__ import annotations

import copy
from typing import List, Optional

from mmseg.datasets import BaseSegDataset, CityscapesDataset
from mmseg.registry import DATASETS

from .converters import (BROKEN_LIST_NAME, SYNTHIA_CONVERT_CMD,
                         SYNTHIA_IMG_DIR, SYNTHIA_LABEL_DIR, TRAIN_ID_SUFFIX,
                         load_converted_data_list)

__all__ = ['SynthiaDataset']


@DATASETS.register_module()
class SynthiaDataset(BaseSegDataset):
    """SYNTHIA RAND-CITYSCAPES with labels converted to Cityscapes trainIds.

    The converted labels live in the 19-class Cityscapes trainId space; only
    the 16 SYNTHIA classes occur in them (terrain, truck and train are 255),
    so evaluate with ``SynthiaIoUMetric`` (16-class mIoU and 13-class mIoU*).

    Folder layout (the official download, plus the converted labels)::

        data/synthia
        ├── RGB
        │   ├── 0000000.png
        │   └── ...
        ├── GT
        │   └── LABELS
        │       ├── 0000000.png                # 16-bit, 3 channels, id in R
        │       ├── 0000000_labelTrainIds.png  # written by the converter
        │       └── ...
        └── broken_pairs.txt                   # written by the converter

    Convert once with ``python tools/dataset_converters/synthia.py
    data/synthia`` (mmseg's loader casts labels to uint8, so the 16-bit
    labels cannot be read online).  Pairs listed in ``broken_pairs.txt`` are
    left out; any other image without a converted label is an error naming
    the file and the converter command.

    Args:
        img_suffix (str): Image suffix. Defaults to ``'.png'``.
        seg_map_suffix (str): Converted label suffix. Defaults to
            ``'_labelTrainIds.png'``.
        data_prefix (dict): ``img_path`` / ``seg_map_path`` below
            ``data_root``. Defaults to ``RGB`` / ``GT/LABELS``.
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
        prefix = dict(
            img_path=SYNTHIA_IMG_DIR, seg_map_path=SYNTHIA_LABEL_DIR)
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
        return load_converted_data_list(self, SYNTHIA_CONVERT_CMD,
                                        type(self).__name__)
