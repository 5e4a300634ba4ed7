"""The classification base configs build: models (one forward each, offline
init), schedules (optimiser, lr multipliers), datasets (every per-domain
dict on miniature data) and a val run of a source -> target config."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope, init_default_scope
from mmseg.registry import DATASETS, MODELS

from mmseg_ada.structures import ClsDataSample
from tests.cls_fixtures import (make_domainnet, make_office31,
                                make_office_home, make_visda)
from tests.test_models.cls_utils import TINY_BACKBONE
from tests.utils import REPO

pytestmark = pytest.mark.usefixtures('frozen_gc', 'one_thread')

BASE = osp.join(REPO, 'configs', '_base_')
MODEL_CFGS = sorted(glob.glob(osp.join(BASE, 'models', 'resnet50_*cls*.py')))
SCHEDULE_CFGS = [
    osp.join(BASE, 'schedules', f'cls_{n}.py') for n in ('adadelta', 'sgd')
]
DATASET_CFGS = {
    'office31': make_office31,
    'office_home': make_office_home,
    'visda': make_visda,
    'domainnet': make_domainnet,
}
TORCHVISION_RESNET50 = {  # name -> shape in torchvision's resnet50
    'conv1.weight': (64, 3, 7, 7),
    'bn1.running_mean': (64, ),
    'layer1.0.downsample.0.weight': (256, 64, 1, 1),
    'layer3.5.bn2.weight': (256, ),
    'layer4.2.conv3.weight': (2048, 512, 1, 1),
}


def _ids(paths):
    return [osp.relpath(p, BASE) for p in paths]


def test_all_new_configs_are_covered():
    assert {osp.basename(p)
            for p in MODEL_CFGS} == {
                f'resnet50_bottleneck_cls{v}.py'
                for v in ('', '_mme', '_dann', '_sdm', '_tsf', '_tsf_mme')
            }
    assert all(osp.isfile(p) for p in SCHEDULE_CFGS)
    for name in DATASET_CFGS:
        assert osp.isfile(osp.join(BASE, 'datasets', f'{name}.py'))


def _build_model(path, **head):
    cfg = Config.fromfile(path)
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained'
    assert not init.checkpoint.startswith('torchvision://'), (
        'torchvision:// makes mmengine import torchvision')
    assert 'resnet50' in init.checkpoint
    cfg.model.backbone.init_cfg = None
    cfg.model.head.update(head)
    for reg in cfg.model.get('regularizers', []):
        if 'num_classes' in reg and 'num_classes' in head:
            reg.num_classes = head['num_classes']  # TSF: one output a class
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg.model)


@pytest.mark.parametrize('path', MODEL_CFGS, ids=_ids(MODEL_CFGS))
def test_model_config_builds_and_runs(path):
    torch.manual_seed(0)
    model = _build_model(path, num_classes=7)
    state = model.backbone.state_dict()
    for name, shape in TORCHVISION_RESNET50.items():
        assert tuple(state[name].shape) == shape, name
    assert model.head.bottleneck.weight.shape == (256, 2048)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    assert model(x, mode='tensor').shape == (2, 7)
    out = model.predict_active(x, None, ['prob', 'feature'])
    assert out['feature'][0].shape == (256, )
    model.train()
    s = [ClsDataSample().set_gt_label(i) for i in (1, 6)]
    losses = model(
        x,
        s,
        mode='loss',
        target_inputs=x,
        target_data_samples=s,
        unlabeled_inputs=x)
    assert {'src.loss', 'tgt.loss'} <= set(losses)
    name = osp.basename(path)
    assert ('mme.loss_ent' in losses) == ('mme' in name)
    assert ('tsf.loss_adv' in losses) == ('tsf' in name)
    assert ('dann.loss_adv' in losses) == ('dann' in name)


@pytest.mark.parametrize('path', SCHEDULE_CFGS, ids=_ids(SCHEDULE_CFGS))
def test_schedule_configs(path):
    cfg = Config.fromfile(path)
    assert cfg.param_scheduler == []
    assert 'train_cfg' not in cfg  # the loop belongs to the AL configs
    model = _build_model(
        osp.join(BASE, 'models', 'resnet50_bottleneck_cls_mme.py'))
    with DefaultScope.overwrite_default_scope('mmseg'):
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    opt = wrapper.optimizer
    base_lr = cfg.optim_wrapper.optimizer.lr
    lr_of = {}
    for group in opt.param_groups:
        for p in group['params']:
            lr_of[id(p)] = (group['lr'], group['weight_decay'])
    wd = cfg.optim_wrapper.optimizer.weight_decay
    for name, p in model.named_parameters():
        mult = 0.1 if name.startswith('backbone.') else 1.0
        assert lr_of[id(p)] == (pytest.approx(base_lr * mult), wd), name
    if 'adadelta' in path:
        assert isinstance(opt, torch.optim.Adadelta)
        assert (base_lr, wd) == (0.1, 1e-5)


@pytest.fixture(scope='module')
def mini_roots(tmp_path_factory):
    root = tmp_path_factory.mktemp('cls_benchmarks')
    return {
        'office31':
        make_office31(str(root / 'office31'), ('amazon', 'dslr', 'webcam')),
        'office_home':
        make_office_home(
            str(root / 'office_home'),
            ('Art', 'Clipart', 'Product', 'Real_World')),
        'visda':
        make_visda(str(root / 'visda')),
        'domainnet':
        make_domainnet(
            str(root / 'domainnet'), ('clipart', 'infograph', 'painting',
                                      'quickdraw', 'real', 'sketch')),
    }


@pytest.mark.parametrize('name', sorted(DATASET_CFGS))
def test_dataset_configs_build_every_domain(name, mini_roots):
    cfg = Config.fromfile(osp.join(BASE, 'datasets', f'{name}.py'))
    datasets = {
        k: v
        for k, v in cfg.items() if isinstance(v, dict) and 'ann_file' in v
    }
    expected = dict(office31=6, office_home=8, visda=4, domainnet=16)
    assert len(datasets) == expected[name]
    init_default_scope('mmseg')
    for key, ds_cfg in datasets.items():
        ds_cfg = dict(ds_cfg, data_root=mini_roots[name])
        ds = DATASETS.build(ds_cfg)
        assert len(ds) >= 4, key
        item = ds[0]
        assert item['inputs'].shape == (3, 224, 224), key
        assert item['data_samples'].gt_label.item() == ds.get_data_info(
            0)['gt_label']
        assert ds.test_mode == key.endswith('_test'), key
    assert cfg[f'{name}_evaluator']['type'] == 'ClsAccuracyMetric'


def test_source_target_config_val_run(tmp_path, mini_roots):
    """A few-line A -> W config on the bases runs a validation epoch."""
    from mmengine.runner import Runner
    cfg_file = tmp_path / 'a2w.py'
    cfg_file.write_text(f'''
_base_ = [{osp.join(BASE, 'models', 'resnet50_bottleneck_cls.py')!r},
          {osp.join(BASE, 'datasets', 'office31.py')!r}]
default_scope = 'mmseg'
model = dict(head=dict(num_classes=31))
val_dataloader = dict(batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.office31_webcam_test,
                 data_root={mini_roots['office31']!r}))
val_evaluator = _base_.office31_evaluator
val_cfg = dict(type='ValLoop')
''')
    cfg = Config.fromfile(str(cfg_file))
    # a tiny backbone instead of ResNet-50 keeps the run fast
    cfg.model.backbone = dict(TINY_BACKBONE)
    cfg.model.head.in_channels = 64
    cfg.work_dir = str(tmp_path / 'work')
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    assert set(metrics) == {'top1_acc', 'mean_class_acc'}
    assert 0 <= metrics['top1_acc'] <= 100
