"""File-name helpers shared by the datasets, the stores and the oracles."""
from __future__ import annotations

import os.path as osp

__all__ = ['image_stem']


def image_stem(img_path: str, img_suffix: str) -> str:
    """File name of ``img_path`` without the dataset's image suffix.

    Args:
        img_path: the image file.
        img_suffix: the dataset's image suffix (e.g. ``'_leftImg8bit.png'``);
            when empty or not matching, the extension is dropped.

    Returns:
        str: the stem (the label store's key of the image).
    """
    name = osp.basename(img_path)
    return name[:-len(img_suffix)] if img_suffix and name.endswith(
        img_suffix) else osp.splitext(name)[0]
