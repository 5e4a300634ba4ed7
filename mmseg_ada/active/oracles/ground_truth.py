"""The oracle that answers from the dataset's ground truth."""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import ORACLES
from .base import IGNORE, BaseOracle

__all__ = ['GroundTruthOracle']


@ORACLES.register_module()
class GroundTruthOracle(BaseOracle):
    """Labels of bought units, read from the target dataset's annotations.

    Simulated annotation, as in every ADA paper: the labels are those the
    dataset already has, and only the bought ones are given out.  For
    segmentation the label map is loaded exactly as training would load it
    without the active protocol: with the dataset's own ``LoadAnnotations``
    (``reduce_zero_label`` and ``label_map`` apply), or mmseg's default one.

    Args:
        cache_size: label maps kept in memory (least recently used first
            out).
    """

    def __init__(self, cache_size: int = 8) -> None:
        super().__init__()
        self.cache_size = int(cache_size)
        self._loader = None
        self._cache: 'OrderedDict[int, np.ndarray]' = OrderedDict()

    def bind(self,
             dataset: Any,
             work_dir: Optional[str] = None,
             annotations: Any = None) -> 'GroundTruthOracle':
        """Answer for ``dataset``; see :meth:`BaseOracle.bind`.

        Args:
            dataset: the target dataset.
            work_dir: the run directory (unused by this oracle).
            annotations: a ``LoadAnnotations`` transform or its config, which
                loads the label maps; ``None``: the one in the dataset's
                pipeline, else mmseg's default ``LoadAnnotations()``.

        Returns:
            GroundTruthOracle: ``self``.
        """
        super().bind(dataset, work_dir, annotations)
        self._cache.clear()
        self._loader = None
        if annotations is None:
            for t in getattr(
                    getattr(dataset, 'pipeline', None), 'transforms', []):
                if type(t).__name__ == 'LoadAnnotations':
                    annotations = t
        if isinstance(annotations, dict):
            from mmseg.registry import TRANSFORMS
            annotations = TRANSFORMS.build(copy.deepcopy(annotations))
        self._loader = annotations
        return self

    # ------------------------------------------------------ segmentation
    def ground_truth(self, index: int) -> np.ndarray:
        """``uint8 [H, W]`` ground truth of image ``index`` (255 = ignore).

        The last ``cache_size`` label maps read are kept in memory.

        Args:
            index: dataset index of the image.

        Returns:
            np.ndarray: the label map, as the loader returns it.

        Raises:
            FileNotFoundError: naming the label file when it is missing or
                unreadable.
        """
        index = int(index)
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        info = self._info(index)
        path = info.get('seg_map_path')
        if not path:
            raise FileNotFoundError(
                f'target image {index} ({info.get("img_path")}) has no '
                'seg_map_path: the oracle has no ground truth to answer from')
        loader = self._loader
        if loader is None:
            from mmseg.datasets.transforms import LoadAnnotations
            loader = self._loader = LoadAnnotations()
        results = dict(
            seg_map_path=path,
            seg_fields=[],
            reduce_zero_label=info.get('reduce_zero_label', False),
            label_map=info.get('label_map'))
        try:
            gt = loader(results)['gt_seg_map']
        except Exception as e:
            raise FileNotFoundError(
                f'the oracle could not read the label {path}: {e}') from e
        self._cache[index] = gt
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return gt

    def bought_labels(self, index: int, stamps: np.ndarray) -> np.ndarray:
        """The ground truth where ``stamps > 0``, 255 elsewhere.

        Args:
            index: dataset index of the image.
            stamps: ``[H, W]`` the round that bought each pixel (0 = not
                bought); must match the label's shape.

        Returns:
            np.ndarray: ``[H, W]`` labels, of the ground truth's dtype.
        """
        gt = self.ground_truth(index)
        stamps = np.asarray(stamps)
        if gt.shape != stamps.shape[:2]:
            raise ValueError(
                f'target image {index}: its label '
                f'{self._info(index).get("seg_map_path")} has shape '
                f'{gt.shape}, the bought pixels were counted on '
                f'{stamps.shape[:2]} (the image)')
        return np.where(stamps > 0, gt, np.asarray(IGNORE, gt.dtype))

    def pixel_labels(self,
                     index: int,
                     flat_index: np.ndarray,
                     stamps: Optional[np.ndarray] = None) -> np.ndarray:
        """Ground truth of the pixels ``flat_index`` (``y * W + x``).

        Args:
            index: dataset index of the image.
            flat_index: ``int [M]`` pixel indices in the full-size label.
            stamps: unused (the ground truth knows every pixel).

        Returns:
            np.ndarray: ``uint8 [M]`` labels.
        """
        gt = self.ground_truth(index).reshape(-1)
        flat_index = np.asarray(flat_index, dtype=np.int64)
        if flat_index.size and (flat_index.min() < 0
                                or flat_index.max() >= gt.size):
            raise IndexError(f'pixel indices outside the label of image '
                             f'{index} ({gt.size} pixels)')
        return gt[flat_index]

    # ---------------------------------------------------- classification
    def image_label(self, index: int) -> int:
        """The class of image ``index`` (its ``gt_label``).

        Args:
            index: dataset index of the image.

        Returns:
            int: the first entry of the data info's ``gt_label``.

        Raises:
            KeyError: if the image has no ``gt_label``.
        """
        info = self._info(index)
        label = info.get('gt_label')
        if label is None:
            raise KeyError(f'target image {index} ({info.get("img_path")}) '
                           'has no gt_label: the oracle cannot answer')
        return int(np.asarray(label).reshape(-1)[0])

    def class_histogram(self,
                        index: int,
                        num_classes: int,
                        mask: Optional[np.ndarray] = None) -> np.ndarray:
        """See :meth:`BaseOracle.class_histogram` (never ``None``).

        Args:
            index: dataset index.
            num_classes: ``C``.
            mask: segmentation: ``bool [H, W]`` bought pixels; ``None`` for
                an image unit.

        Returns:
            np.ndarray: ``int64 [C]`` counts (ignored pixels not counted;
            all zeros if ``mask`` and the label differ in shape).
        """
        if mask is None:
            return super().class_histogram(index, num_classes)
        gt = self.ground_truth(index)
        if gt.shape != mask.shape:
            return np.zeros(num_classes, np.int64)
        vals = gt[mask]
        vals = vals[vals < num_classes]
        return np.bincount(vals.astype(np.int64), minlength=num_classes)
