"""Pack a segmentation sample together with its pixel index map."""
from __future__ import annotations

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from .add_pixel_index import PIXEL_INDEX_KEY


@TRANSFORMS.register_module()
class PackPixelIndex(PackSegInputs):
    """:class:`PackSegInputs` that also packs ``gt_pixel_index``.

    The data sample gets ``gt_pixel_index``, a ``PixelData`` whose ``data``
    is int64 ``[1, H, W]`` (``.shape == (H, W)``, the image's): the flat
    index ``y * W_orig + x`` of the original-image pixel each pixel comes
    from, **-1 for padding**.  After mmcv's ``Pad`` (which pads bottom/right
    and ignores the map; it leaves ``pad_fixed_size``/``pad_size_divisor`` in
    ``results``) a map smaller than the image is padded bottom/right with
    -1; any other size mismatch means a geometric transform skipped the map
    and raises ``ValueError``.  Without ``gt_pixel_index`` in
    ``results`` this is exactly :class:`PackSegInputs`.

    Args:
        **kwargs: Arguments of :class:`PackSegInputs` (``meta_keys``).
    """

    def transform(self, results: dict) -> dict:
        """Pack inputs, labels (if any) and the pixel index map.

        Args:
            results (dict): Result dict of the pipeline.

        Returns:
            dict: ``inputs`` and ``data_samples`` as :class:`PackSegInputs`,
            the sample carrying ``gt_pixel_index``.
        """
        packed = super().transform(results)
        index = results.get(PIXEL_INDEX_KEY)
        if index is None:
            return packed
        index = np.asarray(index)
        img_hw = tuple(results['img'].shape[:2])
        # mmcv's Pad leaves these keys; only then may the map be smaller
        padded = ('pad_fixed_size' in results or 'pad_size_divisor' in results)
        fits = (
            index.ndim == 2 and index.shape[0] <= img_hw[0]
            and index.shape[1] <= img_hw[1])
        if not fits or (not padded and index.shape != img_hw):
            raise ValueError(
                f'PackPixelIndex: gt_pixel_index has shape {index.shape} but '
                f'the image {img_hw}: a geometric transform moved the image '
                'but not the index map (use mmseg\'s Resize/RandomFlip/'
                'RandomCrop, i.e. default_scope="mmseg", and put '
                'AddPixelIndex right after LoadImageFromFile); image: '
                f"{results.get('img_path', '?')}")
        out = torch.full(img_hw, -1, dtype=torch.int64)
        out[:index.shape[0], :index.shape[1]] = torch.from_numpy(
            index.astype(np.int64))
        packed['data_samples'].set_data(
            {PIXEL_INDEX_KEY: PixelData(data=out[None])})
        return packed
