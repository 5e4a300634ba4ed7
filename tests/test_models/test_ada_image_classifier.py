"""ADAImageClassifier: forward modes, solvers, streams, oracle discipline,
selection outputs."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import OptimWrapper

from mmseg_ada.models.regularizers import BaseClsRegularizer
from mmseg_ada.structures import ClsDataSample
from tests.test_models.cls_utils import (EMB, NUM_CLASSES, batch, build,
                                         tiny_cfg)

pytestmark = pytest.mark.usefixtures('one_thread')


def _labels(samples):
    return torch.tensor([s.gt_label.item() for s in samples])


class SpyRegularizer(BaseClsRegularizer):
    """Records what it receives; loss = mean of the unlabelled logits."""

    required_streams = ('unlabeled', )

    def __init__(self):
        super().__init__(prefix='spy')
        self.seen = None

    def loss(self, streams, head):
        self.seen = streams
        return {'spy.loss': streams['unlabeled'].logits.mean()}


class DomainRegularizer(BaseClsRegularizer):
    """A minimal regulariser owning a discriminator on z."""

    has_domain_discriminator = True
    active_outputs = ('disc_norm', )
    required_streams = ()

    def __init__(self):
        super().__init__(prefix='dom')
        self.disc = nn.Linear(EMB, 1)

    def loss(self, streams, head):
        return {}

    def predict_domain(self, embedding):
        return torch.sigmoid(self.disc(embedding))

    def predict_active(self, requires, embedding, logits):
        return {'disc_norm': embedding.norm(dim=1, keepdim=True)}


def test_forward_modes():
    model = build(tiny_cfg()).eval()
    x, s = batch(3, seed=0)
    logits = model(x, mode='tensor')
    assert logits.shape == (3, NUM_CLASSES)
    feats = model.extract_feat(x)
    assert isinstance(feats, tuple) and feats[0].shape == (3, 64)
    assert model.extract_feat(x, 'pre_logits').shape == (3, EMB)
    assert len(model.extract_feat(x, 'backbone')) == 1
    preds = model(x, s, mode='predict')
    assert [p.pred_label.item() for p in preds] == logits.argmax(1).tolist()
    torch.testing.assert_close(
        torch.stack([p.pred_score for p in preds]), F.softmax(logits, 1))
    assert preds[0] is s[0]
    model.train()
    losses = model(x, s, mode='loss')
    assert set(losses) == {'src.loss'}
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(x, mode='bogus')
    with pytest.raises(ValueError, match='one stream'):
        model(x, s, mode='predict', target_inputs=x)
    with pytest.raises(ValueError, match='gt_label'):
        model(x, None, mode='loss')


def test_solver_ft_one_ce_over_concatenation():
    """'ft': one CE over cat(S, T_l), one joint forward (SAGE Eq. 7)."""
    model = build(tiny_cfg(solver='ft')).train()
    xs, ss = batch(3, seed=1)
    xt, st = batch(2, seed=2)
    losses = model.loss(xs, ss, target_inputs=xt, target_data_samples=st)
    assert set(losses) == {'sup.loss'}
    logits = model(torch.cat([xs, xt]), mode='tensor')
    expected = F.cross_entropy(logits, torch.cat([_labels(ss), _labels(st)]))
    torch.testing.assert_close(losses['sup.loss'], expected)
    # before the first query: source only
    only = model.loss(xs, ss)
    torch.testing.assert_close(
        only['sup.loss'],
        F.cross_entropy(model(xs, mode='tensor'), _labels(ss)))
    with pytest.raises(ValueError, match="'st' only"):
        build(tiny_cfg(solver='ft', target_loss_weight=2.0))
    with pytest.raises(ValueError, match='solver must be'):
        build(tiny_cfg(solver='s+t'))


def test_solver_st_per_stream_means():
    """'st': mean CE on S + mean CE on T_l, separate forwards (Eq. 8)."""
    model = build(
        tiny_cfg(solver='st', source_loss_weight=0.5,
                 target_loss_weight=2.0)).train()
    xs, ss = batch(3, seed=1)
    xt, st = batch(2, seed=2)
    losses = model.loss(xs, ss, target_inputs=xt, target_data_samples=st)
    assert set(losses) == {'src.loss', 'tgt.loss'}
    torch.testing.assert_close(
        losses['src.loss'],
        0.5 * F.cross_entropy(model(xs, mode='tensor'), _labels(ss)))
    torch.testing.assert_close(
        losses['tgt.loss'],
        2.0 * F.cross_entropy(model(xt, mode='tensor'), _labels(st)))
    empty = model.loss(xs, ss, target_inputs=xt[:0], target_data_samples=[])
    assert set(empty) == {'src.loss'}


def _loss_and_grads(model, xu, su, solver_batches):
    model.zero_grad()
    xs, ss, xt, st = solver_batches
    losses = model.loss(
        xs,
        ss,
        target_inputs=xt,
        target_data_samples=st,
        unlabeled_inputs=xu,
        unlabeled_data_samples=su)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }
    return {k: v.detach() for k, v in losses.items()}, grads


@pytest.mark.parametrize('solver', ['ft', 'st'])
def test_unlabeled_labels_never_used(solver):
    """Oracle discipline: poisoned unlabelled labels change nothing."""
    model = build(
        tiny_cfg(
            'CosineBottleneckClsHead',
            solver=solver,
            regularizers=[dict(type='MMERegularizer')]))
    model.train()
    xs, ss = batch(3, seed=1)
    xt, st = batch(2, seed=2)
    xu, su_true = batch(4, seed=3)
    _, su_poison = batch(4, seed=3, labels=[4, 4, 0, 1])
    for s in su_poison:
        s.set_gt_score([1.0] * NUM_CLASSES)
    ref_l, ref_g = _loss_and_grads(model, xu, su_true, (xs, ss, xt, st))
    got_l, got_g = _loss_and_grads(model, xu, su_poison, (xs, ss, xt, st))
    assert ref_l.keys() == got_l.keys() and 'mme.loss_ent' in ref_l
    for k in ref_l:
        assert torch.equal(ref_l[k], got_l[k]), k
    assert ref_g.keys() == got_g.keys()
    for n in ref_g:
        assert torch.equal(ref_g[n], got_g[n]), n
    # no samples at all gives the same too
    none_l, _ = _loss_and_grads(model, xu, None, (xs, ss, xt, st))
    assert torch.equal(none_l['mme.loss_ent'], ref_l['mme.loss_ent'])


def test_regularizers_see_label_free_unlabeled_samples():
    spy = SpyRegularizer()
    model = build(tiny_cfg(regularizers=[spy])).train()
    xs, ss = batch(2, seed=1)
    xu, su = batch(3, seed=2)
    losses = model.loss(xs, ss, unlabeled_inputs=xu, unlabeled_data_samples=su)
    assert 'spy.loss' in losses
    unl = spy.seen['unlabeled']
    assert set(spy.seen) == {'source', 'unlabeled'}
    assert unl.embedding.shape == (3, EMB) and unl.feats.shape == (3, 64)
    for clean, orig in zip(unl.data_samples, su):
        assert 'gt_label' not in clean and 'gt_label' in orig
        assert clean.img_path == orig.img_path
    assert torch.equal(spy.seen['source'].data_samples[0].gt_label,
                       ss[0].gt_label)


def test_unlabeled_stream_forwarded_only_when_needed():
    model = build(tiny_cfg()).train()
    calls = []
    model.backbone.register_forward_hook(
        lambda m, i, o: calls.append(i[0].shape[0]))
    xs, ss = batch(2, seed=1)
    xu, su = batch(3, seed=2)
    model.loss(xs, ss, unlabeled_inputs=xu, unlabeled_data_samples=su)
    assert calls == [2]


def test_duplicate_regularizer_keys_rejected():
    model = build(tiny_cfg(
        regularizers=[SpyRegularizer(), SpyRegularizer()])).train()
    xs, ss = batch(2, seed=1)
    xu, su = batch(2, seed=2)
    with pytest.raises(ValueError, match='another prefix'):
        model.loss(xs, ss, unlabeled_inputs=xu, unlabeled_data_samples=su)
    with pytest.raises(TypeError, match='BaseClsRegularizer'):
        build(tiny_cfg(regularizers=[nn.Linear(2, 2)]))


def test_predict_active_outputs():
    model = build(tiny_cfg()).eval()
    x, s = batch(3, seed=4)
    out = model.predict_active(x, s, ['prob', 'feature', 'logits'])
    assert set(out) == {'prob', 'feature', 'logits'}
    assert all(len(v) == 3 for v in out.values())
    assert out['prob'][0].shape == (NUM_CLASSES, )
    assert out['feature'][0].shape == (EMB, )
    emb = model.extract_feat(x, 'pre_logits')
    torch.testing.assert_close(torch.stack(out['feature']), emb)
    torch.testing.assert_close(
        torch.stack(out['logits']), model(x, mode='tensor'))
    torch.testing.assert_close(
        torch.stack(out['prob']), F.softmax(model(x, mode='tensor'), 1))
    assert not out['prob'][0].requires_grad
    with pytest.raises(ValueError, match='domain discriminator'):
        model.predict_active(x, s, ['prob', 'domain'])
    with pytest.raises(ValueError, match="cannot serve 'aux_prob'"):
        model.predict_active(x, s, ['aux_prob'])


def test_predict_active_domain_and_regularizer_outputs():
    model = build(tiny_cfg(regularizers=[DomainRegularizer()])).eval()
    x, s = batch(3, seed=4)
    out = model.predict_active(x, s, ['domain', 'disc_norm'])
    emb = model.extract_feat(x, 'pre_logits')
    torch.testing.assert_close(
        torch.stack(out['domain']), model.regularizers[0].predict_domain(emb))
    assert out['domain'][0].shape == (1, )
    torch.testing.assert_close(
        torch.stack(out['disc_norm'])[:, 0], emb.norm(dim=1))


@pytest.mark.parametrize('head',
                         ['BottleneckClsHead', 'CosineBottleneckClsHead'])
def test_active_constants_reproduce_logits(head):
    model = build(tiny_cfg(head)).eval()
    x, s = batch(3, seed=5)
    names = list(model.ACTIVE_CONSTANTS)
    const = model.active_constants(names)
    assert const['classifier_weight'].shape == (NUM_CLASSES, EMB)
    assert const['classifier_bias'].shape == (NUM_CLASSES, )
    z = torch.stack(model.predict_active(x, s, ['feature'])['feature'])
    w, b = const['classifier_weight'], const['classifier_bias']
    if const['classifier_normalize_feature']:
        z = F.normalize(z, dim=1)
    if const['classifier_normalize_weight']:
        w = F.normalize(w, dim=1)
    logits = z @ w.T / const['classifier_temperature'] + b
    torch.testing.assert_close(logits, model(x, mode='tensor'))
    const['classifier_weight'].add_(1)  # a copy, not the parameter
    assert not torch.equal(const['classifier_weight'],
                           model.head.classifier_weight)
    with pytest.raises(ValueError, match='cannot serve'):
        model.active_constants(['classifier_scale'])


def test_train_step_with_stream_batch():
    """mmengine's train_step: preprocessor -> loss -> one optimiser step."""
    model = build(
        tiny_cfg(
            'CosineBottleneckClsHead',
            regularizers=[dict(type='MMERegularizer')],
            data_preprocessor=dict(
                type='MultiStreamClsDataPreProcessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375])))
    model.train()

    def stream(n, seed):
        g = torch.Generator().manual_seed(seed)
        imgs = [
            torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=g)
            for _ in range(n)
        ]
        return dict(
            inputs=imgs,
            data_samples=[
                ClsDataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)
            ])

    data = dict(
        source=stream(3, 0), target=stream(2, 1), unlabeled=stream(4, 2))
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.head.fc.weight.detach().clone()
    log_vars = model.train_step(data, wrapper)
    assert {'loss', 'src.loss', 'tgt.loss', 'mme.loss_ent',
            'mme.entropy'} <= set(log_vars)
    total = (
        log_vars['src.loss'] + log_vars['tgt.loss'] + log_vars['mme.loss_ent'])
    assert log_vars['loss'].item() == pytest.approx(total.item(), rel=1e-5)
    assert not torch.equal(before, model.head.fc.weight)
    # validation batches are plain
    model.eval()
    preds = model.val_step(stream(2, 3))
    assert len(preds) == 2 and 'pred_label' in preds[0]


def test_active_outputs_is_the_one_list_predict_active_checks():
    """Issue 16, case 3: what the classifier serves is declared in one
    place (no forward pass); ``predict_active`` and the selection setup
    check against it, so their messages agree: a classifier without a
    domain discriminator does not claim to serve ``'domain'``."""
    plain = build(tiny_cfg()).eval()
    assert plain.active_outputs() == ('prob', 'feature', 'logits')
    x, s = batch(2, seed=4)
    for needs, owner in ((['prob', 'domain'], 'DANNRegularizer'),
                         (['prob', 'disc_grad'], 'TSFRegularizer')):
        with pytest.raises(ValueError) as early:
            plain.check_active_requires(needs)
        with pytest.raises(ValueError) as late:
            plain.predict_active(x, s, needs)
        assert str(early.value) == str(late.value)
        msg = str(early.value)
        assert f'cannot serve {needs[1]!r}' in msg and owner in msg
        assert "it serves ['prob', 'feature', 'logits']" in msg
    plain.check_active_requires(['prob', 'classifier_weight'])  # constants
    dom = build(tiny_cfg(regularizers=[DomainRegularizer()])).eval()
    assert dom.active_outputs() == ('prob', 'feature', 'logits', 'domain',
                                    'disc_norm')
    dom.check_active_requires(['domain', 'disc_norm'])
