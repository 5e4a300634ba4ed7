"""ClsAccuracyMetric against a direct computation."""
import numpy as np
import pytest
import torch
from mmseg.registry import METRICS

import mmseg_ada  # noqa: F401
from mmseg_ada.structures import ClsDataSample


def _direct(pred, gt, num):
    top1 = 100.0 * sum(p == g for p, g in zip(pred, gt)) / len(gt)
    accs = {}
    for c in range(num):
        idx = [i for i, g in enumerate(gt) if g == c]
        if idx:
            accs[c] = 100.0 * sum(pred[i] == c for i in idx) / len(idx)
    return top1, sum(accs.values()) / len(accs), accs


def _samples(pred, gt, num):
    out = []
    for p, g in zip(pred, gt):
        score = torch.full((num, ), 0.1)
        score[p] = 1.0
        out.append(ClsDataSample().set_gt_label(g).set_pred_score(
            score).set_pred_label(p))
    return out


def _metric(classes, **kw):
    metric = METRICS.build(dict(type='ClsAccuracyMetric', **kw))
    metric.dataset_meta = dict(classes=classes)
    return metric


def test_top1_and_mean_class_against_direct():
    rng = np.random.default_rng(0)
    num = 6
    gt = rng.integers(0, num - 1, 200).tolist()  # class 5 never appears
    pred = [g if rng.random() < 0.6 else int(rng.integers(0, num)) for g in gt]
    classes = tuple(f'c{i}' for i in range(num))
    metric = _metric(classes, per_class=True)
    samples = _samples(pred, gt, num)
    # half as data samples, half as the dicts mmengine's Evaluator passes
    metric.process({}, samples[:100])
    metric.process({}, [s.to_dict() for s in samples[100:]])
    res = metric.evaluate(200)
    top1, mean_cls, accs = _direct(pred, gt, num)
    assert res['top1_acc'] == pytest.approx(top1)
    assert res['mean_class_acc'] == pytest.approx(mean_cls)
    assert top1 != pytest.approx(mean_cls)
    for c, acc in accs.items():
        assert res[f'class_acc/c{c}'] == pytest.approx(acc)
    assert 'class_acc/c5' not in res


def test_perfect_and_wrong():
    classes = ('a', 'b')
    metric = _metric(classes)
    metric.process({}, _samples([0, 1, 1], [0, 1, 1], 2))
    assert metric.evaluate(3) == dict(top1_acc=100.0, mean_class_acc=100.0)
    metric.process({}, _samples([1, 1, 1], [0, 0, 1], 2))
    res = metric.evaluate(3)
    assert res['top1_acc'] == pytest.approx(100 / 3)
    assert res['mean_class_acc'] == pytest.approx(50.0)


def test_errors():
    metric = _metric(('a', 'b', 'c'))
    with pytest.raises(
            ValueError, match='predicts 2 classes but the '
            'dataset has 3'):
        metric.process({}, _samples([0], [0], 2))
    with pytest.raises(ValueError, match='pred_label and gt_label'):
        metric.process({}, [ClsDataSample().set_gt_label(0)])
    metric.process(
        {}, [dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([5]))])
    with pytest.raises(ValueError, match=r'gt_label outside \[0, 3\)'):
        metric.evaluate(1)
