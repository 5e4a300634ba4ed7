"""RandAugment with mmcv's image operations (LADA's strong view)."""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmseg_ada.utils.reprs import attrs_repr

__all__ = ['RandAugment', 'RAND_AUGMENT_OPS']

#: Cutout fill, (125, 123, 114) RGB as BGR.
_CUTOUT_BGR = (114, 123, 125)


def _signed(v: float) -> float:
    """``v`` or ``-v`` with probability 1/2 (numpy's global generator)."""
    return -v if np.random.rand() > 0.5 else v


def _solarize_add(img: np.ndarray, v: float) -> np.ndarray:
    out = np.clip(img.astype(np.int64) + int(v), 0, 255).astype(np.uint8)
    return mmcv.solarize(out, 128)


#: name -> (op(img, value), value at magnitude 0, value at the maximum)
RAND_AUGMENT_OPS: Dict[str, Tuple[Callable, float, float]] = {
    'AutoContrast': (lambda img, v: mmcv.auto_contrast(img), 0, 1),
    'Equalize': (lambda img, v: mmcv.imequalize(img), 0, 1),
    'Invert': (lambda img, v: mmcv.iminvert(img), 0, 1),
    'Rotate': (lambda img, v: mmcv.imrotate(img, _signed(v)), 0, 30),
    'Posterize': (lambda img, v: mmcv.posterize(img, max(1, int(v))), 0, 4),
    'Solarize': (lambda img, v: mmcv.solarize(img, v), 0, 256),
    'SolarizeAdd': (_solarize_add, 0, 110),
    'Color': (lambda img, v: mmcv.adjust_color(img, v), 0.1, 1.9),
    'Contrast': (lambda img, v: mmcv.adjust_contrast(img, v), 0.1, 1.9),
    'Brightness': (lambda img, v: mmcv.adjust_brightness(img, v), 0.1, 1.9),
    'Sharpness': (lambda img, v: mmcv.adjust_sharpness(img, v), 0.1, 1.9),
    'ShearX':
    (lambda img, v: mmcv.imshear(img, _signed(v), 'horizontal'), 0., 0.3),
    'ShearY':
    (lambda img, v: mmcv.imshear(img, _signed(v), 'vertical'), 0., 0.3),
    'CutoutAbs': (lambda img, v: mmcv.cutout(img, int(v), _CUTOUT_BGR)
                  if int(v) > 0 else img, 0, 40),
    'TranslateXAbs':
    (lambda img, v: mmcv.imtranslate(img, _signed(v), 'horizontal'), 0., 100),
    'TranslateYAbs':
    (lambda img, v: mmcv.imtranslate(img, _signed(v), 'vertical'), 0., 100),
}


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """RandAugment (Cubuk et al., 2020): ``num_ops`` random operations.

    The variant LADA uses for its strong view (``RandAugment(1, 2.0)``,
    the 16 operations of the widely copied ``pytorch-randaugment``
    implementation): each call draws ``num_ops`` operations uniformly with
    replacement and applies each at the value ``magnitude / magnitude_max *
    (max - min) + min`` of its range; Rotate, Shear and Translate flip the
    sign of their value with probability 1/2.  The ranges (magnitude 0 ->
    ``magnitude_max``): AutoContrast, Equalize, Invert (no value), Rotate
    0-30 degrees, Posterize 0-4 bits (at least 1), Solarize threshold
    0-256, SolarizeAdd 0-110 (add, clip, solarise at 128), Color,
    Contrast, Brightness and Sharpness factors 0.1-1.9, ShearX/Y 0-0.3,
    CutoutAbs 0-40 pixels (grey fill), TranslateX/YAbs 0-100 pixels.  At
    LADA's magnitude 2 (of 30) most are mild, but Posterize (1 bit),
    Solarize (threshold ~17) and the enhancement factors (0.22) are strong.

    Everything is done with ``mmcv.image`` on the BGR ``uint8`` image;
    random draws use numpy's global generator (seeded per sample by the
    engine, like mmcv's other random transforms).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.
    Added key: ``rand_augment_ops`` (the names applied).

    Args:
        num_ops (int): Operations per image ``N``. Defaults to 1.
        magnitude (float): ``M``. Defaults to 2.0.
        magnitude_max (float): The scale of ``M``. Defaults to 30.
        ops (Sequence[str], optional): A subset of
            :data:`RAND_AUGMENT_OPS` (default: all 16).
    """

    def __init__(self,
                 num_ops: int = 1,
                 magnitude: float = 2.0,
                 magnitude_max: float = 30.0,
                 ops: Optional[Sequence[str]] = None) -> None:
        super().__init__()
        if int(num_ops) < 0:
            raise ValueError(f'RandAugment: num_ops must be >= 0, got '
                             f'{num_ops}')
        if not 0 <= float(magnitude) <= float(magnitude_max) or not float(
                magnitude_max) > 0:
            raise ValueError('RandAugment: need 0 <= magnitude <= '
                             f'magnitude_max, got {magnitude}, '
                             f'{magnitude_max}')
        ops = list(RAND_AUGMENT_OPS) if ops is None else list(ops)
        unknown = [o for o in ops if o not in RAND_AUGMENT_OPS]
        if unknown or not ops:
            raise ValueError(f'RandAugment: unknown ops {unknown}; choose '
                             f'from {list(RAND_AUGMENT_OPS)}')
        self.num_ops = int(num_ops)
        self.magnitude = float(magnitude)
        self.magnitude_max = float(magnitude_max)
        self.ops = ops

    def value(self, name: str) -> float:
        """The (unsigned) value of operation ``name`` at the magnitude.

        Args:
            name: a key of :data:`RAND_AUGMENT_OPS`.

        Returns:
            float: ``magnitude / magnitude_max * (max - min) + min``.
        """
        _, low, high = RAND_AUGMENT_OPS[name]
        return self.magnitude / self.magnitude_max * (high - low) + low

    def transform(self, results: dict) -> dict:
        """Apply ``num_ops`` random operations to ``results['img']``.

        Args:
            results: the pipeline's results (``img``: ``uint8 [H, W, 3]``).

        Returns:
            dict: ``results`` with the new ``img``, ``img_shape`` and
            ``rand_augment_ops``.
        """
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError('RandAugment expects an [H, W, 3] uint8 image, '
                             f'got {img.dtype} {img.shape}')
        names = [
            self.ops[i]
            for i in np.random.randint(len(self.ops), size=self.num_ops)
        ]
        for name in names:
            img = RAND_AUGMENT_OPS[name][0](img, self.value(name))
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        results['rand_augment_ops'] = names
        return results

    def __repr__(self) -> str:
        return attrs_repr(self, 'num_ops', 'magnitude', 'magnitude_max')
