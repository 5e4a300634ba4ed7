"""GTA5 (Playing for Data) as an MMSegmentation source dataset."""
from mmseg.registry import DATASETS

from .converted_pairs import GTA5_CONVERT_CMD, GTA5_IMG_DIR, GTA5_LABEL_DIR
from .converted_source import ConvertedSourceDataset

__all__ = ['GTA5Dataset']


@DATASETS.register_module()
class GTA5Dataset(ConvertedSourceDataset):
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
    command (see :class:`ConvertedSourceDataset`).

    Args:
        **kwargs: See :class:`ConvertedSourceDataset` (``data_prefix``
            defaults to ``images`` / ``labels`` below ``data_root``).
    """
    IMG_DIR = GTA5_IMG_DIR
    LABEL_DIR = GTA5_LABEL_DIR
    CONVERT_CMD = GTA5_CONVERT_CMD
