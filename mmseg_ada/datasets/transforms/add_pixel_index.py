"""Tag every pixel of a loaded image with its flat index in that image."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

#: Key of the index map in ``results`` (and of the packed data sample field).
PIXEL_INDEX_KEY = 'gt_pixel_index'
#: The largest image (in pixels) whose indices int32 holds exactly.
MAX_PIXELS = int(np.iinfo(np.int32).max)


@TRANSFORMS.register_module()
class AddPixelIndex(BaseTransform):
    """Add ``gt_pixel_index``, the identity index map of the loaded image.

    ``results['gt_pixel_index'][y, x] = y * W + x`` for the ``H x W`` image
    just loaded (put this transform right after ``LoadImageFromFile``, before
    any geometric transform).  The key is appended to ``seg_fields``, so
    mmseg's geometric transforms move it exactly like a label map:
    ``RandomResize``/``Resize`` (nearest interpolation), ``RandomCrop``
    (slicing; use ``cat_max_ratio=1`` on an unlabelled target, the ratio reads
    ``gt_seg_map``), ``RandomFlip`` and ``RandomRotFlip``.  After the pipeline
    every pixel of the crop still names the pixel of the *original* image it
    comes from, which is how an online acquisition maps crop pixels to the
    pixels it buys (see :class:`PackPixelIndex`).

    Encoding: the map is **int32**.  cv2's nearest resize (``mmcv.imresize``)
    silently returns int32 for an int64 input (opencv 5), and handles int32
    exactly (checked by the tests against a uint8 label map through the same
    pipeline), so int32 is the dtype that survives unchanged; images of more
    than 2**31 - 1 pixels are refused.  :class:`PackPixelIndex` turns it into
    int64 and pads it with -1.

    Note that only mmseg's ``Resize``/``RandomFlip``/``RandomCrop`` honour
    ``seg_fields``; mmcv's namesakes move ``gt_seg_map`` only.  Inside an
    mmseg config (``default_scope='mmseg'``) ``RandomResize`` builds mmseg's
    ``Resize``; :class:`PackPixelIndex` raises if the map and the image
    disagree in size, so a transform that skipped the map cannot go
    unnoticed.  mmcv's ``Pad`` does not pad the map either; that is fine: it
    pads bottom/right, and :class:`PackPixelIndex` pads the map the same way
    with -1.

    Required keys: ``img``.
    Added keys: ``gt_pixel_index``, ``seg_fields`` (if missing).
    Modified keys: ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        """Add the index map.

        Args:
            results (dict): Result dict with a loaded ``img``.

        Returns:
            dict: ``results`` with ``gt_pixel_index`` (int32 ``[H, W]``).
        """
        img = results.get('img')
        if img is None:
            raise KeyError(
                'AddPixelIndex needs results["img"] (put it right after '
                f"LoadImageFromFile); image: {results.get('img_path', '?')}")
        h, w = img.shape[:2]
        if h * w > MAX_PIXELS:
            raise ValueError(
                f'AddPixelIndex: image {results.get("img_path", "?")} has '
                f'{h}x{w} = {h * w} pixels, more than int32 indices can '
                f'address ({MAX_PIXELS})')
        results[PIXEL_INDEX_KEY] = np.arange(
            h * w, dtype=np.int32).reshape(h, w)
        fields = results.setdefault('seg_fields', [])
        if PIXEL_INDEX_KEY not in fields:
            fields.append(PIXEL_INDEX_KEY)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
