"""LADA's anchor view: a weak and a strong view mixed (Eq. 5)."""
from __future__ import annotations

import copy
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import Compose
from mmseg.registry import TRANSFORMS

__all__ = ['MixWeakStrong', 'mix_views']


def mix_views(weak: np.ndarray, strong: np.ndarray, beta: float) -> np.ndarray:
    """``x~ = beta x + (1 - beta) alpha(x)`` (LADA Eq. 5), float32.

    Mixing raw pixel values equals mixing normalised ones (normalisation is
    affine per channel), which is what LADA's code mixes.

    Args:
        weak: the weak view ``x``.
        strong: the strong view ``alpha(x)``, of the same shape.
        beta: the mixing weight of the weak view.

    Returns:
        np.ndarray: the mixed view, float32.
    """
    if weak.shape != strong.shape:
        raise ValueError('the weak and the strong view must have the same '
                         f'shape to be mixed, got {weak.shape} and '
                         f'{strong.shape} (end both pipelines with the same '
                         'crop)')
    beta = float(beta)
    return (beta * weak.astype(np.float32) +
            (1.0 - beta) * strong.astype(np.float32)).astype(np.float32)


@TRANSFORMS.register_module()
class MixWeakStrong(BaseTransform):
    """``x~ = beta x + (1 - beta) alpha(x)``, ``beta ~ Beta(a, a)`` (Eq. 5).

    LADA trains on anchors (labelled or pseudo-labelled target images)
    through this view only: "a specific kind of Mixup between a weak
    augmentation and a strong augmentation of the same image" with ``a =
    0.2``.  Both views start from the loaded image: ``weak`` (LADA's code:
    resize to 256 x 256, random 224 crop, no flip) and ``strong`` (its
    code: ``RandAugment(1, 2.0)`` on the loaded image, resize of the
    shorter side to 256, flip, random 224 crop), so the views are the same
    image but not pixel-aligned, as in the code.  ``beta`` is drawn per
    sample from numpy's global generator (seeded per sample by the
    engine), as the code draws one per sample.

    Required keys: ``img``.  Modified keys: ``img`` (float32, the mixed
    view), ``img_shape``.  Added key: ``mix_beta``.

    Args:
        weak (list[dict]): Transforms of the weak view ``x``.
        strong (list[dict]): Transforms of the strong view ``alpha(x)``.
        alpha (float): The Beta distribution's parameter. Defaults to 0.2.
        beta (float, optional): A fixed ``beta`` instead of a draw (for
            tests and ablations; 1.0 = the weak view only).
    """

    def __init__(self,
                 weak: Sequence[Union[dict, Callable]],
                 strong: Sequence[Union[dict, Callable]],
                 alpha: float = 0.2,
                 beta: Optional[float] = None) -> None:
        super().__init__()
        if not float(alpha) > 0:
            raise ValueError(f'MixWeakStrong: alpha must be > 0, got {alpha}')
        if beta is not None and not 0 <= float(beta) <= 1:
            raise ValueError(f'MixWeakStrong: beta must be in [0, 1], got '
                             f'{beta}')
        self.weak = Compose([self._build(t) for t in weak])
        self.strong = Compose([self._build(t) for t in strong])
        self.alpha = float(alpha)
        self.beta = None if beta is None else float(beta)

    @staticmethod
    def _build(t):
        # mmseg's registry (and its parents): works without a default scope
        return TRANSFORMS.build(copy.deepcopy(t)) if isinstance(t, dict) else t

    @staticmethod
    def _view(pipeline: Compose, results: dict) -> np.ndarray:
        view = copy.copy(results)
        view['img'] = results['img'].copy()
        out = pipeline(view)
        if out is None or 'img' not in out:
            raise ValueError('a MixWeakStrong view pipeline returned no img')
        return out['img']

    def transform(self, results: dict) -> dict:
        """Mix the two views of ``results['img']``.

        Args:
            results: the pipeline's results (``img``).

        Returns:
            dict: ``results`` with the mixed ``img``, its ``img_shape`` and
            ``mix_beta``.
        """
        weak = self._view(self.weak, results)
        strong = self._view(self.strong, results)
        beta = (
            self.beta if self.beta is not None else float(
                np.random.beta(self.alpha, self.alpha)))
        results['img'] = mix_views(weak, strong, beta)
        results['img_shape'] = results['img'].shape[:2]
        results['mix_beta'] = beta
        return results

    def __repr__(self) -> str:
        names: List[str] = [type(t).__name__ for t in self.strong.transforms]
        return (f'{type(self).__name__}(alpha={self.alpha}, beta='
                f'{self.beta}, strong={names})')
