"""The active protocol end to end on the miniature synthetic pair.

Budget accounting (masks on disk == JSON), resume that is exact at any
iteration (workers included), a crash inside a round commit, a resume from
an older checkpoint, 1 vs 2 processes, pixel units, a strategy from outside
the package, and the refusals that need a finished run's work dir.  The
settings refused before training are checked in process, in
``test_bad_settings.py``.
"""
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from tests.utils import PYTHON, REPO, refusal_in_process, run_tool

# every test here runs tools/train.py (or dist_train.sh) in a subprocess
pytestmark = pytest.mark.slow

DEMO_ACTIVE = osp.join(REPO, 'configs', 'demo', 'active')
ACTIVE_CFG = osp.join(DEMO_ACTIVE,
                      'deeplabv3plus_r18-d8_4xb4-5x60_demo-active-ent.py')
ADEADA_CFG = osp.join(DEMO_ACTIVE,
                      'deeplabv3plus_r18-d8_4xb4-5x60_demo-active-adeada.py')


def active_cfg(project,
               name,
               rounds=2,
               ipr=2,
               extra='',
               strategy=None,
               base=ACTIVE_CFG,
               workers=0,
               hooks=''):
    path = osp.join(project, f'{name}.py')
    strategy_line = ('' if strategy is None else
                     f'\ntrain_cfg.update(selector=dict(strategy='
                     f'dict(_delete_=True, **{strategy!r})))')
    persistent = workers > 0
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{base!r}]
custom_imports = dict(
    imports=['mmseg_ada', 'dump_state_hook', 'active_test_hooks'],
    allow_failed_imports=False)
train_dataloader = dict(batch_size=2, num_workers={workers},
                        persistent_workers={persistent})
val_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(num_rounds={rounds}, iters_per_round={ipr},
                 max_iters={rounds * ipr})
param_scheduler = [dict(type='RestartPolyLR', periods=[{ipr}] * {rounds},
                        power=0.9, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1),
    visualization=dict(type='SegVisualizationHook', draw=False))
custom_hooks = [dict(type='RoundMetricHook', metric='mIoU'),
                dict(type='DumpStateHook'), dict(type='RecordBatchHook'),
                {hooks}]{strategy_line}
{extra}
""")
    return path


def train(project, cfg, work, *args, env=None, tool=None):
    tool = tool or osp.join(REPO, 'tools', 'train.py')
    return run_tool([PYTHON, tool, cfg, '--work-dir', work, *args],
                    cwd=project,
                    env=dict(env or {}, ADA_TEST_WORK_DIR=work))


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def masks(work):
    out = {}
    for p in sorted(glob.glob(osp.join(work, 'active', 'masks', '*.png'))):
        out[osp.basename(p)] = cv2.imread(p, cv2.IMREAD_UNCHANGED)
    return out


def rounds(work):
    paths = glob.glob(osp.join(work, 'active', 'round_*.json'))
    return [
        json.load(open(p))
        for p in sorted(paths, key=lambda p: int(p.split('_')[-1][:-5]))
    ]


def state(work, rank=0):
    return json.load(open(osp.join(work, f'state_rank{rank}.json')))


def batches(work, rank=0):
    return json.load(open(osp.join(work, f'batches_rank{rank}.json')))


def same_masks(a, b):
    ma, mb = masks(a), masks(b)
    assert ma and ma.keys() == mb.keys()
    for k in ma:
        assert np.array_equal(ma[k], mb[k]), k


@pytest.fixture(scope='module')
def reference_run(project):
    """Uninterrupted 3 rounds x 2 iterations of ENT, 2 workers."""
    work = osp.join(project, 'work_dirs', 'ref')
    ok(train(project, active_cfg(project, 'ref', rounds=3, workers=2), work))
    return work


def test_budget_accounting_and_reports(project, reference_run):
    from mmseg_ada.active.stores import check_store
    assert check_store(reference_run) == []  # the store check agrees
    reps = rounds(reference_run)
    assert [r['round'] for r in reps] == [1, 2, 3]
    m = masks(reference_run)
    assert m, 'no mask written'
    for r in reps:
        # masks on disk agree with the JSON, round by round
        on_disk = sum(
            int(np.count_nonzero((x > 0) & (x <= r['round'])))
            for x in m.values())
        assert on_disk == r['labeled']
        assert 0 < r['spent'] <= r['budget']
        assert r['budget'] == int(0.01 * r['total'])
        assert r['labeled_fraction'] == pytest.approx(r['labeled'] /
                                                      r['total'])
        assert (sum(r['round_per_class_labeled']) +
                r['round_ignored'] == r['spent'])
        assert r['score_name'] == 'mIoU' and 0 <= r['score'] <= 100
        assert r['evaluated_at_iter'] == 2 * r['round']
        assert r['strategy'] == 'Entropy' and r['unit'] == 'region'
        assert set(r['seconds']) >= {'forward', 'pool', 'select', 'commit'}
    assert reps[1]['labeled'] == reps[0]['labeled'] + reps[1]['spent']
    vis = osp.join(reference_run, 'active', 'vis', 'round_1')
    assert glob.glob(osp.join(vis, '*.jpg'))
    assert osp.getsize(osp.join(vis, 'Entropy.png')) > 1000
    total = sum(x.size for x in m.values())
    assert total <= reps[0]['total']
    # training sees exactly the rounds it has reached: every target image
    # of iteration i was labelled in a round <= the round of iteration i
    first = json.load(open(osp.join(reference_run, 'active',
                                    'state.json')))['index']
    rec = batches(reference_run)
    for i in range(6):
        stems = rec[str(i)]['target_stems']
        assert stems and rec[str(i)]['target_labeled'] > 0
        assert all(first[s] <= i // 2 + 1 for s in stems), (i, stems)


def test_curve_tool_draws_rounds(project, reference_run, tmp_path):
    out = str(tmp_path / 'curve.png')
    res = ok(
        run_tool([
            PYTHON,
            osp.join(REPO, 'tools', 'analysis', 'plot_active_curves.py'),
            f'ENT={reference_run}', '--out', out
        ]))
    assert osp.getsize(out) > 1000
    assert 'mIoU on the validation split @ % of target pixels' in res


@pytest.mark.parametrize('kill_at', [3, 5])
def test_kill_in_a_middle_round_with_workers_resumes_exactly(
        project, reference_run, kill_at):
    """Kill mid-round (workers > 0, persistent) and resume: every later
    batch, every later round's purchase and the final model are those of the
    uninterrupted run."""
    work = osp.join(project, 'work_dirs', f'crash_iter{kill_at}')
    cfg = active_cfg(
        project,
        f'crash_iter{kill_at}',
        rounds=3,
        workers=2,
        hooks=f"dict(type='CrashAtIterHook', at_iter={kill_at})")
    proc = train(project, cfg, work)
    assert proc.returncode == 3  # killed after iteration kill_at
    ok(
        train(project,
              active_cfg(project, f'resume{kill_at}', rounds=3, workers=2),
              work, '--resume'))
    same_masks(reference_run, work)
    assert [r['labeled'] for r in rounds(work)
            ] == [r['labeled'] for r in rounds(reference_run)]
    ref, got = batches(reference_run), batches(work)
    assert sorted(map(int, got)) == list(range(kill_at, 6))
    for i in range(kill_at, 6):
        assert got[str(i)] == ref[str(i)], i
    assert state(work) == state(reference_run)


def test_crash_while_round_is_written_keeps_previous_round(
        project, reference_run):
    work = osp.join(project, 'work_dirs', 'crash_commit')
    cfg = active_cfg(project, 'crash_commit', rounds=3, workers=2)
    proc = train(
        project,
        cfg,
        work,
        env=dict(ADA_TEST_CRASH_COMMIT='2:round_json_written'))
    assert proc.returncode == 4
    st = json.load(open(osp.join(work, 'active', 'state.json')))
    assert st['round'] == 1  # round 2 never committed
    # resume: round 2 is bought once, as in the uninterrupted run
    ok(train(project, cfg, work, '--resume'))
    same_masks(reference_run, work)
    assert rounds(work)[-1]['labeled'] == rounds(reference_run)[-1]['labeled']
    assert state(work) == state(reference_run)


def test_resume_from_an_older_checkpoint_sees_only_its_rounds(
        project, reference_run, tmp_path):
    """A checkpoint of round 1 with a store of 3 rounds: training at round
    k sees rounds <= k only; rounds 2 and 3 are reused, not bought again."""
    import shutil
    work = osp.join(project, 'work_dirs', 'older_ckpt')
    shutil.copytree(reference_run, work)
    for p in glob.glob(osp.join(work, 'iter_*.pth')):
        if int(p.split('_')[-1][:-4]) > 2:
            os.remove(p)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'iter_2.pth'))
    os.remove(osp.join(work, 'batches_rank0.json'))
    out = ok(
        train(project, active_cfg(project, 'older', rounds=3, workers=2), work,
              '--resume'))
    assert 'stay hidden until training reaches them' in out
    assert 'bought' not in out.split('Auto resumed')[-1]
    got, ref = batches(work), batches(reference_run)
    for i in range(2, 6):  # identical batches: same labels at every step
        assert got[str(i)] == ref[str(i)], i
    same_masks(reference_run, work)
    assert state(work) == state(reference_run)


def test_two_processes_buy_the_same_regions(project):
    one = osp.join(project, 'work_dirs', 'one_proc')
    two = osp.join(project, 'work_dirs', 'two_proc')
    cfg = active_cfg(project, 'one_round', rounds=1, ipr=1)
    ok(train(project, cfg, one))
    ok(
        run_tool([
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir',
            two
        ],
                 cwd=project,
                 env=dict(
                     PYTHON=PYTHON,
                     PORT='29623',
                     OMP_NUM_THREADS='1',
                     ADA_TEST_WORK_DIR=two)))
    same_masks(one, two)
    assert state(two, 0) == state(two, 1)


def test_pixel_units_buy_each_images_share(project):
    work = osp.join(project, 'work_dirs', 'pixel')
    cfg = active_cfg(
        project,
        'pixel',
        rounds=1,
        ipr=1,
        extra=("train_cfg.update(selector=dict(units=dict(_delete_=True, "
               "type='PixelUnits')))"))
    ok(train(project, cfg, work))
    rep = rounds(work)[0]
    m = masks(work)
    assert rep['unit'] == 'pixel'
    per_image = [int(np.count_nonzero(x)) for x in m.values()]
    # every image buys floor(budget * its pixels / all pixels); 6 images of
    # 64x128 pixels each
    share = (int(0.01 * 6 * 64 * 128) * 64 * 128) // (6 * 64 * 128)
    assert len(m) == 6 and all(n == share for n in per_image)
    assert sum(per_image) == rep['labeled'] <= rep['budget']


CUSTOM_STRATEGY = '''
import numpy as np
from mmseg_ada.active import BaseStrategy
from mmseg_ada.registry import STRATEGIES


@STRATEGIES.register_module()
class SmallestFirst(BaseStrategy):
    """Buys the cheapest regions first (a strategy no one would use)."""

    def score(self, pool):
        return -pool.cost.astype(float)
'''


def test_a_strategy_from_outside_the_package(project, tmp_path):
    """One file + one config: no edit inside mmseg_ada/."""
    plugin = tmp_path / 'my_plugin'
    plugin.mkdir()
    (plugin / 'smallest_first.py').write_text(CUSTOM_STRATEGY)
    work = osp.join(project, 'work_dirs', 'custom')
    cfg = active_cfg(
        project,
        'custom',
        rounds=1,
        ipr=1,
        extra=("custom_imports = dict(imports=['mmseg_ada', 'smallest_first', "
               "'dump_state_hook', 'active_test_hooks'], "
               "allow_failed_imports=False)\n"
               "train_cfg.update(selector=dict(strategy=dict(_delete_=True, "
               "type='SmallestFirst')))"))
    ok(
        run_tool([
            PYTHON,
            osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work
        ],
                 cwd=project,
                 env=dict(PYTHONPATH=str(plugin))))
    rep = rounds(work)[0]
    assert rep['strategy'] == 'SmallestFirst'
    assert 0 < rep['spent'] <= rep['budget']
    assert osp.isfile(
        osp.join(work, 'active', 'vis', 'round_1', 'SmallestFirst.png'))


def test_resume_with_other_settings_is_refused(project, reference_run):
    # refused at start: in this process (the run is the reference's)
    err = refusal_in_process(
        active_cfg(project, 'other', rounds=3, workers=2),
        reference_run,
        '--resume',
        '--cfg-options',
        'train_cfg.budget.per_round=0.02',
        cwd=project,
        error=ValueError)
    assert "field 'budgets'" in err and 'belongs to a different setup' in err


def test_adeada_two_processes_buy_the_same_regions(project):
    cfg = active_cfg(
        project, 'adeada_one_round', rounds=1, ipr=1, base=ADEADA_CFG)
    one = osp.join(project, 'work_dirs', 'adeada_one')
    two = osp.join(project, 'work_dirs', 'adeada_two')
    ok(train(project, cfg, one))
    ok(
        run_tool([
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir',
            two
        ],
                 cwd=project,
                 env=dict(PYTHON=PYTHON, PORT='29627', ADA_TEST_WORK_DIR=two)))
    same_masks(one, two)
    ra, rb = rounds(one)[0], rounds(two)[0]
    assert ra['strategy'] == 'ADeADA'
    assert ra['selection_info']['per_class_kl'] == \
        rb['selection_info']['per_class_kl']
    assert osp.isfile(osp.join(two, 'active', 'vis', 'round_1', 'ADeADA.png'))


# ----------------------------- issue 16: no silent loss, no late failure
def _copy_run(reference_run, name):
    import shutil
    work = osp.join(osp.dirname(reference_run), name)
    shutil.copytree(reference_run, work)
    return work


def _snapshot(work):
    return {
        p: open(p, 'rb').read()
        for p in glob.glob(
            osp.join(work, 'active', '**', '*'), recursive=True)
        if osp.isfile(p)
    }


def test_deleted_mask_is_refused_at_resume_naming_image_and_round(
        project, reference_run):
    """Case 1: a deleted masks/<stem>.png of a committed round, then
    --resume: refused naming the image, its round and the recovery (it
    used to exit 0 with the bought pixels read as unlabelled)."""
    work = _copy_run(reference_run, 'lost_mask')
    index = json.load(open(osp.join(work, 'active', 'state.json')))['index']
    stem, first = sorted(index.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    lost = osp.join(work, 'active', 'masks', f'{stem}.png')
    os.remove(lost)
    before = _snapshot(work)
    err = refusal_in_process(
        active_cfg(project, 'lost_mask', rounds=3),
        work,
        '--resume',
        cwd=project)
    assert f"{lost} (image {stem!r}, labelled in round {first})" in err
    assert 'Restore the file' in err
    assert _snapshot(work) == before  # nothing written was touched


def test_deleted_round_report_is_refused_at_resume_and_by_the_curves(
        project, reference_run, tmp_path):
    """Case 4: a deleted round_2.json of a committed round: --resume is
    refused naming it (it cannot be rebuilt exactly: its score and
    selection facts came from round 2's model), and the curve tool refuses
    rather than showing round 3 as round 2; --allow-gaps shows the other
    rounds under their own numbers."""
    work = _copy_run(reference_run, 'lost_report')
    os.remove(osp.join(work, 'active', 'round_2.json'))
    before = _snapshot(work)
    err = refusal_in_process(
        active_cfg(project, 'lost_report', rounds=3),
        work,
        '--resume',
        cwd=project)
    assert 'the report of committed round(s) [2] is missing (round_2.json' \
        in err
    assert 'cannot be rebuilt exactly' in err
    assert _snapshot(work) == before
    tool = osp.join(REPO, 'tools', 'analysis', 'plot_active_curves.py')
    out = str(tmp_path / 'c.png')
    res = run_tool([PYTHON, tool, f'ENT={work}', '--out', out])
    assert res.returncode != 0 and not osp.exists(out)
    assert 'round_2.json' in res.stderr and '--allow-gaps' in res.stderr
    res = run_tool([PYTHON, tool, f'ENT={work}', '--out', out, '--allow-gaps'])
    text = ok(res)
    rows = {
        int(ln.split('|')[0]): ln.split('|')[1].strip()
        for ln in text.splitlines() if ln.split('|')[0].strip().isdigit()
    }
    ref = {r['round']: r for r in rounds(reference_run)}
    assert rows[2] == 'missing'
    assert rows[3].startswith(f"{ref[3]['score']:5.2f}".strip())
    assert osp.getsize(out) > 1000


@pytest.mark.parametrize('strategy', [
    dict(type='RegionBADGE'),
    dict(type='RegionCLUE'),
    dict(type='RegionAADA'),
    dict(type='ReDAL', num_clusters=8),
])
def test_figure3_region_baselines_run_a_round_through_the_engine(
        project, strategy):
    """ADeADA's Figure 3 baselines buy regions through the engine: the
    segmentor serves what each one requires (AADA: 'domain' from a frozen
    discriminator kept beside the model; ReDAL: 'image_gradient' and
    'feature_sq_norm'), the region units pool it, the round spends within
    its budget and draws its figure."""
    name = f"fig3_{strategy['type'].lower()}"
    extra = ''
    if strategy['type'] == 'RegionAADA':
        extra = ("model = dict(discriminator=dict(type='FCDiscriminator', "
                 'ndf=8))')
    work = osp.join(project, 'work_dirs', name)
    ok(
        train(
            project,
            active_cfg(
                project, name, rounds=1, ipr=1, strategy=strategy,
                extra=extra), work))
    rep = rounds(work)[0]
    assert rep['strategy'] == strategy['type']
    assert 0 < rep['spent'] <= rep['budget']
    assert rep['spent'] > 0.5 * rep['budget']  # regions fill most of it
    assert osp.isfile(
        osp.join(work, 'active', 'vis', 'round_1', f"{strategy['type']}.png"))
