"""Pack an image and its class label for the classifier."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmseg_ada.structures import ClsDataSample
from mmseg_ada.utils.reprs import attrs_repr

__all__ = ['PackClsInputs']


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """mmpretrain's ``PackInputs`` for :class:`ClsDataSample`.

    Produces ``inputs``: a ``[3, H, W]`` tensor of the image (its dtype
    kept, normally uint8 BGR; the data preprocessor normalises and flips
    channels) and ``data_samples``: a :class:`ClsDataSample` with
    ``gt_label`` (when the results have one) and the ``meta_keys`` found.

    Args:
        input_key (str): The image key. Defaults to ``'img'``.
        algorithm_keys (Sequence[str]): Further result keys stored as data
            fields of the sample. Defaults to ().
        meta_keys (Sequence[str]): Keys stored as meta information.
    """

    DEFAULT_META_KEYS = ('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                         'scale_factor', 'flip', 'flip_direction')

    def __init__(self,
                 input_key: str = 'img',
                 algorithm_keys: Sequence[str] = (),
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        self.input_key = input_key
        self.algorithm_keys = tuple(algorithm_keys)
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def format_input(img) -> torch.Tensor:
        """``[H, W]`` / ``[H, W, C]`` array -> ``[C, H, W]`` tensor.

        Args:
            img (np.ndarray | torch.Tensor): the image; a tensor is returned
                as is.

        Returns:
            torch.Tensor: the image, channels first, dtype kept.
        """
        if isinstance(img, torch.Tensor):
            return img
        if not isinstance(img, np.ndarray):
            raise TypeError(f'unsupported image type {type(img).__name__}')
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3:
            raise ValueError(f'expected an [H, W, C] image, got shape '
                             f'{img.shape}')
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> dict:
        """Pack ``results`` into ``inputs`` and ``data_samples``.

        Args:
            results: the pipeline's results.

        Returns:
            dict: ``inputs`` (if the image is there) and ``data_samples``.
        """
        packed = dict()
        if self.input_key in results:
            packed['inputs'] = self.format_input(results[self.input_key])
        sample = ClsDataSample()
        if 'gt_label' in results:
            sample.set_gt_label(results['gt_label'])
        if 'gt_score' in results:
            sample.set_gt_score(results['gt_score'])
        for key in self.algorithm_keys:
            if key in results:
                sample.set_field(results[key], key)
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        return attrs_repr(self, 'input_key', 'algorithm_keys', 'meta_keys')
