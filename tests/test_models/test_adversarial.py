"""Adversarial UDA warm-up: FCDiscriminator, AdversarialEncoderDecoder
(AdaptSegNet / ADVENT), the two-optimiser constructor, the configs, and
tools/train.py runs (resume of both optimisers, 2-process gloo)."""
import copy
import glob
import json
import math
import os.path as osp
import shutil

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ada  # noqa: F401
from tests.utils import PYTHON, REPO, run_tool

TINY_MODEL = osp.join(REPO, 'configs', '_base_', 'models',
                      'deeplabv3plus_r18-d8_tiny.py')
SCHEDULE = osp.join(REPO, 'configs', '_base_', 'schedules',
                    'da_adversarial_poly_100k.py')
DEMO_CFG = osp.join(
    REPO, 'configs', 'demo',
    'adaptseg_deeplabv3plus-r18-d8_4xb4-300_demo-gta5-cityscapes-128x256.py')
REAL_CFGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'adaptseg', '*.py')) +
    glob.glob(osp.join(REPO, 'configs', 'advent', '*.py')))
H, W = 32, 64


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


def tiny_model(**overrides):
    """The tiny DeepLabV3+ as an AdversarialEncoderDecoder (64x128)."""
    cfg = copy.deepcopy(Config.fromfile(TINY_MODEL).model)
    cfg.update(
        type='AdversarialEncoderDecoder',
        discriminator=dict(type='FCDiscriminator', ndf=8))
    cfg.data_preprocessor.size = (H, W)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def tiny_optim(model, seg_lr=0.01, disc_lr=1e-3):
    cfg = copy.deepcopy(Config.fromfile(SCHEDULE).optim_wrapper)
    cfg.segmentor.optimizer.lr = seg_lr
    cfg.discriminator.optimizer.lr = disc_lr
    return build_optim_wrapper(model, cfg)


def samples(n, labels, seed=0):
    """Raw (uint8) images and samples as the dataloader gives them."""
    g = torch.Generator().manual_seed(seed)
    imgs = [
        torch.randint(0, 256, (3, H, W), generator=g, dtype=torch.uint8)
        for _ in range(n)
    ]
    out = []
    for _ in range(n):
        s = SegDataSample()
        s.set_metainfo(dict(img_shape=(H, W), ori_shape=(H, W)))
        if labels == 'full':
            s.gt_sem_seg = PixelData(
                data=torch.randint(0, 19, (1, H, W), generator=g))
        elif labels == 'partial':  # 16 labelled pixels, rest ignored
            gt = torch.full((1, H, W), 255, dtype=torch.long)
            gt[0, :4, :4] = torch.randint(0, 19, (4, 4), generator=g)
            s.gt_sem_seg = PixelData(data=gt)
        out.append(s)
    return dict(inputs=imgs, data_samples=out)


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(before, after):
    return {k for k in before if not torch.equal(before[k], after[k])}


# --------------------------------------------------------- discriminator
def test_fc_discriminator_architecture():
    from mmseg_ada.models.discriminators import FCDiscriminator
    d = FCDiscriminator(in_channels=19)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(19, 64),
                                                                (64, 128),
                                                                (128, 256),
                                                                (256, 512),
                                                                (512, 1)]
    assert all(
        c.kernel_size == (4, 4) and c.stride == (2, 2) and c.padding == (1, 1)
        for c in convs)
    acts = [m for m in d.modules() if isinstance(m, torch.nn.LeakyReLU)]
    assert len(acts) == 4 and all(a.negative_slope == 0.2 for a in acts)
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in d.modules())
    n_params = sum(p.numel() for p in d.parameters())
    assert n_params == sum(
        16 * ci * co + co
        for ci, co in [(19, 64), (64, 128), (128, 256), (256, 512), (512, 1)])
    out = d(torch.randn(2, 19, 64, 128))
    assert out.shape == (2, 1, 2, 4)  # stride 32
    # negative slope 0.2 applied: one layer on a known input
    small = FCDiscriminator(in_channels=1, ndf=1, negative_slope=0.1)
    conv = small.convs[0].conv
    with torch.no_grad():
        conv.weight.fill_(1.)
        conv.bias.fill_(0.)
    # each 4x4 window (padding 1) of a 4x4 map of -1 holds 9 of them
    y = small.convs[0](-torch.ones(1, 1, 4, 4))
    assert torch.allclose(y, torch.full((1, 1, 2, 2), -0.9))


def test_fc_discriminator_rejects_bad_input():
    from mmseg_ada.models.discriminators import FCDiscriminator
    with pytest.raises(ValueError, match='in_channels'):
        FCDiscriminator(in_channels=0)
    with pytest.raises(ValueError, match=r'\(B, 19, H, W\)'):
        FCDiscriminator(in_channels=19)(torch.randn(1, 18, 32, 32))


# ------------------------------------------------------------- D inputs
def test_disc_input_softmax_entropy_and_upsampling():
    model = tiny_model()
    logits = torch.randn(2, 19, 8, 16) * 3
    logits[0, 0, 0, 0] = 200.  # other probabilities underflow to 0
    model.upsample_disc_input = False
    p = model.disc_input(logits)
    assert torch.allclose(p, torch.softmax(logits, 1))
    model.adv_input = 'entropy'
    ent = model.disc_input(logits)
    q = torch.softmax(logits.double(), 1)
    expected = -(q * torch.log(q.clamp_min(1e-300))) / math.log(19)
    assert torch.isfinite(ent).all()
    assert torch.allclose(ent.double(), expected, atol=1e-6)
    model.entropy_normalize = False
    assert torch.allclose(
        model.disc_input(logits).double(), expected * math.log(19), atol=1e-5)
    # AdaptSegNet / ADVENT: upsample the logits to the input size first
    model.adv_input, model.upsample_disc_input = 'softmax', True
    up = model.disc_input(logits, (H, W))
    ref = torch.softmax(
        F.interpolate(logits, (H, W), mode='bilinear', align_corners=False), 1)
    assert up.shape == (2, 19, H, W) and torch.allclose(up, ref, atol=1e-6)


def test_invalid_arguments():
    with pytest.raises(ValueError, match='adv_input'):
        tiny_model(adv_input='kl')
    with pytest.raises(ValueError, match='must differ'):
        tiny_model(source_label=1, target_label=1)
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        tiny_model(target_label=2)
    with pytest.raises(ValueError, match='in_channels=18'):
        tiny_model(discriminator=dict(type='FCDiscriminator', in_channels=18))
    with pytest.raises(ValueError, match='auxiliary_head'):
        tiny_model(
            auxiliary_head=None,
            aux_discriminator=dict(type='FCDiscriminator'))


# ---------------------------------------------------------------- losses
def _preprocessed(model, n=2, src_labels='full', tgt_labels=None):
    data = dict(
        source=samples(n, src_labels, seed=1),
        target=samples(n, tgt_labels, seed=2))
    return model.data_preprocessor(data, True)


@pytest.mark.parametrize('adv_input', ['softmax', 'entropy'])
def test_losses_match_independent_computation(adv_input):
    model = tiny_model(
        adv_input=adv_input,
        aux_discriminator=dict(type='FCDiscriminator', ndf=8))
    model.eval()  # deterministic heads (no dropout) for the comparison
    data = _preprocessed(model)
    losses, maps = model.segmentor_losses(**data)

    def d_input(logits):
        up = F.interpolate(
            logits, (H, W), mode='bilinear', align_corners=False)
        p = torch.softmax(up, 1)
        if adv_input == 'entropy':
            return -p * torch.log(p) / math.log(19)
        return p

    with torch.no_grad():
        feats_t = model.backbone(data['target_inputs'])
        feats_s = model.backbone(data['inputs'])
        m_t = d_input(model.decode_head(feats_t))
        m_s = d_input(model.decode_head(feats_s))
        a_t = d_input(model.auxiliary_head(feats_t))
        d_t = model.discriminator(m_t)
        d_ta = model.aux_discriminator(a_t)
        # BCE-with-logits against label y: y*softplus(-x) + (1-y)*softplus(x)
        adv = 0.001 * F.softplus(d_t).mean()  # target judged as source (0)
        adv_aux = 0.0002 * F.softplus(d_ta).mean()
        ce = F.cross_entropy(
            F.interpolate(
                model.decode_head(feats_s), (H, W),
                mode='bilinear',
                align_corners=False),
            torch.stack([s.gt_sem_seg.data[0] for s in data['data_samples']]))
    assert torch.allclose(losses['adv.loss_adv'], adv, rtol=1e-4)
    assert torch.allclose(losses['adv.loss_adv_aux'], adv_aux, rtol=1e-4)
    assert torch.allclose(losses['src.decode.loss_ce'], ce, rtol=1e-4)
    # no target label: supervised target losses are zero
    assert float(losses['tgt.decode.loss_ce']) == 0.
    assert torch.allclose(maps['target']['main'], m_t, atol=1e-6)
    assert torch.allclose(maps['source']['main'], m_s, atol=1e-6)

    d_losses = model.discriminator_losses(maps['source'], maps['target'])
    with torch.no_grad():
        exp_src = 0.5 * F.softplus(model.discriminator(m_s)).mean()
        exp_tgt = 0.5 * F.softplus(-model.discriminator(m_t)).mean()
    assert torch.allclose(d_losses['disc.loss_d_src'], exp_src, rtol=1e-4)
    assert torch.allclose(d_losses['disc.loss_d_tgt'], exp_tgt, rtol=1e-4)
    assert set(d_losses) == {
        'disc.loss_d_src', 'disc.loss_d_tgt', 'disc.loss_d_src_aux',
        'disc.loss_d_tgt_aux'
    }


def test_reversed_labels_and_partial_target_labels():
    model = tiny_model(source_label=1, target_label=0, target_loss_weight=0.5)
    model.eval()
    data = _preprocessed(model, tgt_labels='partial')
    losses, maps = model.segmentor_losses(**data)
    with torch.no_grad():
        logits_t = model.decode_head(model.backbone(data['target_inputs']))
        d_t = model.discriminator(maps['target']['main'])
        gt = torch.stack(
            [s.gt_sem_seg.data[0] for s in data['target_data_samples']])
        ce_t = F.cross_entropy(
            F.interpolate(
                logits_t, (H, W), mode='bilinear', align_corners=False),
            gt,
            ignore_index=255)
    # target is pushed towards the source label, now 1
    assert torch.allclose(
        losses['adv.loss_adv'], 0.001 * F.softplus(-d_t).mean(), rtol=1e-4)
    # labelled target pixels only (avg_non_ignore), times the weight
    assert torch.allclose(losses['tgt.decode.loss_ce'], 0.5 * ce_t, rtol=1e-4)


def test_adversarial_gradient_reaches_segmentor_not_frozen_discriminator():
    model = tiny_model()
    data = _preprocessed(model)
    with model._frozen([model.discriminator]):
        losses, _ = model.segmentor_losses(**data)
        losses['adv.loss_adv'].backward()
    assert all(p.grad is None for p in model.discriminator.parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())
    grads = [p.grad for p in model.backbone.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


# ------------------------------------------------------------ train step
def test_train_step_updates_each_part_with_its_own_optimiser():
    model = tiny_model(aux_discriminator=dict(type='FCDiscriminator', ndf=8))
    optim = tiny_optim(model)
    disc_names = model.discriminator_names()
    assert disc_names == ['discriminator', 'aux_discriminator']
    events = []

    def spy(name):
        wrapper = optim[name]
        original = wrapper.update_params

        def update_params(loss, *args, **kwargs):
            frozen = [
                not p.requires_grad for n in disc_names
                for p in getattr(model, n).parameters()
            ]
            before = snapshot(model)
            original(loss, *args, **kwargs)
            events.append((name, before, snapshot(model), all(frozen)))

        wrapper.update_params = update_params

    spy('segmentor')
    spy('discriminator')
    data = dict(source=samples(2, 'full', 1), target=samples(2, None, 2))
    log_vars = model.train_step(data, optim)

    assert [e[0] for e in events] == ['segmentor', 'discriminator']
    is_disc = [k.split('.')[0] in disc_names for k in events[0][1]]
    disc_keys = {k for k, d in zip(events[0][1], is_disc) if d}
    seg_keys = set(events[0][1]) - disc_keys
    (_, b_seg, a_seg, frozen_seg), (_, b_d, a_d, frozen_d) = events
    assert frozen_seg and not frozen_d
    assert not changed(b_seg, a_seg) & disc_keys  # D fixed in seg step
    assert changed(b_seg, a_seg) & seg_keys  # segmentor stepped
    assert not changed(b_d, a_d) & seg_keys  # segmentor fixed in D step
    assert changed(b_d, a_d) >= disc_keys  # every D parameter stepped
    assert all(p.requires_grad for p in model.parameters())
    for key in ('loss', 'src.decode.loss_ce', 'tgt.decode.loss_ce',
                'adv.loss_adv', 'adv.loss_adv_aux', 'disc.loss_d_src',
                'disc.loss_d_tgt', 'disc.loss_d_src_aux',
                'disc.loss_d_tgt_aux', 'disc.loss'):
        assert key in log_vars, key
    assert float(log_vars['disc.loss']) == pytest.approx(
        sum(
            float(log_vars[k]) for k in log_vars
            if k.startswith('disc.loss_d')),
        rel=1e-5)
    assert float(log_vars['adv.loss_adv']) > 0


def test_train_step_without_target_skips_discriminator():
    model = tiny_model()
    optim = tiny_optim(model)
    before = snapshot(model)
    log_vars = model.train_step(dict(source=samples(2, 'full', 1)), optim)
    diff = changed(before, snapshot(model))
    assert diff and not any(k.startswith('discriminator.') for k in diff)
    assert float(log_vars['adv.loss_adv']) == 0.
    assert float(log_vars['disc.loss_d_tgt']) == 0.
    assert float(log_vars['tgt.decode.loss_ce']) == 0.


def test_train_step_needs_an_optim_wrapper_dict():
    model = tiny_model()
    single = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(dict(source=samples(1, 'full')), single)
    only_seg = OptimWrapperDict(segmentor=single)
    with pytest.raises(KeyError, match='discriminator'):
        model.train_step(dict(source=samples(1, 'full')), only_seg)


# ----------------------------------------------------------- constructor
def test_constructor_rejects_bad_configs():
    model = tiny_model()
    cfg = Config.fromfile(SCHEDULE).optim_wrapper.to_dict()
    bad = copy.deepcopy(cfg)
    bad['paramwise_cfg'] = dict(custom_keys={})
    with pytest.raises(ValueError, match='inside each wrapper'):
        build_optim_wrapper(model, bad)
    bad = copy.deepcopy(cfg)
    del bad['discriminator']
    with pytest.raises(ValueError, match='parts'):
        build_optim_wrapper(model, bad)
    bad = copy.deepcopy(cfg)
    del bad['discriminator']['optimizer']
    with pytest.raises(ValueError, match="'optimizer'"):
        build_optim_wrapper(model, bad)


@pytest.mark.parametrize(
    'path', REAL_CFGS, ids=[osp.basename(p) for p in REAL_CFGS])
def test_real_configs_build(path):
    cfg = Config.fromfile(path)
    algo = osp.basename(path).split('_')[0]
    assert cfg.model.type == 'AdversarialEncoderDecoder'
    assert cfg.model.adv_input == dict(
        adaptseg='softmax', advent='entropy')[algo]
    assert cfg.model.data_preprocessor.type == 'MultiStreamSegDataPreProcessor'
    train = cfg.train_dataloader
    assert train.dataset.type == 'SourceTargetDataset'
    assert train.collate_fn.type == 'multi_stream_collate'
    assert train.sampler.type == 'InfiniteSampler'
    # no target ground truth in the UDA warm-up
    tgt_steps = [t['type'] for t in train.dataset.target.pipeline]
    assert 'LoadAnnotations' not in tgt_steps and 'PackSegInputs' in tgt_steps
    assert 'LoadAnnotations' in [
        t['type'] for t in train.dataset.source.pipeline
    ]
    src = 'gta5' if 'gta5-' in path else 'synthia'
    assert train.dataset.source.type == dict(
        gta5='GTA5Dataset', synthia='SynthiaDataset')[src]
    assert cfg.val_evaluator.type == dict(
        gta5='IoUMetric', synthia='SynthiaIoUMetric')[src]
    assert cfg.train_cfg.max_iters == 100000
    assert train.batch_size == 2  # V3+ image-pool BN needs 2
    assert cfg.model.backbone.norm_eval is True  # frozen backbone BN
    assert cfg.model.backbone.norm_cfg.requires_grad is False
    assert cfg.model_wrapper_cfg.type == \
        'ADAAdversarialDistributedDataParallel'
    if algo == 'advent':  # only the D input differs from AdaptSegNet
        twin = Config.fromfile(
            path.replace(
                osp.join('advent', 'advent_'),
                osp.join('adaptseg', 'adaptseg_')))
        a, b = cfg.to_dict(), twin.to_dict()
        a['model'].pop('adv_input'), b['model'].pop('adv_input')
        a['model'].pop('entropy_normalize')
        assert a == b
        return  # the same model as its AdaptSegNet twin, built there

    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(optim, OptimWrapperDict)
    assert list(optim.keys()) == ['segmentor', 'discriminator']
    seg_opt = optim['segmentor'].optimizer
    disc_opt = optim['discriminator'].optimizer
    assert isinstance(seg_opt, torch.optim.SGD)
    assert isinstance(disc_opt, torch.optim.Adam)
    assert disc_opt.defaults['lr'] == 1e-4
    assert disc_opt.defaults['betas'] == (0.9, 0.99)
    lr_of = {}
    for group in seg_opt.param_groups:
        for p in group['params']:
            lr_of[id(p)] = group['lr']
    for group in disc_opt.param_groups:
        for p in group['params']:
            assert id(p) not in lr_of  # no parameter in both
            lr_of[id(p)] = group['lr']
    named = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert set(map(id, named.values())) <= set(lr_of)  # all trainable in
    for name, p in named.items():
        part = name.split('.')[0]
        expected = dict(
            decode_head=2.5e-3,
            auxiliary_head=2.5e-3,
            discriminator=1e-4,
            aux_discriminator=1e-4).get(part, 2.5e-4)
        assert lr_of[id(p)] == pytest.approx(expected), name
    multi_level = 'deeplabv2' in path
    assert (model.aux_discriminator is not None) == multi_level
    assert model.discriminator.in_channels == 19
    assert model.lambda_adv == 0.001 and model.lambda_adv_aux == 0.0002
    assert (model.source_label, model.target_label) == (0., 1.)


# ------------------------------------------------------------ tool runs
DUMP_OPTIM_HOOK = '''
import torch
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class DumpOptimStateHook(Hook):
    """Save the optimiser and scheduler states training starts from."""

    def before_train(self, runner):
        torch.save(
            dict(optimizer=runner.optim_wrapper.state_dict(),
                 param_schedulers={
                     k: [s.state_dict() for s in v]
                     for k, v in runner.param_schedulers.items()}),
            runner.work_dir + '/start_state.pth')
'''


def write_cfg(tmp_path, root, max_iters, extra=''):
    cfg = tmp_path / f'adv_{max_iters}.py'
    cfg.write_text(f"""
_base_ = [{DEMO_CFG!r}]
custom_imports = dict(
    imports=['mmseg_ada', 'dump_state_hook', 'dump_optim_state_hook'],
    allow_failed_imports=False)
model = dict(data_preprocessor=dict(size=(64, 128)),
             discriminator=dict(ndf=8))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(
        source=dict(
            data_root={root!r} + '/gta5',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations'),
                      dict(type='RandomFlip', prob=0.5),
                      dict(type='PackSegInputs')]),
        target=dict(
            data_root={root!r} + '/cityscapes',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='RandomFlip', prob=0.5),
                      dict(type='PackSegInputs')])))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={root!r} + '/cityscapes'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = dict(
    segmentor=[dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                    end={max_iters}, by_epoch=False)],
    discriminator=[dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end={max_iters}, by_epoch=False)])
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2),
    visualization=dict(type='SegVisualizationHook', draw=False))
custom_hooks = [dict(type='DumpStateHook'), dict(type='DumpOptimStateHook')]
{extra}
""")
    (tmp_path / 'dump_optim_state_hook.py').write_text(DUMP_OPTIM_HOOK)
    return str(cfg)


def _ok(proc):
    assert proc.returncode == 0, (
        proc.stdout[-3000:] + '\n' + proc.stderr[-6000:])
    return proc.stdout + proc.stderr


def _scalars(work_dir):
    rows = []
    for f in sorted(
            glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(f) as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def _assert_same(a, b, path='state'):
    if isinstance(a, dict):
        assert set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            _assert_same(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{path}[{i}]')
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    else:
        assert a == b, (path, a, b)


@pytest.fixture()
def uda_data(tmp_path, synthetic_da):
    """The synthetic pair with the TARGET TRAIN labels removed."""
    root = str(tmp_path / 'data')
    shutil.copytree(synthetic_da, root)
    shutil.rmtree(osp.join(root, 'cityscapes', 'gtFine', 'train'))
    return root


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_train_then_resume_restores_both_optimisers(tmp_path, uda_data):
    env = dict(PYTHONPATH=str(tmp_path), OMP_NUM_THREADS='1')
    work = str(tmp_path / 'work')
    # target train labels are absent: the warm-up never reads them
    _ok(
        run_tool([
            PYTHON, 'tools/train.py',
            write_cfg(tmp_path, uda_data, 2), '--work-dir', work
        ],
                 env=env))
    ckpt_path = osp.join(work, 'iter_2.pth')
    rows = _scalars(work)
    for key in ('src.decode.loss_ce', 'adv.loss_adv', 'disc.loss_d_src',
                'disc.loss_d_tgt', 'segmentor.lr', 'discriminator.lr'):
        assert any(key in r for r in rows), (key, rows[:2])
    assert any('mIoU' in r for r in rows)

    out = _ok(
        run_tool([
            PYTHON, 'tools/train.py',
            write_cfg(tmp_path, uda_data, 3), '--work-dir', work, '--resume'
        ],
                 env=env))
    assert 'resumed epoch: 0, iter: 2' in out, out[-3000:]
    ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=False)
    start = torch.load(
        osp.join(work, 'start_state.pth'),
        map_location='cpu',
        weights_only=False)
    assert set(ckpt['optimizer']) == {'segmentor', 'discriminator'}
    # Adam moments and SGD momentum buffers exist and were restored
    assert ckpt['optimizer']['discriminator']['state']
    assert any('momentum_buffer' in s
               for s in ckpt['optimizer']['segmentor']['state'].values())
    _assert_same(ckpt['optimizer'], start['optimizer'], 'optimizer')
    _assert_same(ckpt['param_schedulers'], start['param_schedulers'],
                 'param_schedulers')
    assert osp.isfile(osp.join(work, 'iter_3.pth'))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_process_gloo_adversarial_ranks_agree(tmp_path, uda_data):
    work = str(tmp_path / 'dist')
    proc = run_tool([
        'bash', 'tools/dist_train.sh',
        write_cfg(tmp_path, uda_data, 2), '2', '--work-dir', work
    ],
                    env=dict(
                        PYTHON=PYTHON,
                        PORT='29637',
                        OMP_NUM_THREADS='1',
                        PYTHONPATH=str(tmp_path)))
    out = _ok(proc)
    assert 'ADAAdversarialDistributedDataParallel' in out or osp.isfile(
        osp.join(work, 'iter_2.pth')), out[-2000:]
    with open(osp.join(work, 'state_rank0.json')) as f:
        s0 = json.load(f)
    with open(osp.join(work, 'state_rank1.json')) as f:
        s1 = json.load(f)
    assert any(k.startswith('discriminator.') for k in s0)
    assert s0.keys() == s1.keys()
    diff = [k for k in s0 if s0[k] != s1[k]]
    assert not diff, f'ranks disagree on {diff[:5]}'
    rows = _scalars(work)
    assert any('disc.loss_d_tgt' in r for r in rows)
