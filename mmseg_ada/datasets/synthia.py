"""SYNTHIA RAND-CITYSCAPES as an MMSegmentation source dataset."""
from mmseg.registry import DATASETS

from .converted_pairs import (SYNTHIA_CONVERT_CMD, SYNTHIA_IMG_DIR,
                              SYNTHIA_LABEL_DIR)
from .converted_source import ConvertedSourceDataset

__all__ = ['SynthiaDataset']


@DATASETS.register_module()
class SynthiaDataset(ConvertedSourceDataset):
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
    the file and the converter command (see
    :class:`ConvertedSourceDataset`).

    Args:
        **kwargs: See :class:`ConvertedSourceDataset` (``data_prefix``
            defaults to ``RGB`` / ``GT/LABELS`` below ``data_root``).
    """
    IMG_DIR = SYNTHIA_IMG_DIR
    LABEL_DIR = SYNTHIA_LABEL_DIR
    CONVERT_CMD = SYNTHIA_CONVERT_CMD
