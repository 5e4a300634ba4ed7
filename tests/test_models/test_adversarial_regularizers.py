"""DANN (SAGE Eq. 1) and TSF (SAGE Eq. 2, 3, 10): loss values against
direct loops, gradient reversal against autograd, 'domain' and 'disc_grad'
(Eq. 3) of the classifier against ``functional.class_disc_grad``."""
import math

import pytest
import torch
from mmengine.logging import MessageHub

from mmseg_ada.active.functional import class_disc_grad
from mmseg_ada.models.heads import BottleneckClsHead
from mmseg_ada.models.regularizers import (DANNRegularizer, TSFRegularizer,
                                           dann_grl_coeff)
from mmseg_ada.structures import ClsDataSample, StreamOutputs
from tests.test_models.cls_utils import (EMB, NUM_CLASSES, batch, build,
                                         tiny_cfg)

pytestmark = pytest.mark.usefixtures('one_thread')

D = 6


def _disc(out):
    return dict(
        type='MLPDiscriminator',
        in_channels=D,
        out_channels=out,
        hidden_channels=7,
        dropout_ratio=0.)


def _streams(n_s=3, n_t=4, seed=0, labels=(0, 2, 4)):
    g = torch.Generator().manual_seed(seed)
    z_s = torch.randn(
        n_s, D, generator=g, dtype=torch.float64, requires_grad=True)
    z_t = torch.randn(
        n_t, D, generator=g, dtype=torch.float64, requires_grad=True)
    logit_t = torch.randn(
        n_t, NUM_CLASSES, generator=g, dtype=torch.float64, requires_grad=True)
    samples = [ClsDataSample().set_gt_label(y) for y in labels[:n_s]]
    src = StreamOutputs(
        torch.zeros(n_s, 1), z_s, torch.zeros(n_s, NUM_CLASSES), samples)
    unl = StreamOutputs(torch.zeros(n_t, 1), z_t, logit_t, [])
    return dict(source=src, unlabeled=unl), z_s, z_t, logit_t


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_dann_grl_ramp():
    assert dann_grl_coeff(0.0) == 0.0
    assert dann_grl_coeff(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert dann_grl_coeff(2.0) == dann_grl_coeff(1.0)  # clipped


@pytest.mark.parametrize('form', ['bce', 'paper'])
def test_dann_loss_value_eq1_against_loop(form):
    """SAGE Eq. 1: bce = mean_S -log d + mean_T -log(1 - d); paper =
    L_INV = mean_S log(1 - d) + mean_T log d (d = P(source))."""
    torch.manual_seed(0)
    reg = DANNRegularizer(
        discriminator=_disc(1), loss_weight=0.3, form=form).double()
    streams, z_s, z_t, _ = _streams()
    out = reg.loss(streams, None)
    a_s = reg.discriminator(z_s).reshape(-1).tolist()
    a_t = reg.discriminator(z_t).reshape(-1).tolist()
    if form == 'bce':
        s = sum(-math.log(_sigmoid(a)) for a in a_s) / len(a_s)
        t = sum(-math.log(1 - _sigmoid(a)) for a in a_t) / len(a_t)
    else:
        s = sum(math.log(1 - _sigmoid(a)) for a in a_s) / len(a_s)
        t = sum(math.log(_sigmoid(a)) for a in a_t) / len(a_t)
    assert out['dann.loss_adv'].item() == pytest.approx(
        0.3 * (s + t), rel=1e-10)
    acc = (sum(a > 0 for a in a_s) + sum(a <= 0 for a in a_t)) / 7 * 100
    assert out['dann.acc'].item() == pytest.approx(acc)


def test_dann_gradient_reversal():
    """The discriminator descends on lambda L, the representation receives
    -coeff * lambda dL/dz (GRL)."""
    torch.manual_seed(1)
    reg = DANNRegularizer(
        discriminator=_disc(1), loss_weight=0.5, grl_coeff=0.7).double()
    streams, z_s, z_t, _ = _streams()
    params = list(reg.discriminator.parameters())
    # direct loss without reversal
    a_s, a_t = reg.discriminator(z_s), reg.discriminator(z_t)
    direct = (
        torch.nn.functional.softplus(-a_s).mean() +
        torch.nn.functional.softplus(a_t).mean())
    g_direct = torch.autograd.grad(direct, params + [z_s, z_t])
    reg.loss(streams, None)['dann.loss_adv'].backward()
    for p, g in zip(params, g_direct[:len(params)]):
        torch.testing.assert_close(p.grad, 0.5 * g)
    torch.testing.assert_close(z_s.grad, -0.7 * 0.5 * g_direct[-2])
    torch.testing.assert_close(z_t.grad, -0.7 * 0.5 * g_direct[-1])
    assert g_direct[-1].abs().sum() > 0


def test_dann_target_streams_and_checks():
    torch.manual_seed(2)
    reg = DANNRegularizer(
        discriminator=_disc(1),
        target_streams=('unlabeled', 'target')).double()
    streams, z_s, z_t, _ = _streams()
    only_unl = reg.loss(dict(streams), None)['dann.loss_adv']
    z_l = torch.randn(2, D, dtype=torch.float64)
    streams['target'] = StreamOutputs(
        torch.zeros(2, 1), z_l, torch.zeros(2, NUM_CLASSES), [])
    both = reg.loss(streams, None)['dann.loss_adv']
    a_t = reg.discriminator(torch.cat([z_t, z_l])).reshape(-1)
    a_s = reg.discriminator(z_s).reshape(-1)
    expect = (
        torch.nn.functional.softplus(-a_s).mean() +
        torch.nn.functional.softplus(a_t).mean())
    torch.testing.assert_close(both, expect)
    assert not torch.allclose(both, only_unl)
    with pytest.raises(ValueError, match='out_channels=1'):
        DANNRegularizer(discriminator=_disc(3))
    with pytest.raises(ValueError, match='target_streams'):
        DANNRegularizer(discriminator=_disc(1), target_streams=('source', ))
    with pytest.raises(ValueError, match='form'):
        DANNRegularizer(discriminator=_disc(1), form='lsgan')


@pytest.mark.parametrize('form', ['bce', 'paper'])
def test_tsf_loss_value_eq2_against_loop(form):
    """SAGE Eq. 2 with the one-hot source label and the softmax target
    prediction: only the source's true-class output enters."""
    torch.manual_seed(3)
    reg = TSFRegularizer(
        num_classes=NUM_CLASSES,
        discriminator=_disc(1),
        loss_weight=2.0,
        form=form).double()
    assert reg.discriminator.out_channels == NUM_CLASSES
    streams, z_s, z_t, logit_t = _streams()
    out = reg.loss(streams, BottleneckClsHead)
    a_s = reg.discriminator(z_s).tolist()
    a_t = reg.discriminator(z_t).tolist()
    p_t = torch.softmax(logit_t, 1).tolist()
    s_terms, t_terms = [], []
    for row, y in zip(a_s, (0, 2, 4)):
        d = _sigmoid(row[y])
        s_terms.append(-math.log(d) if form == 'bce' else math.log(1 - d))
    for row, p in zip(a_t, p_t):
        t = 0.0
        for c in range(NUM_CLASSES):
            d = _sigmoid(row[c])
            t += p[c] * (-math.log(1 - d) if form == 'bce' else math.log(d))
        t_terms.append(t)
    expect = 2.0 * (sum(s_terms) / 3 + sum(t_terms) / 4)
    assert out['tsf.loss_adv'].item() == pytest.approx(expect, rel=1e-10)


def test_tsf_gradient_reversal_and_detached_prediction():
    """Eq. 10 with a GRL: d descends on lambda L_TSF, z gets the reversed
    gradient; Y^ is detached unless detach_pred=False."""
    torch.manual_seed(4)
    reg = TSFRegularizer(
        num_classes=NUM_CLASSES,
        discriminator=_disc(1),
        loss_weight=0.5,
        grl_coeff=2.0).double()
    streams, z_s, z_t, logit_t = _streams()
    params = list(reg.discriminator.parameters())
    y_s = torch.nn.functional.one_hot(torch.tensor([0, 2, 4]),
                                      NUM_CLASSES).double()
    y_t = torch.softmax(logit_t, 1).detach()
    a_s, a_t = reg.discriminator(z_s), reg.discriminator(z_t)
    direct = ((y_s * torch.nn.functional.softplus(-a_s)).sum(1).mean() +
              (y_t * torch.nn.functional.softplus(a_t)).sum(1).mean())
    g = torch.autograd.grad(direct, params + [z_s, z_t])
    reg.loss(streams, BottleneckClsHead)['tsf.loss_adv'].backward()
    for p, gp in zip(params, g[:len(params)]):
        torch.testing.assert_close(p.grad, 0.5 * gp)
    torch.testing.assert_close(z_s.grad, -2.0 * 0.5 * g[-2])
    torch.testing.assert_close(z_t.grad, -2.0 * 0.5 * g[-1])
    assert logit_t.grad is None
    reg2 = TSFRegularizer(
        num_classes=NUM_CLASSES, discriminator=_disc(1),
        detach_pred=False).double()
    streams, _, _, logit_t = _streams()
    reg2.loss(streams, BottleneckClsHead)['tsf.loss_adv'].backward()
    assert logit_t.grad.abs().sum() > 0


def test_grl_schedule_reads_progress_from_message_hub():
    reg = DANNRegularizer(
        discriminator=_disc(1), grl_coeff=0.5, grl_schedule='dann')
    hub = MessageHub.get_instance('test_adversarial_grl')
    hub.update_info('iter', 25)
    hub.update_info('max_iters', 100)
    assert reg.current_grl_coeff() == pytest.approx(
        0.5 * (2 / (1 + math.exp(-2.5)) - 1))
    with pytest.raises(ValueError, match='grl_schedule'):
        DANNRegularizer(discriminator=_disc(1), grl_schedule='linear')


def _tiny(reg):
    return build(tiny_cfg(regularizers=[reg]))


def test_classifier_serves_disc_grad_eq3_and_domain():
    """'disc_grad' through predict_active equals the autograd reference
    (row c = -d log d_c(z) / dz) on the eval-mode embedding; 'domain' is
    d_c(z) = P(source | c)."""
    model = _tiny(
        dict(
            type='TSFRegularizer',
            num_classes=NUM_CLASSES,
            discriminator=dict(
                type='MLPDiscriminator', in_channels=EMB, hidden_channels=12)))
    model.eval()
    x, samples = batch(3, seed=0)
    out = model.predict_active(x, samples, ['prob', 'disc_grad', 'domain'])
    assert out['disc_grad'][0].shape == (NUM_CLASSES, EMB)
    with torch.no_grad():
        emb = model.extract_feat(x, stage='pre_logits')
    disc = model.regularizers[0].discriminator
    ref = class_disc_grad(disc, emb)
    torch.testing.assert_close(
        torch.stack(out['disc_grad']), ref, rtol=1e-5, atol=1e-6)
    # closed form -(1 - d_c) grad a_c: compare one row with a direct grad
    z = emb[1:2].clone().requires_grad_(True)
    a = disc(z)[0, 3]
    (ga, ) = torch.autograd.grad(a, z)
    torch.testing.assert_close(
        out['disc_grad'][1][3],
        -(1 - a.sigmoid().detach()) * ga[0],
        rtol=1e-5,
        atol=1e-6)
    torch.testing.assert_close(
        torch.stack(out['domain']),
        disc(emb).sigmoid().detach())
    assert torch.is_grad_enabled()  # no_grad of predict_active is undone
    assert all(not t.requires_grad for t in out['disc_grad'])


def test_dann_classifier_domain_and_training_step():
    model = _tiny(
        dict(
            type='DANNRegularizer',
            discriminator=dict(
                type='MLPDiscriminator', in_channels=EMB, hidden_channels=12)))
    model.eval()
    x, samples = batch(4, seed=1)
    dom = model.predict_active(x, samples, ['domain'])['domain']
    assert dom[0].shape == (1, ) and all(0 < d.item() < 1 for d in dom)
    with pytest.raises(ValueError, match='cannot serve'):
        model.predict_active(x, samples, ['disc_grad'])
    model.train()
    xt, st = batch(4, seed=2)
    losses = model(
        x,
        samples,
        mode='loss',
        unlabeled_inputs=xt,
        unlabeled_data_samples=st)
    assert {'src.loss', 'dann.loss_adv', 'dann.acc'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    disc = model.regularizers[0].discriminator
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in disc.parameters())
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_tsf_classifier_training_step_needs_unlabelled_stream():
    model = _tiny(
        dict(
            type='TSFRegularizer',
            num_classes=NUM_CLASSES,
            discriminator=dict(type='MLPDiscriminator', in_channels=EMB)))
    model.train()
    x, samples = batch(4, seed=3)
    with pytest.raises(ValueError, match='unlabeled'):
        model(x, samples, mode='loss')
    xt, st = batch(4, seed=4)
    losses = model(
        x,
        samples,
        mode='loss',
        unlabeled_inputs=xt,
        unlabeled_data_samples=st)
    assert 'tsf.loss_adv' in losses and losses['tsf.loss_adv'] > 0
    other = _tiny(
        dict(
            type='TSFRegularizer',
            num_classes=NUM_CLASSES + 1,
            discriminator=dict(type='MLPDiscriminator', in_channels=EMB)))
    with pytest.raises(ValueError, match="head's"):
        other(
            x,
            samples,
            mode='loss',
            unlabeled_inputs=xt,
            unlabeled_data_samples=st)
