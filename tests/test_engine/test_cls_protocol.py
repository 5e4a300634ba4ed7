"""The image-level protocol end to end through tools/train.py.

Classification runs (ImageUnits, ImageLabelStore, the classifier's
predict_active): 1 vs 2 processes select the same images for the
strategies of LADA (LAS), SDM (SDM-G), SAGE and a clustering baseline
(BADGE); a run killed in a middle round with dataloader workers resumes
without buying twice and ends where the uninterrupted run ends.
"""
import json
import os.path as osp

import pytest

from tests.utils import PYTHON, REPO, run_tool

# every test here runs tools/train.py (or dist_train.sh) in a subprocess
pytestmark = pytest.mark.slow

DEMO_CLS = osp.join(REPO, 'configs', 'demo', 'cls',
                    'resnet18-tiny_1xb32-5r_demo-digits-{}.py')
# the tiny model with SAGE's class-level discriminator (TSF, Eq. 2/10)
SAGE_MODEL = """
model = dict(regularizers=[dict(
    type='TSFRegularizer', num_classes=10,
    discriminator=dict(type='MLPDiscriminator', in_channels=64,
                       hidden_channels=32, num_layers=2, dropout_ratio=0.0),
    loss_weight=1.0, grl_coeff=1.0, grl_schedule='dann')])
train_dataloader = dict(dataset=dict(streams=dict(
    unlabeled=dict(type='UnlabeledDataset',
                   dataset=_base_.demo_cls_target))))
"""


def cls_cfg(project,
            name,
            method='badge',
            workers=0,
            hooks='',
            extra='',
            rounds=(2, 4),
            iters=6):
    path = osp.join(project, f'{name}.py')
    periods = [b - a for a, b in zip((0, ) + rounds, rounds + (iters, ))]
    periods = [p for p in periods if p > 0]
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{DEMO_CLS.format(method)!r}]
custom_imports = dict(
    imports=['mmseg_ada', 'dump_state_hook', 'active_test_hooks'],
    allow_failed_imports=False)
train_dataloader = dict(batch_size=4, num_workers={workers},
                        persistent_workers={workers > 0})
val_dataloader = dict(batch_size=16)
train_cfg = dict(max_iters={iters}, num_rounds={len(rounds)},
                 round_iters={list(rounds)}, budget=dict(per_round=3),
                 max_epochs=None, round_epochs=None,
                 checkpoint_every_epoch=False)
param_scheduler = [dict(type='RestartPolyLR', periods={periods}, power=0.9,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
custom_hooks = [dict(type='RoundMetricHook', metric='top1_acc'),
                dict(type='DumpStateHook'), {hooks}]
{extra}
""")
    return path


def train(project, cfg, work, *args, nproc=1):
    if nproc == 1:
        cmd = [PYTHON, osp.join(REPO, 'tools', 'train.py'), cfg]
        env = {}
    else:
        cmd = [
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), cfg,
            str(nproc)
        ]
        env = dict(PYTHON=PYTHON, PORT='29631', OMP_NUM_THREADS='1')
    return run_tool([*cmd, '--work-dir', work, *args],
                    cwd=project,
                    env=dict(env, ADA_TEST_WORK_DIR=work))


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def bought(work):
    """Round -> the image ids it bought, from the store's state."""
    with open(osp.join(work, 'active', 'state.json')) as f:
        index = json.load(f)['index']
    out = {}
    for i, r in index.items():
        out.setdefault(int(r), []).append(int(i))
    return {r: sorted(v) for r, v in sorted(out.items())}


def reports(work):
    return [
        json.load(open(osp.join(work, 'active', f'round_{k}.json')))
        for k in (1, 2)
    ]


def state(work, rank=0):
    return json.load(open(osp.join(work, f'state_rank{rank}.json')))


@pytest.mark.parametrize('method', ['badge', 'las', 'sdm', 'sage'])
def test_one_and_two_processes_buy_the_same_images(cls_project, method):
    """A round at iteration 0 (the same seeded model on 1 and 2 ranks: the
    global batch would differ after a step): every rank scores its shard,
    rank 0 selects from the gathered pool, and the picks are those of the
    single process."""
    extra = SAGE_MODEL if method == 'sage' else ''
    base = 'badge' if method == 'sage' else method
    cfg = cls_cfg(
        cls_project,
        f'{method}_procs',
        base,
        rounds=(0, ),
        iters=1,
        extra=(extra + ("train_cfg.update(selector=dict(strategy=dict("
                        "_delete_=True, type='SAGE', seed=0)))"
                        if method == 'sage' else '')))
    one = osp.join(cls_project, 'work_dirs', f'{method}_one')
    two = osp.join(cls_project, 'work_dirs', f'{method}_two')
    ok(train(cls_project, cfg, one))
    ok(train(cls_project, cfg, two, nproc=2))
    picks = bought(one)
    assert [len(v) for v in picks.values()] == [3]
    assert bought(two) == picks
    with open(osp.join(two, 'active', 'round_1.json')) as f:
        report = json.load(f)
    assert report['strategy'] == dict(
        badge='BADGE', las='LAS', sdm='SDM', sage='SAGE')[method]
    if method == 'sdm':
        # SDM-G's logits f W^T + b from the served weight and bias are the
        # model's: softmax of them is the pool's prob
        assert report['selection_info']['prob_gap'] < 1e-4
    assert state(two, 0) == state(two, 1)  # the ranks hold one model


@pytest.mark.parametrize('sync', [True, False])
def test_paa_on_two_processes_grows_one_anchor_set(cls_project, sync):
    """LADA (LAS + LAA, the demo's config) on 2 processes through
    dist_train.sh: a round at iteration 0, then two epochs of PAA with the
    confidence threshold at 0 so the set grows; PAAHook checks the ranks'
    anchor sets against each other every step, and both ranks end with
    one model (the proposals' train-mode pass too updates BN statistics)
    and one anchor set (neighbour bank included).  With the wrapper's
    ``sync_buffers=False`` (mmengine's behaviour on GPUs) the ranks keep
    their own BN statistics but still grow one anchor set."""
    hook = ("dict(type='PAAHook', threshold=0.0, bank_dataloader=dict("
            '_base_.cls_pool_loader, dataset=_base_.demo_cls_target))')
    cfg = cls_cfg(
        cls_project,
        f'paa_procs_{sync}',
        'las-laa',
        rounds=(0, ),
        iters=6,
        hooks=hook,
        extra=f'model_wrapper_cfg = dict(sync_buffers={sync})')
    two = osp.join(cls_project, 'work_dirs', f'paa_two_{sync}')
    ok(train(cls_project, cfg, two, nproc=2))
    assert [len(v) for v in bought(two).values()] == [3]
    rank0, rank1 = state(two, 0), state(two, 1)
    differ = {k for k in rank0 if rank0[k] != rank1[k]}
    if sync:
        assert not differ
    else:
        assert differ and all('running_' in k for k in differ)
        assert rank0['paa'] == rank1['paa']
    paa = rank0['paa']
    # global batch 8 over 40 source images: epochs of 5 iterations; the
    # set restarted at iteration 5 and grew again, the LAA bank is set
    assert paa['epoch'] == 1 and paa['published'] == 5
    assert len(paa['add_ids']) + len(paa['pending_ids']) > 0
    assert paa['bank_epoch'] == 1 and min(map(min, paa['nbr'])) >= 0


def test_a_resumed_run_keeps_the_fresh_runs_epochs(cls_project, monkeypatch):
    """SDM's joint stream (source + bought images) grows with the store; the
    epoch, and with it the round epochs and max_epochs, is a pass over the
    data before any purchase, so a run built over a store (a resume)
    schedules the iterations of the fresh run (it scheduled 11-iteration
    epochs, 43 images / 4, instead of 10)."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    import mmseg_ada  # noqa: F401  (registers the plugin)
    cfg_path = cls_cfg(
        cls_project, 'sdm_epochs', 'sdm-ag-joint', rounds=(0, ), iters=1)
    work = osp.join(cls_project, 'work_dirs', 'sdm_epochs')
    ok(train(cls_project, cfg_path, work))
    assert [len(v) for v in bought(work).values()] == [3]
    monkeypatch.chdir(cls_project)

    def loop(work_dir):
        cfg = Config.fromfile(cfg_path, import_custom_modules=False)
        cfg.merge_from_dict(
            dict(
                work_dir=work_dir,
                log_level='ERROR',
                custom_hooks=[],
                custom_imports=dict(imports=['mmseg_ada']),
                train_cfg=dict(
                    max_iters=None,
                    max_epochs=4,
                    round_iters=None,
                    round_epochs=[1])))
        return Runner.from_cfg(cfg).train_loop

    fresh = loop(osp.join(cls_project, 'work_dirs', 'sdm_epochs_fresh'))
    resumed = loop(work)
    assert len(resumed.dataloader.dataset) == 43  # the purchases are seen
    assert fresh.epoch_length == resumed.epoch_length == 10
    assert resumed.milestones == fresh.milestones == [10]
    assert resumed.max_iters == fresh.max_iters == 40


@pytest.fixture(scope='module')
def reference(cls_project):
    """Uninterrupted: rounds at iterations 2 and 4 of 6, 2 workers."""
    ref = osp.join(cls_project, 'work_dirs', 'ref')
    ok(train(cls_project, cls_cfg(cls_project, 'ref', workers=2), ref))
    return ref


@pytest.mark.parametrize('kill_at', [3, 5])
def test_kill_mid_round_resumes_without_buying_twice(cls_project, reference,
                                                     kill_at):
    """Killed after 3 iterations (round 1 bought, round 2 not yet) or after
    5 (both bought), with dataloader workers: the resumed run buys only what
    is missing and ends with the purchases, reports and model of the
    uninterrupted run."""
    work = osp.join(cls_project, 'work_dirs', f'crash{kill_at}')
    proc = train(
        cls_project,
        cls_cfg(
            cls_project,
            f'crash{kill_at}',
            workers=2,
            hooks=f"dict(type='CrashAtIterHook', at_iter={kill_at})"), work)
    assert proc.returncode == 3
    assert sorted(bought(work)) == ([1] if kill_at == 3 else [1, 2])
    out = ok(
        train(cls_project, cls_cfg(cls_project, f'resume{kill_at}', workers=2),
              work, '--resume'))
    # the resumed run selects round 2 only if the crash came before it
    assert out.count('active round 2: bought') == (kill_at == 3)
    assert 'active round 1: bought' not in out
    assert bought(work) == bought(reference)
    for a, b in zip(reports(work), reports(reference)):
        assert (a['spent'], a['labeled'],
                a['budget']) == (b['spent'], b['labeled'], b['budget'])
        assert a['spent'] == 3
    assert state(work) == state(reference)


def test_test_tool_on_a_classifier_writes_its_predictions(
        cls_project, reference, tmp_path):
    """Issue 16, case 8: tools/test.py --out DIR on a classification config
    writes the predictions (it raised TypeError: ClsAccuracyMetric took no
    output_dir). Its refusal of --show-dir is in test_bad_settings.py."""
    from mmseg_ada.active.stores import check_store
    assert check_store(reference) == []  # the store check agrees
    cfg = cls_cfg(cls_project, 'ref', workers=2)
    ckpt = osp.join(reference, 'iter_6.pth')
    tool = osp.join(REPO, 'tools', 'test.py')
    out = str(tmp_path / 'preds')
    res = run_tool([
        PYTHON, tool, cfg, ckpt, '--work-dir',
        str(tmp_path / 'w'), '--out', out
    ],
                   cwd=cls_project)
    assert res.returncode == 0, res.stderr[-3000:]
    with open(osp.join(out, 'predictions.jsonl')) as f:
        rows = [json.loads(ln) for ln in f]
    assert len(rows) == 40  # the demo target list of the fixture
    assert {r['sample_idx'] for r in rows} == set(range(40))
    row = rows[0]
    assert set(row) == {
        'img_path', 'sample_idx', 'gt_label', 'pred_label', 'pred_score'
    }
    assert len(row['pred_score']) == 10
    assert row['pred_label'] == max(
        range(10), key=lambda c: row['pred_score'][c])
