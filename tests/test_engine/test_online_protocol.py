"""ADA-MCU end to end: pixels bought inside training steps.

The oracle poisoning test (labels outside the bought pixels poisoned:
bit-identical training), kill and resume mid-training (the same purchases
and model as an uninterrupted run), and 1 vs 2 processes buying the same
pixels.
"""
import glob
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from tests.utils import PYTHON, REPO, run_tool

# every test here runs tools/train.py (or dist_train.sh) in a subprocess
pytestmark = pytest.mark.slow

MCU_CFG = osp.join(REPO, 'configs', 'demo', 'active',
                   'deeplabv3plus_r18-d8_2xb2-300_demo-mcu.py')


def mcu_cfg(project,
            name,
            iters=8,
            workers=0,
            extra='',
            hooks='',
            online='dict(budget=0.02)'):
    path = osp.join(project, f'{name}.py')
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{MCU_CFG!r}]
custom_imports = dict(
    imports=['mmseg_ada', 'dump_state_hook', 'active_test_hooks'],
    allow_failed_imports=False)
train_dataloader = dict(num_workers={workers},
                        persistent_workers={workers > 0})
val_dataloader = dict(num_workers=0, persistent_workers=False)
model = dict(vis_interval=0, sampler=dict(epoch_length=3))
train_cfg = dict(max_iters={iters}, val_interval=1000,
                 online={online})
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end={iters}, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1),
    visualization=dict(type='SegVisualizationHook', draw=False))
custom_hooks = [dict(type='DumpStateHook'), {hooks}]
{extra}
""")
    return path


def train(project, cfg, work, *args, env=None):
    return run_tool([
        PYTHON,
        osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work, *args
    ],
                    cwd=project,
                    env=dict(env or {}, ADA_TEST_WORK_DIR=work))


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def masks(work):
    return {
        osp.basename(p): cv2.imread(p, cv2.IMREAD_UNCHANGED)
        for p in sorted(glob.glob(osp.join(work, 'active', 'masks', '*.png')))
    }


def log(work):
    with open(osp.join(work, 'active', 'online.jsonl')) as f:
        return [json.loads(ln) for ln in f]


def state(work, rank=0):
    return json.load(open(osp.join(work, f'state_rank{rank}.json')))


def same_masks(a, b):
    ma, mb = masks(a), masks(b)
    assert ma and ma.keys() == mb.keys()
    for k in ma:
        assert np.array_equal(ma[k], mb[k]), k


@pytest.fixture(scope='module')
def reference(project):
    work = osp.join(project, 'work_dirs', 'mcu_ref')
    ok(train(project, mcu_cfg(project, 'mcu_ref', workers=2), work))
    return work


def test_budget_log_and_store_agree(project, reference):
    st = json.load(open(osp.join(reference, 'active', 'state.json')))
    total = int(0.02 * 6 * 64 * 128)
    assert 0 < st['labeled'] <= total
    records = log(reference)
    assert [r['commit'] for r in records] == list(range(1, len(records) + 1))
    assert sum(r['spent'] for r in records) == st['labeled']
    assert st['round'] == len(records)
    on_disk = sum(int((m > 0).sum()) for m in masks(reference).values())
    assert on_disk == st['labeled']
    from mmseg_ada.active.stores import check_store
    assert check_store(reference) == []  # per commit against online.jsonl


def test_budget_counted_on_the_training_grid(project):
    """``online.resolution`` counts the pixels of the grid the pipeline
    samples (here 16x32 per image), not the images' full resolution."""
    work = osp.join(project, 'work_dirs', 'mcu_grid')
    out = ok(
        train(
            project,
            mcu_cfg(
                project,
                'mcu_grid',
                iters=3,
                online='dict(budget=0.02, resolution=(16, 32))'), work))
    total = int(0.02 * 6 * 16 * 32)
    assert (f'a budget of {total} of the {6 * 16 * 32} target pixels '
            '(6 images on a 16x32 grid)') in out
    st = json.load(open(osp.join(work, 'active', 'state.json')))
    assert 0 < st['labeled'] <= total


def test_kill_and_resume_buys_the_same_pixels(project, reference):
    """Killed after iteration 2 with the last checkpoint before it:
    the purchase of iteration 2 is in the store; the resumed run replays it
    (never buys it twice) and continues exactly as the uninterrupted run."""
    assert any(r['iteration'] == 2 for r in log(reference))
    work = osp.join(project, 'work_dirs', 'mcu_crash')
    proc = train(
        project,
        mcu_cfg(
            project,
            'mcu_crash',
            workers=2,
            hooks=("dict(type='CrashAtIterHook', at_iter=3)"),
            extra=('default_hooks.update(checkpoint=dict(interval=2))')), work)
    assert proc.returncode == 3
    assert max(r['iteration'] for r in log(work)) == 2
    out = ok(
        train(
            project,
            mcu_cfg(
                project,
                'mcu_resume',
                workers=2,
                extra=('default_hooks.update(checkpoint=dict(interval=2))')),
            work, '--resume'))
    assert 'replayed, not bought again' in out
    same_masks(reference, work)
    assert [(r['iteration'], r['spent']) for r in log(work)
            ] == [(r['iteration'], r['spent']) for r in log(reference)]
    assert state(work) == state(reference)


def _poison(root, store_masks, inside):
    rng = np.random.default_rng(1)
    n = 0
    for path in glob.glob(
            osp.join(root, 'cityscapes', 'gtFine', 'train', '*',
                     '*_labelTrainIds.png')):
        gt = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        stem = osp.basename(path)[:-len('_gtFine_labelTrainIds.png')]
        m = store_masks.get(stem + '.png')
        bought = np.zeros(gt.shape, bool) if m is None else m > 0
        region = bought if inside else ~bought
        noise = rng.integers(0, 19, size=gt.shape).astype(np.uint8)
        gt[region] = noise[region]
        n += int(region.sum())
        cv2.imwrite(path, gt)
    return n


def test_poisoned_unbought_labels_change_nothing(project, reference, tmp_path):
    """Oracle discipline: only bought pixels' labels reach a loss."""
    bought = masks(reference)
    runs = {}
    for name, inside in (('outside', False), ('inside', True)):
        proj = tmp_path / name
        shutil.copytree(
            project,
            proj,
            symlinks=False,
            ignore=shutil.ignore_patterns('work_dirs'))
        shutil.copytree(
            osp.join(project, 'work_dirs', 'demo'),
            proj / 'work_dirs' / 'demo')
        assert _poison(str(proj / 'data' / 'demo'), bought, inside) > 0
        work = str(proj / 'work')
        ok(train(str(proj), mcu_cfg(str(proj), 'mcu', workers=2), work))
        runs[name] = work
    same_masks(reference, runs['outside'])
    assert state(runs['outside']) == state(reference), 'unbought labels ' \
        'leaked into training'
    assert state(runs['inside']) != state(reference), 'bought labels were ' \
        'not used'


GN = "dict(type='GN', num_groups=4, requires_grad=True)"


def test_one_and_two_processes_buy_the_same_pixels(project):
    """With a batch-independent model (GroupNorm, convolutions without
    oneDNN: bit-identical outputs for a sample alone or in a batch) that
    does not move (lr = 0), without dropout and on target crops without
    random augmentation (1 process draws both images' dropout masks and
    augmentations from one stream, 2 processes from one each), 2 processes
    x 1 + 1 images buy exactly what 1 process x 2 + 2 images buys:
    decisions (the calibrated ``pi_high``, a quantile of the scores,
    included) are taken over the global batch."""
    extra = (f'load_from = None\nmodel.update(backbone=dict(norm_cfg={GN}), '
             f'decode_head=dict(norm_cfg={GN}, dropout_ratio=0.0), '
             f'auxiliary_head=dict(norm_cfg={GN}, dropout_ratio=0.0))\n'
             "optim_wrapper = dict(optimizer=dict(lr=0.0))\n"
             "custom_imports = dict(imports=['mmseg_ada', 'dump_state_hook', "
             "'active_test_hooks', 'batch_independent'], "
             'allow_failed_imports=False)\n'
             'train_dataloader.update(dataset=dict(target=dict(dataset=dict('
             "pipeline=[dict(type='LoadImageFromFile'), "
             "dict(type='AddPixelIndex'), "
             "dict(type='Resize', scale=(256, 128), keep_ratio=True), "
             "dict(type='PackPixelIndex')]))))")
    one = osp.join(project, 'work_dirs', 'mcu_one')
    two = osp.join(project, 'work_dirs', 'mcu_two')
    ok(train(project, mcu_cfg(project, 'mcu_gn1', iters=4, extra=extra), one))
    cfg2 = mcu_cfg(
        project,
        'mcu_gn2',
        iters=4,
        extra=extra + ('\ntrain_dataloader.update(batch_size=1)'))
    ok(
        run_tool([
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), cfg2, '2', '--work-dir',
            two
        ],
                 cwd=project,
                 env=dict(
                     PYTHON=PYTHON,
                     PORT='29637',
                     OMP_NUM_THREADS='1',
                     ADA_TEST_WORK_DIR=two)))
    assert log(one) and log(one) == log(two)
    same_masks(one, two)
    assert state(two, 0) == state(two, 1)
