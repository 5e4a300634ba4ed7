"""A classification data sample with mmpretrain's ``DataSample`` interface.

mmpretrain's models, datasets and metrics import torchvision, which must not
be installed next to the CPU torch of this stack (see ``DESIGN.md`` section
1), so the plugin carries its own data sample.  It offers the subset of
``mmpretrain.structures.DataSample`` that heads, transforms and metrics use,
with the same names and semantics:

* ``set_gt_label`` / ``set_pred_label``: an ``int``, a sequence, a numpy
  array or a tensor becomes a 1-D ``int64`` tensor (one element for
  single-label classification).
* ``set_gt_score`` / ``set_pred_score``: a 1-D ``float32`` tensor of
  ``num_classes`` scores; the first one sets the ``num_classes`` meta field,
  later ones must agree with it.
* the fields are read back as ``sample.gt_label``, ``sample.pred_label``,
  ``sample.pred_score``, ``sample.gt_score`` (and ``'gt_label' in sample``).
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

__all__ = ['ClsDataSample', 'format_label', 'format_score']

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]
ScoreType = Union[torch.Tensor, np.ndarray, Sequence[float]]


def format_label(value: LabelType) -> torch.Tensor:
    """Turn a label (int, sequence, array, tensor) into a 1-D long tensor.

    Args:
        value: the label(s); a 0-d array or tensor counts as an int.

    Returns:
        Tensor: ``int64`` tensor of shape ``[K]`` (``K = 1`` for an int).

    Raises:
        TypeError: For another type (a string, a float, None, ...).
        ValueError: For a tensor or array with more than one dimension.
    """
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()
        if isinstance(value, float):
            if not value.is_integer():
                raise TypeError(f'label must be an integer, got {value}')
            value = int(value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f'label must be an integer, got {value!r}')
    if isinstance(value, (int, np.integer)):
        return torch.tensor([int(value)], dtype=torch.long)
    value = _as_1d_tensor(value, 'label')
    if value.is_floating_point() and not torch.equal(value, value.round()):
        raise TypeError(f'labels must be integers, got {value}')
    return value.to(torch.long)


def format_score(value: ScoreType) -> torch.Tensor:
    """Turn class scores (sequence, array, tensor) into a 1-D float tensor.

    Args:
        value: ``num_classes`` scores.

    Returns:
        Tensor: ``float32`` tensor of shape ``[num_classes]``.

    Raises:
        TypeError: For another type.
        ValueError: For a value that is not 1-D.
    """
    return _as_1d_tensor(value, 'score').float()


def _as_1d_tensor(value, what: str) -> torch.Tensor:
    """An array, a sequence or a tensor as a 1-D tensor (else an error
    naming ``what`` and the value)."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        value = torch.tensor(list(value))
    elif not isinstance(value, torch.Tensor):
        raise TypeError(f'unsupported {what} type {type(value).__name__}: '
                        f'{value!r}')
    if value.ndim != 1:
        raise ValueError(
            f'a {what} must be 1-D, got shape {tuple(value.shape)}')
    return value


class ClsDataSample(BaseDataElement):
    """Data sample of an image-classification example.

    Meta fields (all optional): ``img_path``, ``sample_idx``,
    ``ori_shape``, ``img_shape``, ``num_classes``, ...

    Data fields:
        gt_label (Tensor): ``int64 [1]`` ground-truth label.
        gt_score (Tensor): ``float32 [C]`` soft ground truth.
        pred_label (Tensor): ``int64 [1]`` predicted label.
        pred_score (Tensor): ``float32 [C]`` predicted class probabilities.

    Examples:
        >>> sample = ClsDataSample(metainfo=dict(img_path='a.jpg'))
        >>> sample.set_gt_label(3).gt_label
        tensor([3])
        >>> sample.set_pred_score([0.1, 0.9]).num_classes
        2
    """

    def set_gt_label(self, value: LabelType) -> 'ClsDataSample':
        """Set ``gt_label``.

        Args:
            value: the label(s), see :func:`format_label`.

        Returns:
            ClsDataSample: ``self``.
        """
        self.set_field(format_label(value), 'gt_label', dtype=torch.Tensor)
        return self

    def set_pred_label(self, value: LabelType) -> 'ClsDataSample':
        """Set ``pred_label``.

        Args:
            value: the label(s), see :func:`format_label`.

        Returns:
            ClsDataSample: ``self``.
        """
        self.set_field(format_label(value), 'pred_label', dtype=torch.Tensor)
        return self

    def _set_score(self, value: ScoreType, name: str) -> 'ClsDataSample':
        score = format_score(value)
        if 'num_classes' in self.metainfo_keys():
            if len(score) != self.num_classes:
                raise ValueError(
                    f'{name} has {len(score)} values but num_classes is '
                    f'{self.num_classes}')
        else:
            self.set_field(len(score), 'num_classes', field_type='metainfo')
        self.set_field(score, name, dtype=torch.Tensor)
        return self

    def set_gt_score(self, value: ScoreType) -> 'ClsDataSample':
        """Set ``gt_score`` (``num_classes`` values; the first score set
        fixes ``num_classes`` in the metainfo).

        Args:
            value: the per-class scores, see :func:`format_score`.

        Returns:
            ClsDataSample: ``self``.

        Raises:
            ValueError: If the length differs from ``num_classes``.
        """
        return self._set_score(value, 'gt_score')

    def set_pred_score(self, value: ScoreType) -> 'ClsDataSample':
        """Set ``pred_score`` (``num_classes`` values; the first score set
        fixes ``num_classes`` in the metainfo).

        Args:
            value: the per-class scores, see :func:`format_score`.

        Returns:
            ClsDataSample: ``self``.

        Raises:
            ValueError: If the length differs from ``num_classes``.
        """
        return self._set_score(value, 'pred_score')
