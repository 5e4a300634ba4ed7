"""Base class of the source datasets whose labels are converted offline."""
from __future__ import annotations

import copy
import logging
import os.path as osp
from typing import List, Optional

import mmengine
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset, CityscapesDataset

from .converted_pairs import (BROKEN_LIST_NAME, TRAIN_ID_SUFFIX,
                              list_converted_pairs)

__all__ = ['ConvertedSourceDataset']


class ConvertedSourceDataset(BaseSegDataset):
    """A source dataset whose labels are converted to Cityscapes trainIds.

    GTA5 and SYNTHIA ship labels that mmseg's ``LoadAnnotations`` cannot
    read, so ``tools/dataset_converters`` writes
    ``<label_dir>/<stem>_labelTrainIds.png`` next to every original label
    and lists unusable pairs in ``<data_root>/broken_pairs.txt``.  This base
    class lists the converted pairs (see
    :func:`~mmseg_ada.datasets.converted_pairs.list_converted_pairs`): pairs
    named in the broken list are left out with a warning; any other image
    without a converted label is an error naming the file and the converter
    command, so a missing label never crashes a running epoch.

    Subclasses set the class attributes ``IMG_DIR`` and ``LABEL_DIR`` (the
    default ``data_prefix`` below ``data_root``) and ``CONVERT_CMD`` (the
    converter command, with ``{root}`` for the dataset root).  It is not
    registered: configs use the subclasses.

    Args:
        img_suffix (str): Image suffix. Defaults to ``'.png'``.
        seg_map_suffix (str): Converted label suffix. Defaults to
            ``'_labelTrainIds.png'``.
        data_prefix (dict, optional): ``img_path`` / ``seg_map_path`` below
            ``data_root``; missing keys default to ``IMG_DIR`` /
            ``LABEL_DIR``.
        broken_list (str, optional): Broken-pair list (relative to
            ``data_root`` unless absolute); a missing file means none; None
            disables it. Defaults to ``'broken_pairs.txt'``.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`
            (``data_root``, ``ann_file`` with one stem per line,
            ``pipeline``, ...).
    """
    METAINFO = copy.deepcopy(CityscapesDataset.METAINFO)
    IMG_DIR: str = ''
    LABEL_DIR: str = ''
    CONVERT_CMD: str = ''

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = TRAIN_ID_SUFFIX,
                 data_prefix: Optional[dict] = None,
                 broken_list: Optional[str] = BROKEN_LIST_NAME,
                 **kwargs) -> None:
        if not (self.IMG_DIR and self.LABEL_DIR and self.CONVERT_CMD):
            raise TypeError(
                f'{type(self).__name__} must set the class attributes '
                'IMG_DIR, LABEL_DIR and CONVERT_CMD')
        self.broken_list = broken_list
        prefix = dict(img_path=self.IMG_DIR, seg_map_path=self.LABEL_DIR)
        prefix.update(data_prefix or {})
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """List image/converted-label pairs, leaving out broken ones.

        Returns:
            list[dict]: mmseg data infos (``img_path``, ``seg_map_path``,
            ``label_map``, ``reduce_zero_label``, ``seg_fields``).

        Raises:
            ValueError: If ``data_prefix`` lacks ``img_path`` or
                ``seg_map_path``.
            FileNotFoundError: If a folder, the split file, an image or a
                converted label is missing, or no pair is found.
        """
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path', None)
        seg_dir = self.data_prefix.get('seg_map_path', None)
        if not img_dir or not seg_dir:
            raise ValueError(f'{name}: data_prefix needs img_path and '
                             f'seg_map_path, got {self.data_prefix}')
        root = self.data_root or osp.dirname(osp.normpath(img_dir))
        broken_list = self.broken_list
        if broken_list and not osp.isabs(broken_list) and self.data_root:
            broken_list = osp.join(self.data_root, broken_list)
        stems = None
        if self.ann_file and not osp.isdir(self.ann_file):
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(
                    f'{name}: split file (ann_file) {self.ann_file!r} not '
                    'found')
            stems = [
                line.strip() for line in mmengine.list_from_file(
                    self.ann_file, backend_args=self.backend_args)
                if line.strip()
            ]
        pairs, excluded = list_converted_pairs(
            img_dir,
            seg_dir,
            self.img_suffix,
            self.seg_map_suffix,
            broken_list,
            self.CONVERT_CMD.format(root=root),
            stems=stems,
            dataset_name=name)
        if excluded:
            print_log(
                f'{name}: left out {len(excluded)} pair(s) listed as broken '
                f'in {broken_list}',
                logger='current',
                level=logging.WARNING)
        return [
            dict(
                img_path=img,
                seg_map_path=seg,
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for img, seg in pairs
        ]
