"""The active protocol end to end on the miniature synthetic pair.

Budget accounting (masks on disk == JSON), the oracle poisoning test,
resume mid-protocol, a crash inside a round commit, 1 vs 2 processes, and
the configuration errors.
"""
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from tests.utils import PYTHON, REPO, run_tool

ACTIVE_CFG = osp.join(REPO, 'configs', 'demo', 'active',
                      'deeplabv3plus_r18-d8_4xb4-3x100_demo-active-ent.py')
DEMO_CFG = osp.join(REPO, 'configs', 'demo',
                    'deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py')


def active_cfg(project, name, rounds=2, ipr=2, extra='', strategy=None):
    path = osp.join(project, f'{name}.py')
    strategy_line = '' if strategy is None else f', strategy={strategy!r}'
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{ACTIVE_CFG!r}]
custom_imports = dict(
    imports=['mmseg_ada', 'dump_state_hook', 'active_test_hooks'],
    allow_failed_imports=False)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(num_rounds={rounds}, iters_per_round={ipr},
                 max_iters={rounds * ipr}{strategy_line})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1),
    visualization=dict(type='SegVisualizationHook', draw=False))
custom_hooks = [dict(type='DumpStateHook')]
{extra}
""")
    return path


def train(project, cfg, work, *args, env=None):
    proc = run_tool([PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg,
                     '--work-dir', work, *args], cwd=project,
                    env=dict(env or {}, ADA_TEST_WORK_DIR=work))
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def masks(work):
    out = {}
    for p in sorted(glob.glob(osp.join(work, 'active', 'masks', '*.png'))):
        m = cv2.imread(p, cv2.IMREAD_UNCHANGED)
        out[osp.basename(p)] = m
    return out


def rounds(work):
    return [json.load(open(p)) for p in sorted(
        glob.glob(osp.join(work, 'active', 'round_*.json')))]


@pytest.fixture(scope='module')
def reference_run(project):
    """Uninterrupted 2 rounds x 2 iterations of ENT."""
    work = osp.join(project, 'work_dirs', 'ref')
    ok(train(project, active_cfg(project, 'ref'), work))
    return work


def test_budget_accounting_and_reports(project, reference_run):
    reps = rounds(reference_run)
    assert [r['round'] for r in reps] == [1, 2]
    m = masks(reference_run)
    assert m, 'no mask written'
    for r in reps:
        # masks on disk agree with the JSON, round by round
        on_disk = sum(int(np.count_nonzero((x > 0) & (x <= r['round'])))
                      for x in m.values())
        assert on_disk == r['labeled_pixels']
        assert 0 < r['spent_pixels'] <= r['budget_pixels']
        assert r['budget_pixels'] == int(0.01 * r['total_pixels'])
        assert r['labeled_fraction'] == pytest.approx(
            r['labeled_pixels'] / r['total_pixels'])
        assert (sum(r['round_per_class_labeled_pixels']) +
                r['round_ignored_pixels'] == r['spent_pixels'])
        assert r['miou'] is not None and 0 <= r['miou'] <= 100
        assert r['strategy'] == 'ActiveEntropy'
    assert reps[1]['labeled_pixels'] == (reps[0]['labeled_pixels'] +
                                         reps[1]['spent_pixels'])
    assert glob.glob(osp.join(reference_run, 'active', 'vis', 'round_1',
                              '*.jpg'))
    total = sum(x.size for x in m.values())
    assert total <= reps[0]['total_pixels']


def test_curve_tool_draws_rounds(project, reference_run, tmp_path):
    out = str(tmp_path / 'curve.png')
    ok(run_tool([PYTHON, osp.join(REPO, 'tools', 'analysis',
                                  'plot_active_curves.py'),
                 f'ENT={reference_run}', '--out', out]))
    assert osp.getsize(out) > 1000


def test_resume_mid_protocol_reproduces_labelled_set(project, reference_run):
    work = osp.join(project, 'work_dirs', 'crash_iter')
    cfg = active_cfg(project, 'crash_iter',
                     extra="custom_hooks = [dict(type='DumpStateHook'), "
                     "dict(type='CrashAtIterHook', at_iter=3)]")
    proc = train(project, cfg, work)
    assert proc.returncode == 3  # killed inside round 2, after iter 3
    assert [r['round'] for r in rounds(work)] == [1, 2]
    out = ok(train(project, active_cfg(project, 'resume_iter'), work,
                   '--resume'))
    assert 'resumed at iteration 3 (round 2)' in out
    assert 'bought' not in out  # no budget spent twice
    ref, got = masks(reference_run), masks(work)
    assert ref.keys() == got.keys()
    for k in ref:
        assert np.array_equal(ref[k], got[k]), k
    assert [r['labeled_pixels'] for r in rounds(work)] == [
        r['labeled_pixels'] for r in rounds(reference_run)]


def test_crash_while_round_is_written_keeps_previous_round(
        project, reference_run):
    work = osp.join(project, 'work_dirs', 'crash_commit')
    cfg = active_cfg(project, 'crash_commit')
    proc = train(project, cfg, work,
                 env=dict(ADA_TEST_CRASH_COMMIT='2:round_json_written'))
    assert proc.returncode == 4
    state = json.load(open(osp.join(work, 'active', 'state.json')))
    assert state['round'] == 1  # round 2 never committed
    # resume: round 2 is bought again exactly once, same as uninterrupted
    ok(train(project, cfg, work, '--resume'))
    ref, got = masks(reference_run), masks(work)
    assert ref.keys() == got.keys()
    for k in ref:
        assert np.array_equal(ref[k], got[k]), k
    assert rounds(work)[-1]['labeled_pixels'] == rounds(
        reference_run)[-1]['labeled_pixels']


def test_two_processes_buy_the_same_regions(project):
    one = osp.join(project, 'work_dirs', 'one_proc')
    two = osp.join(project, 'work_dirs', 'two_proc')
    cfg = active_cfg(project, 'one_round', rounds=1, ipr=1)
    ok(train(project, cfg, one))
    proc = run_tool(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), cfg,
                     '2', '--work-dir', two], cwd=project,
                    env=dict(PYTHON=PYTHON, PORT='29623',
                             OMP_NUM_THREADS='1', ADA_TEST_WORK_DIR=two))
    ok(proc)
    a, b = masks(one), masks(two)
    assert a and a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    s0 = json.load(open(osp.join(two, 'state_rank0.json')))
    s1 = json.load(open(osp.join(two, 'state_rank1.json')))
    assert s0 == s1


def test_pixel_level_round_buys_top_k_pixels_per_image(project):
    work = osp.join(project, 'work_dirs', 'pixel')
    cfg = active_cfg(project, 'pixel', rounds=1, ipr=1, strategy=dict(
        type='ActiveEntropy', unit='pixel', seed=0))
    ok(train(project, cfg, work))
    reps = rounds(work)
    assert len(reps) == 1  # one round of one iteration, as configured
    rep = reps[0]
    m = masks(work)
    assert rep['unit'] == 'pixel'
    per_image = [int(np.count_nonzero(x)) for x in m.values()]
    # every image buys floor(1% of its pixels); all images are 64x128
    assert per_image and all(n == int(0.01 * 64 * 128) for n in per_image)
    assert len(m) == 6
    assert sum(per_image) == rep['labeled_pixels'] <= rep['budget_pixels']


@pytest.mark.parametrize('opts,message', [
    (['train_cfg.budget_per_round=0'], 'budget_per_round'),
    (['train_cfg.budget_per_round=1.5'], 'budget_per_round'),
    (['train_cfg.num_rounds=3', 'train_cfg.budget_per_round=0.5'], '> 1'),
    (['train_cfg.iters_per_round=5'], 'do not fit max_iters'),
    (['train_cfg.region_cache=nowhere/regions'], 'precompute_regions.py'),
])
def test_bad_protocol_settings_fail_clearly(project, opts, message):
    work = osp.join(project, 'work_dirs', 'bad')
    proc = train(project, active_cfg(project, 'bad'), work,
                 '--cfg-options', *opts)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr[-3000:]


def test_resume_with_other_settings_is_refused(project, reference_run):
    proc = train(project, active_cfg(project, 'other'), reference_run,
                 '--resume', '--cfg-options', 'train_cfg.budget_per_round=0.02')
    assert proc.returncode != 0
    assert 'budget_per_round' in proc.stderr, proc.stderr[-3000:]


ADEADA_CFG = osp.join(REPO, 'configs', 'demo', 'active',
                      'deeplabv3plus_r18-d8_4xb4-3x100_demo-active-adeada.py')


def test_adeada_two_processes_buy_the_same_regions(project):
    from mmseg_ada.active.regions import (RegionCache, find_images,
                                          precompute_regions)
    root = osp.join(project, 'data', 'demo')
    cache = RegionCache(osp.join(root, 'regions', 'gta5_slic'),
                        method='slic')
    if not osp.isfile(cache.meta_path):
        precompute_regions(find_images(osp.join(root, 'gta5', 'images')),
                           cache, nproc=1)
    cfg = active_cfg(project, 'adeada_one_round', rounds=1, ipr=1).replace(
        '.py', '')
    with open(cfg + '.py') as f:
        text = f.read().replace(repr(ACTIVE_CFG), repr(ADEADA_CFG))
    cfg = cfg + '_adeada.py'
    with open(cfg, 'w') as f:
        f.write(text)
    one = osp.join(project, 'work_dirs', 'adeada_one')
    two = osp.join(project, 'work_dirs', 'adeada_two')
    ok(train(project, cfg, one))
    ok(run_tool(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2',
                 '--work-dir', two], cwd=project,
                env=dict(PYTHON=PYTHON, PORT='29627', ADA_TEST_WORK_DIR=two)))
    a, b = masks(one), masks(two)
    assert a and a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    ra, rb = rounds(one)[0], rounds(two)[0]
    assert ra['strategy'] == 'ActiveADeADA'
    assert ra['selection_info']['per_class_kl'] == \
        rb['selection_info']['per_class_kl']
    assert osp.isfile(osp.join(two, 'active', 'vis', 'round_1',
                               'adeada.png'))
