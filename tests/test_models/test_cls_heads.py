"""Classification heads: mmpretrain's head contract, layers and formulas."""
import inspect

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_ada.models.heads import BottleneckClsHead, CosineBottleneckClsHead
from mmseg_ada.structures import ClsDataSample, format_label, format_score

pytestmark = pytest.mark.usefixtures('one_thread')

C, D_IN, EMB = 4, 12, 8
HEADS = [BottleneckClsHead, CosineBottleneckClsHead]

# mmpretrain's head contract (mmpretrain/models/heads/cls_head.py, ClsHead):
# method -> positional parameters after self, and whether **kwargs is taken.
MMPRETRAIN_HEAD_API = {
    'pre_logits': (['feats'], False),
    'forward': (['feats'], False),
    'loss': (['feats', 'data_samples'], True),
    'predict': (['feats', 'data_samples'], False),
}


def _head(cls, **kw):
    torch.manual_seed(0)
    return cls(num_classes=C, in_channels=D_IN, bottleneck_channels=EMB, **kw)


def _samples(labels):
    return [ClsDataSample().set_gt_label(int(y)) for y in labels]


def _feats(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, D_IN, generator=g), )


@pytest.mark.parametrize('cls', HEADS)
def test_head_api_matches_mmpretrain_contract(cls):
    """Names, parameters, defaults and return types of mmpretrain heads."""
    head = _head(cls)
    for name, (params, var_kw) in MMPRETRAIN_HEAD_API.items():
        sig = inspect.signature(getattr(cls, name))
        ps = list(sig.parameters.values())[1:]
        positional = [
            p.name for p in ps
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY)
        ]
        assert positional == params, (name, positional)
        assert any(p.kind == p.VAR_KEYWORD for p in ps) == var_kw, name
    assert inspect.signature(
        cls.predict).parameters['data_samples'].default is None
    feats = _feats()
    head.train()
    emb = head.pre_logits(feats)
    assert emb.shape == (6, EMB)
    logits = head(feats)
    assert logits.shape == (6, C)
    losses = head.loss(feats, _samples([0, 1, 2, 3, 0, 1]))
    assert isinstance(losses, dict) and set(losses) == {'loss'}
    assert losses['loss'].dim() == 0 and losses['loss'].requires_grad
    head.eval()
    preds = head.predict(feats)
    assert isinstance(preds, list) and len(preds) == 6
    for p in preds:
        assert isinstance(p, ClsDataSample)
        assert p.pred_score.shape == (C, ) and p.pred_score.dtype == (
            torch.float32)
        assert p.pred_label.shape == (1, ) and p.pred_label.dtype == (
            torch.int64)
        assert p.num_classes == C


def test_bottleneck_layers_default_like_lada():
    """Linear(in, 256) + BatchNorm1d, no ReLU/dropout, Linear(256, C)."""
    head = BottleneckClsHead(num_classes=7, in_channels=2048)
    assert isinstance(head.bottleneck, nn.Linear)
    assert head.bottleneck.weight.shape == (256, 2048)
    assert isinstance(head.bn, nn.BatchNorm1d) and head.bn.num_features == 256
    assert head.relu is None and head.dropout is None
    assert head.fc.weight.shape == (7, 256) and head.fc.bias is not None
    with_extras = BottleneckClsHead(7, 2048, with_relu=True, dropout_ratio=0.5)
    assert isinstance(with_extras.relu, nn.ReLU)
    assert with_extras.dropout.p == 0.5


def test_bottleneck_forward_and_loss_direct():
    head = _head(BottleneckClsHead).train()
    feats = _feats()
    x = feats[0]
    h = head.bottleneck(x)
    expected_emb = (h - h.mean(0)) / torch.sqrt(
        h.var(0, unbiased=False) + head.bn.eps) * head.bn.weight + head.bn.bias
    emb = head.pre_logits(feats)
    torch.testing.assert_close(emb, expected_emb)
    logits = head(feats)
    torch.testing.assert_close(logits, emb @ head.fc.weight.T + head.fc.bias)
    labels = [0, 3, 2, 1, 1, 0]
    loss = head.loss(feats, _samples(labels))['loss']
    torch.testing.assert_close(loss,
                               F.cross_entropy(logits, torch.tensor(labels)))


def test_loss_cal_acc_and_bad_labels():
    head = _head(BottleneckClsHead, cal_acc=True).eval()
    feats = _feats()
    logits = head(feats)
    labels = logits.argmax(1).tolist()
    labels[0] = (labels[0] + 1) % C
    out = head.loss(feats, _samples(labels))
    assert out['accuracy_top-1'].item() == pytest.approx(500 / 6)
    with pytest.raises(ValueError, match='no gt_label'):
        head.loss(feats, [ClsDataSample() for _ in range(6)])
    with pytest.raises(ValueError, match=r'outside \[0, 4\)'):
        head.loss(feats, _samples([0, 1, 2, 3, 4, 0]))


def test_predict_softmax_argmax_into_given_samples():
    head = _head(BottleneckClsHead).eval()
    feats = _feats()
    given = _samples([0] * 6)
    out = head.predict(feats, given)
    assert all(a is b for a, b in zip(out, given))
    prob = F.softmax(head(feats), 1)
    torch.testing.assert_close(torch.stack([s.pred_score for s in out]), prob)
    assert [s.pred_label.item() for s in out] == prob.argmax(1).tolist()
    assert all(s.gt_label.item() == 0 for s in out)


def test_single_sample_training_batch_like_lada_wrapper():
    """A training batch of one is normalised as two copies of itself (LADA's
    BatchNorm1d wrapper) instead of raising."""
    head = _head(BottleneckClsHead).train()
    with torch.no_grad():
        head.bn.bias.copy_(torch.arange(EMB, dtype=torch.float32))
    x = _feats(1)
    emb = head.pre_logits(x)
    assert emb.shape == (1, EMB)
    # zero batch variance: the output is the BN bias, the running mean moves
    # towards the sample by the momentum
    torch.testing.assert_close(emb[0], head.bn.bias, atol=1e-2, rtol=0)
    h = head.bottleneck(x[0])[0].detach()
    torch.testing.assert_close(head.bn.running_mean, 0.1 * h)


def test_pre_logits_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r'\[N, 12\]'):
        _head(BottleneckClsHead).pre_logits((torch.zeros(2, 5), ))


@pytest.mark.parametrize('normalize_weight', [True, False])
def test_cosine_head_logits_direct(normalize_weight):
    """MME classifier (SAGE Eq. 9): softmax((1/T) W l2(z)), T = 0.05."""
    head = _head(
        CosineBottleneckClsHead, normalize_weight=normalize_weight).eval()
    assert head.temperature == 0.05 and head.fc.bias is None
    z = torch.randn(5, EMB)
    logits = head.classify(z)
    w = head.fc.weight
    for i in range(5):
        for c in range(C):
            wc = w[c] / w[c].norm() if normalize_weight else w[c]
            ref = float(wc.detach() @ (z[i] / z[i].norm())) / 0.05
            assert logits[i, c].item() == pytest.approx(
                ref, rel=1e-5, abs=1e-5)
    assert head.classifier_bias.tolist() == [0.0] * C
    with pytest.raises(ValueError, match='temperature'):
        _head(CosineBottleneckClsHead, temperature=0)


def test_cls_data_sample_like_mmpretrain():
    s = ClsDataSample(metainfo=dict(img_path='a.jpg')).set_gt_label(3)
    assert s.gt_label.tolist() == [3] and 'gt_label' in s
    assert s.set_gt_label(np.int64(2)).gt_label.tolist() == [2]
    assert s.set_pred_label(torch.tensor(1)).pred_label.tolist() == [1]
    s.set_pred_score(np.array([0.2, 0.8]))
    assert s.num_classes == 2 and s.pred_score.dtype == torch.float32
    with pytest.raises(ValueError, match='num_classes is 2'):
        s.set_gt_score([0.1, 0.2, 0.7])
    assert format_label([1, 2]).tolist() == [1, 2]
    assert format_score(torch.tensor([1, 2])).dtype == torch.float32
    for bad in ('3', None, 1.5, True):
        with pytest.raises(TypeError):
            format_label(bad)
    with pytest.raises(ValueError, match='1-D'):
        format_label(torch.zeros(2, 2, dtype=torch.long))
