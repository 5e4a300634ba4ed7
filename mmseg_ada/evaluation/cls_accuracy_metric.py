"""Top-1 and mean per-class accuracy of image classification."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmseg.registry import METRICS

from mmseg_ada.utils.io import atomic_write_bytes

__all__ = ['ClsAccuracyMetric']


def _scalar_label(value: Any, key: str) -> int:
    arr = np.asarray(value.detach().cpu() if hasattr(value, 'detach'
                                                     ) else value).reshape(-1)
    if arr.size != 1:
        raise ValueError(f'{key} must hold one label, got {arr.tolist()}')
    return int(arr[0])


@METRICS.register_module()
class ClsAccuracyMetric(BaseMetric):
    """Accuracy of single-label classification, in percent.

    Reported keys:

    * ``top1_acc``: correct predictions / all samples x 100 (Office-31,
      Office-Home, DomainNet tables);
    * ``mean_class_acc``: the mean over classes of the per-class accuracy
      (recall) x 100, the VisDA-2017 number; classes without any ground
      truth sample are left out of the mean;
    * with ``per_class=True`` also ``class_acc/<class name>`` for every
      class with samples.

    Each processed sample needs ``pred_label`` and ``gt_label`` (data
    samples from the classifier's ``predict`` or their dicts).  A sample
    whose ``pred_score`` has another length than the dataset's ``classes``
    is an error (a head built for the wrong dataset).

    Args:
        per_class (bool): Also report per-class accuracies. Defaults to
            False.
        num_classes (int, optional): Number of classes when the dataset
            meta has no ``classes``; labels must be below it.
        output_dir (str, optional): Also write every sample's prediction
            to ``<output_dir>/predictions.jsonl`` (one JSON object per
            line: ``img_path``, ``sample_idx``, ``gt_label``,
            ``pred_label``, ``pred_score``), for offline evaluation;
            ``tools/test.py --out DIR`` sets it.
        collect_device (str): See :class:`BaseMetric`.
        prefix (str, optional): Prefix of the keys. Defaults to None.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 per_class: bool = False,
                 num_classes: Optional[int] = None,
                 output_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_class = bool(per_class)
        self.num_classes = None if num_classes is None else int(num_classes)
        self.output_dir = output_dir

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store ``(pred_label, gt_label)`` of every sample (plus a
        prediction record with ``output_dir``).

        Args:
            data_batch: the batch (unused).
            data_samples: predicted samples (dicts or data samples) with
                ``pred_label`` and ``gt_label``.

        Raises:
            ValueError: If a sample lacks a label, or the model's number of
                classes differs from the dataset's.
        """
        for sample in data_samples:
            get = (sample.get if isinstance(sample, dict) else
                   lambda k, s=sample: getattr(s, k, None))
            pred, gt = get('pred_label'), get('gt_label')
            if pred is None or gt is None:
                raise ValueError(
                    'ClsAccuracyMetric needs pred_label and gt_label in '
                    'every sample (is gt_label packed by PackClsInputs?)')
            self._check_num_classes(get('num_classes'), get('pred_score'))
            result = (_scalar_label(pred, 'pred_label'),
                      _scalar_label(gt, 'gt_label'))
            if self.output_dir is not None:
                score = get('pred_score')
                if hasattr(score, 'detach'):
                    score = score.detach().cpu()
                result += ({
                    'img_path':
                    get('img_path'),
                    'sample_idx':
                    get('sample_idx'),
                    'gt_label':
                    result[1],
                    'pred_label':
                    result[0],
                    'pred_score': (None if score is None else np.asarray(
                        score, float).round(6).tolist())
                }, )
            self.results.append(result)

    def _write_predictions(self, results: List[tuple]) -> None:
        os.makedirs(self.output_dir, exist_ok=True)
        path = osp.join(self.output_dir, 'predictions.jsonl')
        text = ''.join(json.dumps(r[2]) + '\n' for r in results)
        atomic_write_bytes(path, text.encode('utf-8'))
        MMLogger.get_current_instance().info(
            f'ClsAccuracyMetric: wrote {len(results)} predictions to {path}')

    def _check_num_classes(self, num_classes: Any, score: Any) -> None:
        classes = (self.dataset_meta or {}).get('classes')
        if num_classes is None and score is not None:
            num_classes = len(score)
        if (classes is not None and num_classes is not None
                and int(num_classes) != len(classes)):
            raise ValueError(
                f'the model predicts {int(num_classes)} classes but the '
                f'dataset has {len(classes)}; set the head\'s num_classes '
                'to the dataset\'s')

    def _class_names(self, num: int) -> List[str]:
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None and len(classes) == num:
            return [str(c) for c in classes]
        return [str(i) for i in range(num)]

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Top-1 and mean per-class accuracy of the collected results.

        Args:
            results: the ``(pred_label, gt_label[, record])`` tuples of
                :meth:`process`, from every rank.

        Returns:
            dict[str, float]: ``top1_acc`` and ``mean_class_acc`` (over the
            classes that have samples) in percent, and
            ``class_acc/<name>`` per present class with ``per_class``.

        Raises:
            ValueError: If there are no results or a label is out of range.
        """
        if not results:
            raise ValueError('ClsAccuracyMetric got no samples')
        if self.output_dir is not None:
            self._write_predictions(results)
        pred, gt = (
            np.asarray(x, dtype=np.int64) for x in list(zip(*results))[:2])
        classes = (self.dataset_meta or {}).get('classes')
        num = (
            len(classes) if classes is not None else self.num_classes if
            self.num_classes is not None else int(max(gt.max(), pred.max())) +
            1)
        if gt.min() < 0 or gt.max() >= num:
            raise ValueError(f'gt_label outside [0, {num}): '
                             f'{sorted(set(gt[(gt < 0) | (gt >= num)]))}')
        correct = pred == gt
        count = np.bincount(gt, minlength=num)
        hits = np.bincount(gt, weights=correct, minlength=num)
        present = count > 0
        per_class = hits[present] / count[present] * 100.0
        metrics = dict(
            top1_acc=float(correct.mean() * 100.0),
            mean_class_acc=float(per_class.mean()))
        missing = int((~present).sum())
        if missing:
            MMLogger.get_current_instance().info(
                f'ClsAccuracyMetric: {missing} of {num} classes have no '
                'sample; mean_class_acc averages the other '
                f'{num - missing}')
        if self.per_class:
            names = self._class_names(num)
            for idx, acc in zip(np.flatnonzero(present), per_class):
                metrics[f'class_acc/{names[idx]}'] = float(acc)
        return metrics
