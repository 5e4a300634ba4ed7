"""mIoU of the SYNTHIA -> Cityscapes protocol (16 classes and mIoU*)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Sequence

import numpy as np
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS
from prettytable import PrettyTable

from ..datasets.label_maps import SYNTHIA_13_CLASSES, SYNTHIA_16_CLASSES

__all__ = ['SynthiaIoUMetric']


@METRICS.register_module()
class SynthiaIoUMetric(IoUMetric):
    """IoU over the SYNTHIA classes of a 19-class Cityscapes evaluation.

    Predictions and labels are in the 19 Cityscapes trainIds (the model has
    19 outputs; Cityscapes val is the target).  Intersections and unions are
    accumulated over all 19 classes exactly as :class:`IoUMetric` does, so a
    pixel of a class outside the protocol (terrain, truck, train) that is
    predicted as, e.g., vegetation is a false positive of vegetation (the
    convention of AdaptSegNet / DAFormer).  The averages are then taken
    over the protocol's classes only; the other classes are left out, not
    counted as zeros.  As in mmseg, a class absent from both predictions and
    labels has an undefined (NaN) IoU and is left out of the mean.

    Reported keys (percent, 2 decimals): ``aAcc`` (pixel accuracy over
    labelled pixels of the 16 classes), ``mIoU`` and ``mAcc`` (mean over the
    16 classes; ``mDice`` / ``mFscore`` ... likewise when requested with
    ``iou_metrics``) and ``mIoU13`` (mIoU*, mean IoU over the 13-class
    subset without wall, fence and pole).  The per-class table of the 16
    classes is logged.

    Args:
        eval_classes (Sequence[int]): trainIds averaged for ``mIoU``.
            Defaults to :data:`SYNTHIA_16_CLASSES`.
        subset_classes (Sequence[int]): trainIds averaged for
            ``subset_key``. Defaults to :data:`SYNTHIA_13_CLASSES`.
        subset_key (str): Name of the subset mean. Defaults to ``'mIoU13'``.
        **kwargs: Passed to :class:`mmseg.evaluation.IoUMetric`
            (``ignore_index``, ``iou_metrics``, ``nan_to_num``, ...).
    """

    def __init__(self,
                 eval_classes: Sequence[int] = SYNTHIA_16_CLASSES,
                 subset_classes: Sequence[int] = SYNTHIA_13_CLASSES,
                 subset_key: str = 'mIoU13',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.eval_classes = [int(c) for c in eval_classes]
        self.subset_classes = [int(c) for c in subset_classes]
        if not self.eval_classes:
            raise ValueError('eval_classes must not be empty')
        if len(set(self.eval_classes)) != len(self.eval_classes):
            raise ValueError(f'eval_classes has duplicates: {eval_classes}')
        if not set(self.subset_classes) <= set(self.eval_classes):
            raise ValueError(
                f'subset_classes {list(subset_classes)} must be a subset of '
                f'eval_classes {self.eval_classes}')
        self.subset_key = subset_key

    def _check_classes(self, num_classes: int) -> None:
        top = max(self.eval_classes)
        if top >= num_classes:
            raise ValueError(
                f'SynthiaIoUMetric: eval class {top} is outside the '
                f"dataset's {num_classes} classes (dataset_meta['classes']); "
                'expected the 19 Cityscapes classes')

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the 16-class and 13-class metrics.

        Args:
            results (list): ``(intersect, union, pred_area, label_area)``
                tuples from :meth:`process`, each over all classes.

        Returns:
            dict[str, float]: ``aAcc``, ``mIoU``, ``mAcc``, ``mIoU13`` (and
            the other requested means), in percent.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            return OrderedDict()
        class_names = list(self.dataset_meta['classes'])
        self._check_classes(len(class_names))
        cols = tuple(zip(*results))
        if len(cols) != 4:
            raise ValueError('SynthiaIoUMetric got no results to evaluate')
        inter, union, pred_area, label_area = (sum(c) for c in cols)
        ret = self.total_area_to_metrics(inter, union, pred_area, label_area,
                                         self.metrics, self.nan_to_num,
                                         self.beta)
        idx = np.asarray(self.eval_classes)
        sub = np.asarray(self.subset_classes)
        inter_np = np.asarray(inter, dtype=np.float64)
        label_np = np.asarray(label_area, dtype=np.float64)
        with np.errstate(invalid='ignore', divide='ignore'):
            a_acc = inter_np[idx].sum() / label_np[idx].sum()
        metrics: Dict[str, float] = OrderedDict(
            aAcc=float(np.round(a_acc * 100, 2)))
        ret.pop('aAcc', None)
        per_class: Dict[str, List[float]] = OrderedDict()
        for key, values in ret.items():
            values = np.asarray(values, dtype=np.float64)
            metrics['m' + key] = float(
                np.round(_nanmean(values[idx]) * 100, 2))
            per_class[key] = list(np.round(values[idx] * 100, 2))
        if 'IoU' in ret:
            iou = np.asarray(ret['IoU'], dtype=np.float64)
            metrics[self.subset_key] = float(
                np.round(_nanmean(iou[sub]) * 100, 2))

        table = PrettyTable()
        table.add_column('Class', [class_names[i] for i in idx])
        for key, values in per_class.items():
            table.add_column(key, values)
        print_log(f'per class results ({len(idx)} SYNTHIA classes):', logger)
        print_log('\n' + table.get_string(), logger=logger)
        return metrics


def _nanmean(values: np.ndarray) -> float:
    """Mean ignoring NaN; NaN (no warning) when every value is NaN."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or np.isnan(values).all():
        return float('nan')
    return float(np.nanmean(values))
