"""MultiStreamClsDataPreProcessor: plain batches and dicts of streams."""
import pytest
import torch
from mmseg.registry import MODELS

from mmseg_ada.structures import ClsDataSample

pytestmark = pytest.mark.usefixtures('one_thread')

MEAN = [10., 20., 30.]
STD = [2., 4., 5.]


def _pre(**kw):
    return MODELS.build(
        dict(type='MultiStreamClsDataPreProcessor', mean=MEAN, std=STD, **kw))


def _batch(n, value=0):
    imgs = []
    for i in range(n):
        img = torch.zeros(3, 4, 6, dtype=torch.uint8)
        img[0], img[1], img[2] = 50 + i + value, 60, 70  # B, G, R
        imgs.append(img)
    return dict(
        inputs=imgs,
        data_samples=[ClsDataSample().set_gt_label(i) for i in range(n)])


def test_plain_batch_normalised_rgb_stacked():
    out = _pre()(_batch(2), training=False)
    assert set(out) == {'inputs', 'data_samples'}
    x = out['inputs']
    assert x.shape == (2, 3, 4, 6) and x.dtype == torch.float32
    # BGR -> RGB first, then (x - mean) / std per RGB channel
    assert x[1, 0, 0, 0].item() == pytest.approx((70 - 10) / 2)
    assert x[1, 1, 0, 0].item() == pytest.approx((60 - 20) / 4)
    assert x[1, 2, 0, 0].item() == pytest.approx((51 - 30) / 5)
    bgr = _pre(to_rgb=False)(_batch(1))['inputs']
    assert bgr[0, 0, 0, 0].item() == pytest.approx((50 - 10) / 2)


def test_stream_dict_keys_and_values():
    pre = _pre()
    data = dict(
        source=_batch(2),
        target=_batch(1, value=5),
        unlabeled=_batch(3, value=9))
    out = pre(data, training=True)
    assert set(out) == {
        'inputs', 'data_samples', 'target_inputs', 'target_data_samples',
        'unlabeled_inputs', 'unlabeled_data_samples'
    }
    assert out['inputs'].shape[0] == 2
    assert out['target_inputs'].shape[0] == 1
    assert out['unlabeled_inputs'].shape[0] == 3
    torch.testing.assert_close(out['target_inputs'],
                               pre(_batch(1, value=5))['inputs'])
    assert [s.gt_label.item()
            for s in out['unlabeled_data_samples']] == [0, 1, 2]


def test_absent_streams_left_out():
    out = _pre()(
        dict(
            source=_batch(2),
            target=None,
            unlabeled=dict(inputs=[], data_samples=[])))
    assert set(out) == {'inputs', 'data_samples'}


def test_bad_stream_batches():
    pre = _pre()
    with pytest.raises(
            ValueError, match=r"unknown stream\(s\) \['unlabelled'\]"):
        pre(dict(source=_batch(1), unlabelled=_batch(1)))
    with pytest.raises(ValueError, match="'source' stream is missing"):
        pre(dict(target=_batch(1)))
    with pytest.raises(ValueError, match="stream 'target' must be a batch"):
        pre(dict(source=_batch(1), target=[1, 2]))
