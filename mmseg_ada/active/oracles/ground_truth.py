"""The oracle that answers from the dataset's ground truth."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from mmseg_ada.registry import ORACLES

__all__ = ['GroundTruthOracle']


@ORACLES.register_module()
class GroundTruthOracle:
    """Labels of bought units, read from the target dataset's annotations.

    The label store records *what* was bought; an oracle says *what the
    labels are*.  This one reads them from the annotations the target
    dataset already has (simulated annotation, as in every ADA paper); a
    human annotator would be another oracle with the same methods.

    For segmentation the label map is loaded exactly as training loads it:
    with the ``LoadAnnotations`` transform of the dataset's pipeline (so
    ``reduce_zero_label`` and ``label_map`` apply), or mmseg's default one.
    Only :meth:`pixel_labels` results may reach a loss; :meth:`label_map` is
    for reports (class histograms of what was bought).

    Args:
        cache_size: label maps kept in memory (least recently used first
            out).
    """

    def __init__(self, cache_size: int = 8) -> None:
        self.cache_size = int(cache_size)
        self.dataset: Any = None
        self._loader = None
        self._cache: 'OrderedDict[int, np.ndarray]' = OrderedDict()

    def bind(self, dataset: Any) -> 'GroundTruthOracle':
        """Answer for ``dataset`` (indices are its indices)."""
        self.dataset = dataset
        self._cache.clear()
        self._loader = None
        for t in getattr(getattr(dataset, 'pipeline', None), 'transforms', []):
            if type(t).__name__ == 'LoadAnnotations':
                self._loader = t
        return self

    def _info(self, index: int) -> dict:
        if self.dataset is None:
            raise RuntimeError('GroundTruthOracle is not bound to a dataset')
        return self.dataset.get_data_info(int(index))

    # ------------------------------------------------------ segmentation
    def label_map(self, index: int) -> np.ndarray:
        """``uint8 [H, W]`` ground truth of image ``index`` (255 = ignore).

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

    def pixel_labels(self, index: int, flat_index: np.ndarray) -> np.ndarray:
        """Labels of the pixels ``flat_index`` (``y * W + x``) of ``index``.

        Args:
            index: dataset index of the image.
            flat_index: ``int [M]`` pixel indices in the full-size label.

        Returns:
            np.ndarray: ``uint8 [M]`` labels.
        """
        gt = self.label_map(index).reshape(-1)
        flat_index = np.asarray(flat_index, dtype=np.int64)
        if flat_index.size and (flat_index.min() < 0
                                or flat_index.max() >= gt.size):
            raise IndexError(f'pixel indices outside the label of image '
                             f'{index} ({gt.size} pixels)')
        return gt[flat_index]

    # ---------------------------------------------------- classification
    def image_label(self, index: int) -> int:
        """The class of image ``index``."""
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
        """Bought labels of image ``index`` per class (for reports).

        Args:
            index: dataset index.
            num_classes: ``C``.
            mask: segmentation: ``bool [H, W]`` bought pixels; ``None`` for
                an image unit.

        Returns:
            np.ndarray: ``int64 [C]`` counts (ignored pixels not counted).
        """
        if mask is None:
            out = np.zeros(num_classes, np.int64)
            out[self.image_label(index)] += 1
            return out
        gt = self.label_map(index)
        if gt.shape != mask.shape:
            return np.zeros(num_classes, np.int64)
        vals = gt[mask]
        vals = vals[vals < num_classes]
        return np.bincount(vals.astype(np.int64), minlength=num_classes)
