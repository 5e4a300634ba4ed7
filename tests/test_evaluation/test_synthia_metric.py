"""SynthiaIoUMetric: 16-class mIoU and 13-class mIoU* on Cityscapes val."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.datasets import CityscapesDataset
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401  (registers the metric)
from mmseg_ada.evaluation import SynthiaIoUMetric

META = dict(classes=CityscapesDataset.METAINFO['classes'])
NAMES = META['classes']
S16 = [
    i for i, n in enumerate(NAMES) if n not in ('terrain', 'truck', 'train')
]
S13 = [i for i in S16 if NAMES[i] not in ('wall', 'fence', 'pole')]


def _sample(pred: np.ndarray, label: np.ndarray) -> dict:
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.from_numpy(pred[None]).long())
    s.gt_sem_seg = PixelData(data=torch.from_numpy(label[None]).long())
    return s.to_dict()


def _run(metric, pairs, batch=1):
    metric.dataset_meta = META
    for i in range(0, len(pairs), batch):
        metric.process({}, [_sample(p, g) for p, g in pairs[i:i + batch]])
    return metric.evaluate(len(pairs))


def _numpy_reference(pairs):
    """Confusion matrix over 19 classes, IoU/Acc, means over the subsets."""
    cm = np.zeros((19, 19), np.int64)
    for pred, label in pairs:
        keep = label != 255
        cm += np.bincount(
            label[keep].astype(np.int64) * 19 + pred[keep],
            minlength=19 * 19).reshape(19, 19)
    tp = np.diag(cm).astype(float)
    gt, pr = cm.sum(1), cm.sum(0)
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = tp / (gt + pr - tp)
        acc = tp / gt
    return dict(
        aAcc=100 * tp[S16].sum() / gt[S16].sum(),
        mIoU=100 * np.nanmean(iou[S16]),
        mAcc=100 * np.nanmean(acc[S16]),
        mIoU13=100 * np.nanmean(iou[S13]))


def test_hand_computed_case():
    # rows: road | vegetation | terrain,terrain,sky,sky | wall,wall,255,255
    label = np.array([[0, 0, 0, 0], [8, 8, 8, 8], [9, 9, 10, 10],
                      [3, 3, 255, 255]])
    # terrain predicted as vegetation, wall as road, pole only on ignore
    pred = np.array([[0, 0, 0, 0], [8, 8, 8, 8], [8, 8, 10, 10], [0, 0, 5, 5]])
    m = _run(SynthiaIoUMetric(), [(pred, label)])
    # road 4/6, vegetation 4/6, sky 2/2, wall 0/2; pole, fence, ... absent
    assert m['mIoU'] == pytest.approx(
        100 * (2 / 3 + 2 / 3 + 1 + 0) / 4, abs=0.006)
    assert m['mIoU13'] == pytest.approx(
        100 * (2 / 3 + 2 / 3 + 1) / 3, abs=0.006)
    assert m['aAcc'] == pytest.approx(100 * 10 / 12, abs=0.006)
    # terrain (IoU 0 here) is left out, not averaged in as a zero
    assert m['mIoU'] != pytest.approx(100 * (2 / 3 + 2 / 3 + 1) / 5, abs=0.01)


def test_matches_numpy_reference_random_batches():
    rng = np.random.default_rng(0)
    gt_classes = np.array([0, 1, 2, 3, 5, 8, 9, 10, 13, 14, 255])
    pred_classes = np.array([0, 1, 2, 7, 8, 10, 13, 14, 16])
    pairs = []
    for _ in range(5):
        label = rng.choice(gt_classes, size=(12, 16))
        pred = np.where(
            rng.random((12, 16)) < 0.6, np.where(label == 255, 0, label),
            rng.choice(pred_classes, size=(12, 16)))
        pairs.append((pred, label))
    ref = _numpy_reference(pairs)
    m = _run(METRICS.build(dict(type='SynthiaIoUMetric')), pairs, batch=2)
    for key in ('aAcc', 'mIoU', 'mAcc', 'mIoU13'):
        assert m[key] == pytest.approx(ref[key], abs=0.006), key
    # classes absent from both predictions and labels (fence, rider, ...)
    # are undefined, not zeros: counting them as 0 would give less
    assert m['mIoU'] > ref['mIoU'] * 9 / 16 + 1


def test_rejects_wrong_class_space_and_subset():
    metric = SynthiaIoUMetric()
    metric.dataset_meta = dict(classes=NAMES[:16])
    metric.process(
        {}, [_sample(np.zeros((2, 2), np.int64), np.zeros((2, 2), np.int64))])
    with pytest.raises(ValueError, match='19 Cityscapes classes'):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='subset'):
        SynthiaIoUMetric(eval_classes=[0, 1], subset_classes=[2])
