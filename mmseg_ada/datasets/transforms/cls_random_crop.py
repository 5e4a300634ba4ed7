"""Random crop of a fixed size for image classification."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['ClsRandomCrop']


@TRANSFORMS.register_module()
class ClsRandomCrop(BaseTransform):
    """Crop a random ``crop_size`` window of ``img`` (torchvision-style).

    The classification counterpart of torchvision's ``RandomCrop(224)``
    after ``Resize((256, 256))`` (LADA/SDM training transform).  mmcv has
    no random crop, and mmseg's ``RandomCrop`` is a segmentation crop
    (category-ratio retries).  The offset is uniform over all valid
    positions, drawn from numpy's global generator (seeded by mmengine per
    worker, like mmcv's other random transforms).

    Required keys: ``img``.  Modified keys: ``img``, ``img_shape``.
    Added key: ``crop_bbox`` (x1, y1, x2, y2 in the input image).

    Args:
        crop_size (int | tuple[int, int]): ``(h, w)`` or a square side.
        pad_if_needed (bool): Pad an image smaller than the crop with
            ``pad_val`` (bottom/right) instead of raising. Defaults to
            False.
        pad_val (float): Fill value for ``pad_if_needed``. Defaults to 0.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 pad_if_needed: bool = False,
                 pad_val: float = 0) -> None:
        super().__init__()
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        crop_size = tuple(int(c) for c in crop_size)
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError('crop_size must be a positive int or (h, w), '
                             f'got {crop_size}')
        self.crop_size: Tuple[int, int] = crop_size
        self.pad_if_needed = bool(pad_if_needed)
        self.pad_val = pad_val

    @cache_randomness
    def _offset(self, h: int, w: int) -> Tuple[int, int]:
        ch, cw = self.crop_size
        return (np.random.randint(0, h - ch + 1),
                np.random.randint(0, w - cw + 1))

    def transform(self, results: dict) -> Optional[dict]:
        """Crop ``results['img']`` at a random offset (padded first with
        ``pad_val`` if smaller and ``pad_if_needed``).

        Args:
            results: the pipeline's results (``img``).

        Returns:
            dict: ``results`` with the cropped ``img``, its ``img_shape``
            and ``crop_bbox`` (``[x1, y1, x2, y2]``).

        Raises:
            ValueError: If the image is smaller than the crop and
                ``pad_if_needed`` is off.
        """
        img = results['img']
        ch, cw = self.crop_size
        h, w = img.shape[:2]
        if h < ch or w < cw:
            if not self.pad_if_needed:
                raise ValueError(
                    f'image {results.get("img_path", "")!r} of size {h}x{w} '
                    f'is smaller than the crop {ch}x{cw}; resize it first '
                    'or set pad_if_needed=True')
            img = mmcv.impad(
                img, shape=(max(h, ch), max(w, cw)), pad_val=self.pad_val)
            h, w = img.shape[:2]
        y1, x1 = self._offset(h, w)
        results['img'] = img[y1:y1 + ch, x1:x1 + cw, ...]
        results['img_shape'] = results['img'].shape[:2]
        results['crop_bbox'] = np.array([x1, y1, x1 + cw, y1 + ch])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'pad_if_needed={self.pad_if_needed}, '
                f'pad_val={self.pad_val})')
