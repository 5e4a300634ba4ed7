"""MCUEncoderDecoder on tiny DeepLabV3+ / DeepLabV2 with a fake store."""
import argparse
import copy
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401
from tests.mcu_fakes import FakeAcquisition
from tests.mcu_reference import reference_patches
from tests.utils import REPO

C, H, W = 5, 32, 64
ORIG = (40, 80)
TARGETS = ('t/a.png', 't/b.png', 't/c.png')


@pytest.fixture(autouse=True)
def _mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture(autouse=True, scope='module')
def _one_thread():
    """Tiny models gain nothing from more threads, and OpenMP spin-waiting
    on a busy machine makes them crawl (see tests/utils.py)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _base(name):
    return Config.fromfile(
        osp.join(REPO, 'configs', '_base_', 'models', name)).model


def v3p_cfg(**kw):
    cfg = _base('deeplabv3plus_r18-d8_tiny.py')
    cfg.type = 'MCUEncoderDecoder'
    cfg.data_preprocessor.size = (H, W)
    cfg.decode_head.num_classes = C
    cfg.auxiliary_head.num_classes = C
    cfg.sampler = dict(decay='iteration')
    cfg.update(kw)
    return cfg


def v2_cfg(**kw):
    """configs/_base_/models/deeplabv2_r101.py at depth 18, 16 channels."""
    cfg = _base('deeplabv2_r101.py')
    cfg.type = 'MCUEncoderDecoder'
    bn = dict(type='BN', requires_grad=True)
    cfg.backbone.update(depth=18, base_channels=16, norm_cfg=bn, init_cfg=None)
    cfg.decode_head.update(
        in_channels=128,
        channels=16,
        num_classes=C,
        norm_cfg=bn,
        dilations=(1, 2, 3, 4))
    cfg.auxiliary_head.update(
        in_channels=64, num_classes=C, dilations=(1, 2, 3, 4))
    cfg.sampler = dict(decay='iteration')
    cfg.update(kw)
    return cfg


def build(cfg, seed=0):
    torch.manual_seed(seed)
    return MODELS.build(cfg)  # PyTorch's default init: enough here


def target_gt(seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.integers(0, C, ORIG) for k in TARGETS}


def _target_sample(key, y0, x0, flip=False, h=H, w=W):
    ys, xs = np.meshgrid(
        np.arange(y0, y0 + h), np.arange(x0, x0 + w), indexing='ij')
    index = ys * ORIG[1] + xs
    if flip:
        index = index[:, ::-1]
    s = SegDataSample(metainfo=dict(img_path=key, img_shape=(h, w)))
    s.gt_pixel_index = PixelData(
        data=torch.from_numpy(index.copy()).long()[None])
    return s


def batch(it, seed=0, target_labels=None):
    """2 source (labelled) + 2 target (index only) tensors/samples."""
    g = torch.Generator().manual_seed(100 + it)
    inputs = torch.randn(2, 3, H, W, generator=g)
    srcs = []
    for i in range(2):
        s = SegDataSample(
            metainfo=dict(
                img_path=f's/{it}_{i}.png',
                img_shape=(H, W),
                ori_shape=(H, W),
                pad_shape=(H, W)))
        lab = torch.randint(0, C, (1, H, W), generator=g)
        lab[:, :2] = 255
        s.gt_sem_seg = PixelData(data=lab)
        srcs.append(s)
    tin = torch.randn(2, 3, H, W, generator=g)
    k0, k1 = TARGETS[it % 3], TARGETS[(it + 1) % 3]
    tgts = [
        _target_sample(k0, it % 5, 2 * it % 9),
        _target_sample(k1, 3, 7, flip=True)
    ]
    if target_labels is not None:  # labels a model must never read
        for s in tgts:
            s.gt_sem_seg = PixelData(
                data=torch.full((1, H, W), target_labels, dtype=torch.long))
    return inputs, srcs, tin, tgts


def step(model, it, **kw):
    torch.manual_seed(1000 + it)  # dropout
    inputs, srcs, tin, tgts = batch(it, **kw)
    losses = model.loss(inputs, srcs, tin, tgts)
    loss, _ = model.parse_losses(losses)
    return loss, losses


@pytest.mark.parametrize('cfg_fn', [v3p_cfg, v2_cfg])
def test_forward_backward_and_progression(cfg_fn):
    model = build(cfg_fn())
    model.train()
    acq = FakeAcquisition(target_gt(), total=600)
    model.acquisition = acq
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    fracs = []
    for it in range(3):
        opt.zero_grad()
        loss, losses = step(model, it)
        assert torch.isfinite(loss)
        loss.backward()
        if it == 0:
            missing = [
                n for n, p in model.named_parameters()
                if p.requires_grad and p.grad is None
            ]
            assert not missing
        opt.step()
        fracs.append(losses['acq_bought_frac'].item())
    keys = set(losses)
    assert {
        'loss_src', 'loss_tgt', 'loss_pseudo', 'loss_aux_src', 'loss_aux_tgt',
        'acq_bought_frac', 'acq_phase', 'mcu_pi_high', 'mcu_pi_low',
        'mcu_labelled', 'mcu_pseudo'
    } <= keys
    assert {
        f'loss_con_{lv}_{k}'
        for lv in ('intra', 'cross_image', 'cross_domain')
        for k in ('p2p', 'c2c')
    } <= keys
    assert 0 < fracs[0] <= fracs[1] <= fracs[2] <= 1
    assert fracs[-1] == pytest.approx(acq.spent / acq.total)
    assert len(acq.buy_calls) == 3
    state = model.state_dict()
    assert {'sampler.pi_high', 'sampler.iteration',
            'dccm.weight'} <= set(state)
    assert int(state['sampler.iteration']) == 3
    # inference is EncoderDecoder's
    model.eval()
    with torch.no_grad():
        out = model.predict(batch(0)[0], batch(0)[1])
    assert out[0].pred_sem_seg.shape == (H, W)


def _merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@pytest.mark.parametrize(
    'name',
    ['al_wo_as', 'al_w_as', 'al_w_mcu_i', 'al_w_mcu_d', 'al_w_p2p', 'full'])
def test_table_v_vi_ablations_build_and_train(name):
    from mmseg_ada.models.segmentors import MCU_ABLATIONS
    cfg = _merge(v3p_cfg().to_dict(), MCU_ABLATIONS[name])
    model = build(cfg)
    model.acquisition = FakeAcquisition(target_gt(), total=600)
    loss, losses = step(model, 0)
    loss.backward()
    units = {k[len('loss_con_'):] for k in losses if k.startswith('loss_con')}
    want = {
        'al_wo_as': set(),
        'al_w_as': set(),
        'al_w_mcu_i':
        {'intra_p2p', 'intra_c2c', 'cross_image_p2p', 'cross_image_c2c'},
        'al_w_p2p': {'intra_p2p', 'cross_image_p2p', 'cross_domain_p2p'}
    }
    all6 = want['al_w_mcu_i'] | want['al_w_p2p'] | {'cross_domain_c2c'}
    assert units == want.get(name, all6)
    assert (model.dccm is not None) == (name == 'full')
    if name == 'al_wo_as':
        assert model.sampler.pseudo == 'all'
        assert not model.sampler.medium_phase
    assert model.sampler.decay == 'iteration'  # the base config survives


def test_source_groups_on_demand_equal_full_resolution_groups():
    """Eq. 1 at the pixels the units read == Eq. 1 on the whole map."""
    from mmseg_ada.active.uncertainty import mcu_uncertainty
    model = build(v3p_cfg())
    inputs, srcs, _, _ = batch(0)
    with torch.no_grad():
        out = model._forward_train(inputs)
    gt = torch.stack([s.gt_sem_seg.data[0] for s in srcs])
    plan = dict(pi_high=0.95, pi_low=0.9)
    score = mcu_uncertainty(out['logits'], out['aux'], 0.5)['score']
    full = model.sampler.group(score, gt != 255, 0.95, 0.9)
    assert len(full.unique()) == 4  # all groups and invalid present
    idx = torch.randperm(H * W, generator=torch.Generator().manual_seed(0))
    for i in range(2):
        fn = model._source_groups(out, i, gt[i], plan)
        assert torch.equal(fn(idx[:500]), full[i].reshape(-1)[idx[:500]])


def _reference_source_groups(model, out, i, gt, plan):
    """``MCUEncoderDecoder._source_groups`` before issue 19 (columns read by
    advanced indexing): the reference of the faster path."""
    from mmseg_ada.active.uncertainty import mcu_uncertainty
    logits = out['logits'][i].detach()
    aux = out['aux'][i].detach() if 'aux' in out else None

    def groups(flat_index):
        c = logits.shape[0]
        main = logits.reshape(c, -1)[:, flat_index].unsqueeze(0)
        side = None if aux is None else \
            aux.reshape(c, -1)[:, flat_index].unsqueeze(0)
        score = mcu_uncertainty(
            main,
            side,
            model.gamma if side is not None else 0.,
            score_only=True)['score'][0]
        valid = gt.reshape(-1)[flat_index] != model.ignore_index
        return model.sampler.group(score, valid, plan['pi_high'],
                                   plan['pi_low'])

    return groups


def _reference_grid_index(view):
    """``MCUContrastiveLoss._grid_index`` before issue 19 (rebuilt on every
    call, now cached per shape)."""
    height, width = view['label'].shape
    fh, fw = view['feat'].shape[1:]
    dev = view['label'].device
    ys = ((torch.arange(fh, device=dev) + 0.5) * height / fh).long()
    xs = ((torch.arange(fw, device=dev) + 0.5) * width / fw).long()
    ys, xs = ys.clamp(max=height - 1), xs.clamp(max=width - 1)
    return (ys.unsqueeze(1) * width + xs.unsqueeze(0)).reshape(-1)


def _use_reference_code(monkeypatch, model):
    """Train ``model`` with the code before issue 19's speed work."""
    monkeypatch.setattr(model, '_source_groups',
                        lambda *a: _reference_source_groups(model, *a))
    monkeypatch.setattr(model.contrastive, '_grid_index',
                        _reference_grid_index)
    for module, name, ref in reference_patches():
        monkeypatch.setattr(module, name, ref)


@pytest.mark.parametrize('groups', [('high', ), ('high', 'medium'), ()])
def test_same_weights_after_the_same_steps_as_the_reference(
        monkeypatch, groups):
    """Issue 19: the optimised training step gives bit-identical losses,
    buys and weights after 3 SGD steps as the pre-optimisation reference
    (exact equality: the faster ops read the same values in the same
    order), whichever groups give target anchors."""
    runs = []
    for ref in (False, True):
        model = build(
            v3p_cfg(
                sampler=dict(pseudo_start='always'),
                target_anchor_groups=groups))
        model.train()
        if ref:
            _use_reference_code(monkeypatch, model)
        acq = FakeAcquisition(target_gt(), total=600)
        model.acquisition = acq
        opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
        losses = []
        for it in range(3):
            opt.zero_grad()
            loss, parts = step(model, it)
            loss.backward()
            opt.step()
            losses.append({k: v.detach().clone() for k, v in parts.items()})
        runs.append((losses, model.state_dict(), acq.spent))
    (new_l, new_s, new_spent), (ref_l, ref_s, ref_spent) = runs
    assert new_spent == ref_spent
    for a, b in zip(new_l, ref_l):
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), k
    assert new_s.keys() == ref_s.keys()
    for k in new_s:
        assert torch.equal(new_s[k], ref_s[k]), k


def test_same_weights_as_the_reference_at_the_benchmark_size(monkeypatch):
    """The same at ``benchmarks/mcu.py``'s size (19 classes, 2 + 2 crops of
    128x256, every unit, the DCCM, the default caps: the capped draws thin
    their candidates): 2 steps, every gradient and weight equal."""
    spec = importlib.util.spec_from_file_location(
        'bench_mcu', osp.join(REPO, 'benchmarks', 'mcu.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = argparse.Namespace(
        device='cpu', size=(128, 256), caps=None, threads=1)
    runs = []
    for ref in (False, True):
        with monkeypatch.context() as m:
            b = bench.Bench('mcu', args)
            if ref:
                _use_reference_code(m, b.model)
            grads = []
            for it in range(2):
                b.opt.zero_grad()
                losses = b.model.loss(*b.batch(it))
                b.model.parse_losses(losses)[0].backward()
                grads.append([p.grad.clone() for p in b.model.parameters()])
                b.opt.step()
            runs.append((losses, grads, b.model.state_dict(), b.acq.spent))
    (new_l, new_g, new_s, new_spent), (ref_l, ref_g, ref_s, ref_spent) = runs
    assert new_spent == ref_spent and new_l['con_anchors'] > 0
    for k in new_l:
        assert torch.equal(new_l[k], ref_l[k]), k
    for a, b in zip(new_g, ref_g):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    for k in new_s:
        assert torch.equal(new_s[k], ref_s[k]), k


def test_budget_spent_then_no_more_buying():
    model = build(v3p_cfg(contrastive=None))
    acq = FakeAcquisition(target_gt(), total=30)
    model.acquisition = acq
    for it in range(4):
        _, losses = step(model, it)
    assert acq.spent == 30
    calls = len(acq.buy_calls)
    _, losses = step(model, 4)
    assert len(acq.buy_calls) == calls  # phase 3: labels() only
    assert losses['acq_phase'].item() == 3
    assert losses['acq_bought_frac'].item() == 1.0
    assert 'loss_con_intra_p2p' not in losses


@pytest.mark.parametrize('pseudo_label', ['hard', 'soft'])
def test_pseudo_labels_only_once_the_budget_is_spent(pseudo_label):
    """Algorithm 1, line 12: no pseudo-label (``loss_pseudo`` = 0) while
    pixels are bought; afterwards, per image half its labelled pixels of
    G_l, trained with CE on the argmax (hard) or Eq. 5's softmax target
    (soft: the entropy of the prediction), checked against both computed
    directly from the logits.  ``pseudo_start='always'`` is the earlier
    behaviour: pseudo-labels in the buying phases too."""
    from mmseg_ada.models.losses.mcu_seg_loss import (masked_cross_entropy,
                                                      masked_entropy)
    from mmseg_ada.models.utils.mcu_adaptive_sampler import LOW
    model = build(v3p_cfg(contrastive=None, pseudo_label=pseudo_label))
    acq = FakeAcquisition(target_gt(), total=30)
    model.acquisition = acq
    seen = []
    for it in range(5):
        _, losses = step(model, it)
        seen.append((losses['acq_phase'].item(), losses['mcu_pseudo'].item(),
                     losses['loss_pseudo'].item()))
    buying = [x for x in seen if x[0] < 3]
    assert buying and all(n == 0 and v == 0 for _, n, v in buying)
    assert seen[-1][0] == 3 and seen[-1][1] > 0

    # the last step's term, recomputed from the model's own outputs
    captured = {}
    orig = model.sampler.pseudo_masks

    def spy(plan, valid, labelled, keys):
        out = orig(plan, valid, labelled, keys)
        captured.update(plan=plan, labelled=labelled, masks=out)
        return out

    model.sampler.pseudo_masks = spy
    model.eval()  # no dropout: the two forward passes below agree
    inputs, srcs, tin, tgts = batch(5)
    losses = model.loss(inputs, srcs, tin, tgts)
    masks = torch.stack(captured['masks'])
    labelled = captured['labelled']
    for i in range(2):
        n = int(labelled[i].sum())
        assert int(masks[i].sum()) == int(np.floor(0.5 * n + 0.5))
        assert not (masks[i] & (captured['plan']['groups'][i] != LOW)).any()
    with torch.no_grad():
        logits = model._forward_train(tin)['logits']
    if pseudo_label == 'hard':
        target = torch.where(masks, logits.argmax(1),
                             torch.full_like(masks, 255, dtype=torch.long))
        want = masked_cross_entropy(logits, target, 255, 'mean')
    else:
        want = masked_entropy(logits, masks, 'mean')
    assert losses['loss_pseudo'].item() == pytest.approx(want.item(), rel=1e-5)

    always = build(
        v3p_cfg(
            contrastive=None,
            sampler=dict(decay='iteration', pseudo_start='always')))
    always.acquisition = FakeAcquisition(target_gt(), total=10**4)
    _, losses = step(always, 0)
    assert losses['acq_phase'].item() == 1
    assert losses['mcu_pseudo'].item() > 0 and losses['loss_pseudo'] > 0


def test_oracle_discipline_poisoned_labels_change_nothing():
    """Target labels outside the bought pixels (and any gt_sem_seg on the
    target samples) poisoned -> bit-identical losses and gradients."""
    gt = target_gt()
    base = build(v3p_cfg())
    runs = []
    for poison in (False, True):
        model = copy.deepcopy(base)
        truth = {k: v.copy() for k, v in gt.items()}
        if poison:
            bought = runs[0]['bought']
            rng = np.random.default_rng(7)
            for k in truth:
                mask = ~bought[k].numpy().reshape(ORIG)
                truth[k][mask] = (truth[k][mask] +
                                  rng.integers(1, C, int(mask.sum()))) % C
        acq = FakeAcquisition(truth, total=400)
        model.acquisition = acq
        opt = torch.optim.SGD(model.parameters(), lr=1e-2)
        rec = dict(losses=[], grads=[])
        for it in range(2):
            opt.zero_grad()
            loss, losses = step(
                model, it, target_labels=(0 if not poison else 3))
            loss.backward()
            rec['losses'].append({
                k: v.detach().clone()
                for k, v in losses.items()
            })
            rec['grads'].append([p.grad.clone() for p in model.parameters()])
            opt.step()
        rec['bought'] = {k: v.clone() for k, v in acq.bought.items()}
        runs.append(rec)
    clean, poisoned = runs
    assert sum(int(v.sum()) for v in clean['bought'].values()) > 0
    for k in clean['bought']:
        assert torch.equal(clean['bought'][k], poisoned['bought'][k])
    for lc, lp in zip(clean['losses'], poisoned['losses']):
        assert lc.keys() == lp.keys()
        for k in lc:
            assert torch.equal(lc[k], lp[k]), k
    for gc, gp in zip(clean['grads'], poisoned['grads']):
        for a, b in zip(gc, gp):
            assert torch.equal(a, b)


def test_padding_pixels_are_never_requested():
    model = build(v3p_cfg(contrastive=None))
    acq = FakeAcquisition(target_gt(), total=10**4)
    model.acquisition = acq
    inputs, srcs, tin, _ = batch(0)
    tgts = [
        _target_sample('t/a.png', 0, 0, h=H - 4, w=W - 6),
        _target_sample('t/b.png', 1, 1)
    ]
    seen = []
    orig_buy = acq.buy

    def spy(samples, masks):
        seen.extend(masks)
        return orig_buy(samples, masks)

    acq.buy = spy
    model.loss(inputs, srcs, tin, tgts)
    assert seen[0].shape == (H - 4, W - 6) and seen[1].shape == (H, W)
    assert acq.spent > 0


def test_errors_are_named():
    model = build(v3p_cfg())
    inputs, srcs, tin, tgts = batch(0)
    with pytest.raises(RuntimeError, match='acquisition'):
        model.loss(inputs, srcs, tin, tgts)
    model.acquisition = FakeAcquisition(target_gt(), total=10)
    with pytest.raises(ValueError, match='target_inputs'):
        model.loss(inputs, srcs)
    del tgts[0].gt_pixel_index
    with pytest.raises(KeyError, match='gt_pixel_index'):
        model.loss(inputs, srcs, tin, tgts)
    cfg = v3p_cfg()
    cfg.pop('auxiliary_head')
    with pytest.raises(ValueError, match='auxiliary_head'):
        MODELS.build(cfg)
    cfg = v2_cfg()
    cfg.decode_head.bottleneck = False
    with pytest.raises(ValueError, match='feature map'):
        MODELS.build(cfg)
    cfg = v3p_cfg()
    cfg.sampler = dict()  # the per-epoch default needs an epoch length
    with pytest.raises(ValueError, match='epoch_length'):
        MODELS.build(cfg)


def test_acquisition_figure_written_and_never_fatal(tmp_path, monkeypatch):
    """The model records the arrays every ``vis_interval`` iterations; the
    hook (after each iteration) draws and writes them."""
    from mmseg_ada.engine.hooks import MCUAcquisitionHook
    model = build(
        v3p_cfg(contrastive=None, vis_interval=2, vis_dir=str(tmp_path)))
    model.acquisition = FakeAcquisition(target_gt(), total=500)
    hook = MCUAcquisitionHook()
    for it in range(3):
        step(model, it)
        hook.write(model)
    assert model.acquisition_record['iteration'] == 2
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [
        'mcu_acquisition_0000000.png', 'mcu_acquisition_0000002.png'
    ]
    fig = hook.last_figure
    assert fig.dtype == np.uint8 and fig.shape[0] > 2 * H
    assert hook.write(model) is None  # once per record
    import mmseg_ada.visualization.mcu_acquisition as vis

    def boom(*a, **k):
        raise RuntimeError('boom')

    monkeypatch.setattr(vis, 'draw_acquisition', boom)
    step(model, 3)
    hook.write(model)
    step(model, 4)  # a drawing iteration: logged, training goes on
    assert hook.write(model) is None
    assert model.acquisition_record['iteration'] == 4


def test_train_step_through_the_data_preprocessor():
    """Source + target batch through SourceTargetDataPreProcessor."""
    model = build(v3p_cfg())
    model.acquisition = FakeAcquisition(target_gt(), total=200)
    g = torch.Generator().manual_seed(0)

    def part(samples):
        imgs = [
            torch.randint(
                0,
                256, (3, *s.metainfo['img_shape']),
                generator=g,
                dtype=torch.uint8) for s in samples
        ]
        return dict(inputs=imgs, data_samples=samples)

    _, srcs, _, tgts = batch(0)
    tgts[0] = _target_sample('t/a.png', 0, 0, h=H - 8, w=W - 8)  # padded
    data = dict(source=part(srcs), target=part(tgts))
    from mmengine.optim import OptimWrapper
    ow = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    log = model.train_step(data, ow)
    assert 'loss_con_cross_domain_p2p' in log and torch.isfinite(log['loss'])
