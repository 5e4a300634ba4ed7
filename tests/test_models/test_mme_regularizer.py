"""MME (SAGE Eq. 9 / MME Sec. 3.2): entropy, loss value, gradient reversal."""
import math

import pytest
import torch

from mmseg_ada.models.heads import CosineBottleneckClsHead
from mmseg_ada.models.regularizers import (MMERegularizer, grad_reverse,
                                           mean_entropy)
from mmseg_ada.structures import StreamOutputs
from tests.test_models.cls_utils import batch, build, tiny_cfg

pytestmark = pytest.mark.usefixtures('one_thread')

LAMBDA = 0.1


def _entropy_loop(logits, eps=None):
    total = 0.0
    for row in logits.tolist():
        m = max(row)
        exps = [math.exp(v - m) for v in row]
        z = sum(exps)
        for e in exps:
            p = e / z
            total -= p * (math.log(p) if eps is None else math.log(p + eps))
    return total / len(logits)


@pytest.mark.parametrize('eps', [None, 1e-5])
def test_mean_entropy_against_loop(eps):
    """H_{U_T} = -1/|U_T| sum_x h(x) . log h(x) (SAGE Eq. 9)."""
    logits = torch.randn(7, 5, dtype=torch.float64) * 3
    assert mean_entropy(logits, eps).item() == pytest.approx(
        _entropy_loop(logits, eps), rel=1e-10)
    # uniform predictions: log C
    assert mean_entropy(torch.zeros(3, 4)).item() == pytest.approx(
        math.log(4), rel=1e-6)


def test_grad_reverse_identity_forward_negated_backward():
    x = torch.randn(3, 4, requires_grad=True)
    y = grad_reverse(x, 0.7)
    torch.testing.assert_close(y, x)
    w = torch.randn(3, 4)
    (y * w).sum().backward()
    torch.testing.assert_close(x.grad, -0.7 * w)


def _head_and_stream(seed=0):
    torch.manual_seed(seed)
    head = CosineBottleneckClsHead(
        num_classes=5, in_channels=6, bottleneck_channels=8).train()
    z = torch.randn(4, 8, requires_grad=True)
    stream = StreamOutputs(
        feats=torch.zeros(4, 6),
        embedding=z,
        logits=head.classify(z),
        data_samples=[])
    return head, z, stream


def test_mme_loss_value_and_gradients_direct():
    """Eq. 9: the classifier descends on -lambda H, the features on
    +lambda H (gradient reversal), checked against autograd of H."""
    head, z, stream = _head_and_stream()
    reg = MMERegularizer()
    assert reg.loss_weight == LAMBDA
    out = reg.loss(dict(unlabeled=stream), head)
    assert set(out) == {'mme.loss_ent', 'mme.entropy'}
    entropy = mean_entropy(head.classify(z))
    torch.testing.assert_close(out['mme.entropy'], entropy.detach())
    torch.testing.assert_close(out['mme.loss_ent'], -LAMBDA * entropy)
    # direct gradients of H (no reversal)
    dH_dw, dH_dz = torch.autograd.grad(entropy, [head.fc.weight, z])
    out['mme.loss_ent'].backward()
    torch.testing.assert_close(head.fc.weight.grad, -LAMBDA * dH_dw)
    torch.testing.assert_close(z.grad, LAMBDA * dH_dz)
    assert dH_dw.abs().sum() > 0 and dH_dz.abs().sum() > 0


def test_mme_options_grl_coeff_and_code_eps():
    head, z, stream = _head_and_stream()
    reg = MMERegularizer(loss_weight=0.3, grl_coeff=2.0, log_eps=1e-5)
    out = reg.loss(dict(unlabeled=stream), head)
    entropy = mean_entropy(head.classify(z), 1e-5)
    torch.testing.assert_close(out['mme.loss_ent'], -0.3 * entropy)
    (dH_dz, ) = torch.autograd.grad(entropy, [z])
    out['mme.loss_ent'].backward()
    torch.testing.assert_close(z.grad, 2.0 * 0.3 * dH_dz)


def test_mme_in_classifier_reverses_backbone_gradient():
    """Through the whole model: the backbone gets +lambda dH/dtheta, the
    cosine classifier -lambda dH/dW (MME's minimax)."""
    model = build(
        tiny_cfg(
            'CosineBottleneckClsHead',
            regularizers=[dict(type='MMERegularizer')]))
    model.train()
    xs, ss = batch(3, seed=1)
    xu, su = batch(4, seed=2)
    losses = model.loss(xs, ss, unlabeled_inputs=xu, unlabeled_data_samples=su)
    params = [
        model.backbone.conv1.weight, model.head.bottleneck.weight,
        model.head.fc.weight
    ]
    got = torch.autograd.grad(losses['mme.loss_ent'], params)
    emb = model.extract_feat(xu, stage='pre_logits')
    entropy = mean_entropy(model.head.classify(emb))
    torch.testing.assert_close(losses['mme.entropy'], entropy.detach())
    ref = torch.autograd.grad(entropy, params)
    torch.testing.assert_close(got[0], LAMBDA * ref[0])
    torch.testing.assert_close(got[1], LAMBDA * ref[1])
    torch.testing.assert_close(got[2], -LAMBDA * ref[2])


def test_mme_needs_unlabeled_stream():
    model = build(
        tiny_cfg(
            'CosineBottleneckClsHead',
            regularizers=[dict(type='MMERegularizer')]))
    xs, ss = batch(2, seed=1)
    with pytest.raises(ValueError, match="MMERegularizer needs.*unlabeled"):
        model.loss(xs, ss)
