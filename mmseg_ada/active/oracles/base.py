"""The oracle contract: every label a loss sees comes through an oracle."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ['BaseOracle', 'LabelsNotImported']

IGNORE = 255


class LabelsNotImported(RuntimeError):
    """A bought unit's label was asked for before a person answered it."""


class BaseOracle:
    """Where the labels of bought units come from.

    The label store records *what* was bought; an oracle says *what the
    labels are*.  Every target label that reaches a loss is an oracle's
    answer: the training datasets ask :meth:`bought_labels` (segmentation:
    the labels of an image's bought pixels) or :meth:`image_label`
    (classification), online purchases ask :meth:`pixel_labels`.  Reports
    ask :meth:`class_histogram`.

    Attributes:
        online: whether it can answer inside a training step (online
            purchases, ADA-MCU).
        requests: whether each round must write an annotation request for
            a person (``active/annotate/round_<k>/``) and wait for its
            answers before training on it.
    """

    online: bool = True
    requests: bool = False

    def __init__(self) -> None:
        self.dataset: Any = None
        self.work_dir: Optional[str] = None
        self.annotations: Any = None

    def bind(self,
             dataset: Any,
             work_dir: Optional[str] = None,
             annotations: Any = None) -> 'BaseOracle':
        """Answer for ``dataset`` (indices are its indices).

        Args:
            dataset: the target dataset.
            work_dir: the run directory (its ``active/`` store).
            annotations: how the dataset's own labels are loaded (the
                ``LoadAnnotations`` transform, or its config), if any.

        Returns:
            BaseOracle: ``self``.
        """
        self.dataset = dataset
        self.work_dir = work_dir
        self.annotations = annotations
        return self

    def _info(self, index: int) -> dict:
        if self.dataset is None:
            raise RuntimeError(f'{type(self).__name__} is not bound to a '
                               'dataset')
        return self.dataset.get_data_info(int(index))

    # ------------------------------------------------------ segmentation
    def bought_labels(self, index: int, stamps: np.ndarray) -> np.ndarray:
        """The labels of the bought pixels of image ``index``.

        Args:
            index: dataset index of the image.
            stamps: ``[H, W]`` the round that bought each pixel (0 = not
                bought), as the store shows it to training.

        Returns:
            np.ndarray: ``uint8 [H, W]``, 255 where nothing was bought (or a
            bought pixel has no answer).
        """
        raise NotImplementedError

    def pixel_labels(self, index: int, flat_index: np.ndarray,
                     stamps: np.ndarray) -> np.ndarray:
        """Labels of the bought pixels ``flat_index`` (``y * W + x``).

        Args:
            index: dataset index of the image.
            flat_index: ``int [M]`` bought pixels of the full-size image.
            stamps: ``[H, W]`` the round (commit) of each bought pixel.

        Returns:
            np.ndarray: ``uint8 [M]``.
        """
        flat_index = np.asarray(flat_index, dtype=np.int64)
        stamps = np.asarray(stamps)
        if flat_index.size and (flat_index.min() < 0
                                or flat_index.max() >= stamps.size):
            raise IndexError(f'pixel indices outside image {index} '
                             f'({stamps.size} pixels)')
        if flat_index.size and (stamps.reshape(-1)[flat_index] == 0).any():
            raise ValueError(f'image {index}: labels asked for pixels that '
                             'were not bought')
        return self.bought_labels(index, stamps).reshape(-1)[flat_index]

    # ---------------------------------------------------- classification
    def image_label(self, index: int) -> Optional[int]:
        """The class of bought image ``index``.

        Args:
            index: dataset index of the image.

        Returns:
            int | None: the class id; ``None`` if left unanswered.
        """
        raise NotImplementedError

    # ------------------------------------------------------------ report
    def class_histogram(
            self,
            index: int,
            num_classes: int,
            mask: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
        """Bought labels of image ``index`` per class (for reports).

        Args:
            index: dataset index.
            num_classes: ``C``.
            mask: segmentation: ``bool [H, W]`` bought pixels; ``None`` for
                an image unit.

        Returns:
            np.ndarray | None: ``int64 [C]`` counts (ignored pixels not
            counted); ``None`` when the labels are not known yet (a person
            has not answered).
        """
        if mask is None:
            out = np.zeros(num_classes, np.int64)
            label = self.image_label(index)
            if label is not None:
                out[int(label)] += 1
            return out
        labels = self.bought_labels(index, np.asarray(mask, np.uint16))
        vals = labels[np.asarray(mask, bool)]
        vals = vals[vals < num_classes]
        return np.bincount(vals.astype(np.int64), minlength=num_classes)
