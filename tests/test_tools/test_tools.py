"""End-to-end: tools/train.py -> val -> --resume -> load_from -> tools/test.py,
and a 2-process gloo run through tools/dist_train.sh and
tools/dist_test.sh."""
import glob
import json
import os
import os.path as osp

import pytest

from tests.utils import PYTHON, REPO, refusal_in_process, run_tool

DEMO_CFG = osp.join(
    REPO, 'configs', 'demo',
    'deeplabv3plus_r18-d8_4xb4-600_demo-gta5-cityscapes-128x256.py')


def write_cfg(tmp_path, root, max_iters, extra=''):
    cfg = tmp_path / f'tiny_{max_iters}.py'
    cfg.write_text(f"""
_base_ = [{DEMO_CFG!r}]
custom_imports = dict(imports=['mmseg_ada', 'dump_state_hook'],
                      allow_failed_imports=False)
demo_root = {root!r}
train_dataloader = dict(
    batch_size=2, num_workers=1, persistent_workers=True,
    dataset=dict(source=dict(data_root={root!r} + '/gta5')))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={root!r} + '/cityscapes'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval=2)
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0,
                        end={max_iters}, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2),
    visualization=dict(type='SegVisualizationHook', draw=False))
custom_hooks = [dict(type='DumpStateHook')]
{extra}
""")
    return str(cfg)


def _ok(proc):
    assert proc.returncode == 0, (
        proc.stdout[-3000:] + '\n' + proc.stderr[-6000:])
    return proc.stdout + proc.stderr


def _scalars(work_dir):
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    rows = []
    for f in files:
        with open(f) as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_train_val_resume_loadfrom_test(tmp_path, synthetic_da):
    work = str(tmp_path / 'work')
    out = _ok(
        run_tool([
            PYTHON, 'tools/train.py',
            write_cfg(tmp_path, synthetic_da, 4), '--work-dir', work
        ]))
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    rows = _scalars(work)
    vals = [r for r in rows if 'mIoU' in r]
    assert len(vals) == 2, rows  # validated at iters 2 and 4
    assert any('src.decode.loss_ce' in r for r in rows)

    # resume mid-run: extend to 6 iterations, continue from iter_4
    out = _ok(
        run_tool([
            PYTHON, 'tools/train.py',
            write_cfg(tmp_path, synthetic_da, 6), '--work-dir', work,
            '--resume'
        ]))
    assert 'resumed epoch: 0, iter: 4' in out, out[-3000:]
    assert osp.isfile(osp.join(work, 'iter_6.pth'))

    # load_from (weights only, iteration counter restarts)
    work2 = str(tmp_path / 'work2')
    ckpt = osp.join(work, 'iter_6.pth')
    out = _ok(
        run_tool([
            PYTHON, 'tools/train.py',
            write_cfg(tmp_path, synthetic_da, 2), '--work-dir', work2,
            '--cfg-options', f'load_from={ckpt}'
        ]))
    assert 'Load checkpoint from' in out
    assert osp.isfile(osp.join(work2, 'iter_2.pth'))

    # test the checkpoint
    out = _ok(
        run_tool([
            PYTHON, 'tools/test.py',
            write_cfg(tmp_path, synthetic_da, 6), ckpt, '--work-dir',
            str(tmp_path / 'test')
        ]))
    assert 'mIoU' in out and 'per class results' in out


def test_tools_report_missing_files(tmp_path):
    """Refused before anything is built (the tools' own code, in process)."""
    work = str(tmp_path / 'w')
    err = refusal_in_process(
        DEMO_CFG,
        work,
        str(tmp_path / 'nope.pth'),
        tool=osp.join(REPO, 'tools', 'test.py'),
        error=FileNotFoundError)
    assert 'checkpoint not found' in err and 'nope.pth' in err
    err = refusal_in_process(
        str(tmp_path / 'no_cfg.py'), work, error=FileNotFoundError)
    assert 'config file not found' in err and 'no_cfg.py' in err
    assert not osp.exists(work)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_process_gloo_ranks_train_the_same_model(tmp_path, synthetic_da):
    work = str(tmp_path / 'dist')
    proc = run_tool([
        'bash', 'tools/dist_train.sh',
        write_cfg(tmp_path, synthetic_da, 3), '2', '--work-dir', work
    ],
                    env=dict(PYTHON=PYTHON, PORT='29611', OMP_NUM_THREADS='1'))
    out = _ok(proc)
    assert 'gloo' in out or osp.isfile(osp.join(work, 'iter_3.pth')), out
    with open(osp.join(work, 'state_rank0.json')) as f:
        s0 = json.load(f)
    with open(osp.join(work, 'state_rank1.json')) as f:
        s1 = json.load(f)
    assert s0.keys() == s1.keys() and len(s0) > 10
    diff = [k for k in s0 if s0[k] != s1[k]]
    assert not diff, f'ranks disagree on {diff[:5]}'
    assert osp.isfile(osp.join(work, 'iter_3.pth'))
    # and tools/dist_test.sh on the checkpoint: both ranks end with 0
    # (through end_process) and the metrics are printed
    out = _ok(
        run_tool([
            'bash', 'tools/dist_test.sh',
            write_cfg(tmp_path, synthetic_da, 3),
            osp.join(work, 'iter_3.pth'), '2', '--work-dir',
            str(tmp_path / 'dist_test')
        ],
                 env=dict(PYTHON=PYTHON, PORT='29612', OMP_NUM_THREADS='1')))
    assert 'mIoU' in out and 'per class results' in out


@pytest.mark.slow
def test_check_store_tool_prints_the_problems_and_exits_1(tmp_path):
    """tools/check_store.py WORK_DIR: a table of the problems (file, what
    is wrong), exit 1; exit 0 on a consistent store."""
    import numpy as np

    from mmseg_ada.active.stores import MaskLabelStore
    store = MaskLabelStore(str(tmp_path), dict(total=100))
    mask = np.zeros((5, 20), bool)
    mask[0, :4] = True
    for stem in ('a', 'b'):
        store.add(stem, mask)
    store.commit(
        1,
        dict(
            round=1,
            strategy='Entropy',
            unit='region',
            budget=10,
            spent=8,
            labeled=8,
            total=100,
            labeled_fraction=0.08))
    store.close()
    tool = osp.join(REPO, 'tools', 'check_store.py')
    proc = run_tool([PYTHON, tool, str(tmp_path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'a mask store at round 1, 8 pixels labelled in 2 images' in \
        proc.stdout
    assert 'OK' in proc.stdout
    os.remove(osp.join(store.mask_dir, 'b.png'))
    proc = run_tool([PYTHON, tool, str(tmp_path)])
    assert proc.returncode == 1
    assert "active/masks/b.png | [missing-mask] image 'b', labelled in " \
        'round 1' in proc.stdout, proc.stdout
    assert '1 problem(s)' in proc.stdout
    proc = run_tool([PYTHON, tool, str(tmp_path), '--quick'])
    assert proc.returncode == 1 and '1 problem(s)' in proc.stdout
    # issue 16, bug 2: a missing state.json is a problem (it read as an
    # empty store and the round report was called stale, "removed at the
    # next writer open"); the report is kept
    os.remove(store.state_path)
    proc = run_tool([PYTHON, tool, str(tmp_path), '--quick'])
    assert proc.returncode == 1, proc.stdout
    assert 'without a readable state.json' in proc.stdout
    assert '[missing-state]' in proc.stdout and 'stale' not in proc.stdout
    assert osp.isfile(store.round_path(1))
