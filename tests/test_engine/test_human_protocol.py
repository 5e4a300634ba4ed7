"""Rounds answered by a person, end to end through tools/train.py.

A run with ``oracle=dict(type='HumanOracle')`` stops at every round (exit
status 75) after writing the round's exports; the stand-in answers with the
ground truth inside the asked units; ``tools/annotate.py import`` and
``--resume`` continue it.  Since the stand-in answers what the ground-truth
oracle would, the run must end bit-identical to the ground-truth run:
same picks, same labels, same weights.  With the dataset's annotations
poisoned, the person's run must not change at all.
"""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import time

import cv2
import numpy as np
import pytest

from mmseg_ada.active.oracles import GroundTruthOracle
from mmseg_ada.active.oracles.layout import round_dir
from mmseg_ada.annotation.request import AnnotationRequest
from mmseg_ada.testing.annotator import ScriptedAnnotator
from tests.test_engine.test_active_protocol import (active_cfg, masks, ok,
                                                    rounds, same_masks, state,
                                                    train)
from tests.utils import PYTHON, REPO, refusal_in_process, run_tool

# every test here runs tools/train.py (or dist_train.sh) in a subprocess
pytestmark = pytest.mark.slow

HUMAN = "train_cfg.update(oracle=dict(type='HumanOracle'{}))"
ANNOTATE = osp.join(REPO, 'tools', 'annotate.py')


def _stand_in(project):
    """A person who answers with the synthetic target's ground truth."""
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    ds = DATASETS.build(
        dict(
            type='CityscapesDataset',
            data_root=osp.join(project, 'data', 'demo', 'cityscapes'),
            data_prefix=dict(
                img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[]))
    return ScriptedAnnotator(GroundTruthOracle().bind(ds))


def answer(project, work, k, fmt, out_dir, annotator=None):
    """The stand-in's answers to round ``k`` of ``work`` in ``fmt``."""
    ann = annotator or _stand_in(project)
    req = AnnotationRequest.of_round(work, k)
    exp = osp.join(round_dir(work, k), fmt)
    os.makedirs(out_dir, exist_ok=True)
    if fmt == 'png':
        return ann.edit_png(req, exp, osp.join(out_dir, f'png_{k}'))
    if fmt == 'cvat':
        return ann.cvat_xml(req, osp.join(exp, 'annotations.xml'),
                            osp.join(out_dir, f'cvat_{k}.xml'))
    return ann.labelstudio_export(req, osp.join(exp, 'tasks.json'),
                                  osp.join(out_dir, f'ls_{k}.json'))


def annotate(*args):
    return run_tool([PYTHON, ANNOTATE, *map(str, args)])


def stopped(proc, k):
    """The run stopped for round ``k``'s labels, saying what to do."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == 75, out[-3000:]
    assert f'active round {k}: the picks are ready for labelling in' in out
    assert 'tools/annotate.py import' in out and f'--round {k} PATH' in out
    assert '--resume' in out
    return out


def _read(path):
    """A store file's content (``state.json`` without the cursor, which
    only says what training has reached)."""
    if osp.basename(path) == 'state.json':
        st = json.load(open(path))
        st.pop('cursor')
        return st
    with open(path, 'rb') as f:
        return f.read()


@pytest.fixture(scope='module')
def reference(project):
    """The ground-truth run: 2 rounds x 2 iterations of ENT."""
    work = osp.join(project, 'work_dirs', 'human_ref')
    ok(train(project, active_cfg(project, 'human_ref'), work))
    return work


@pytest.fixture(scope='module')
def person(project, tmp_path_factory):
    """The same run answered by a person: stop, import, resume twice.

    Returns the work dir, the answer files and what each step printed."""
    out = str(tmp_path_factory.mktemp('answers'))
    work = osp.join(project, 'work_dirs', 'human')
    cfg = active_cfg(project, 'human', extra=HUMAN.format(''))
    steps = dict(first=train(project, cfg, work))
    stopped(steps['first'], 1)
    store_files = {
        p: _read(p)
        for p in glob.glob(osp.join(work, 'active', '*.json')) +
        glob.glob(osp.join(work, 'active', 'masks', '*'))
    }
    steps['again'] = train(project, cfg, work, '--resume')
    stopped(steps['again'], 1)
    steps['store_after_again'] = {p: _read(p) for p in store_files}
    steps['store_before_again'] = store_files
    files = {}
    for k, fmt in ((1, 'png'), (2, 'cvat')):
        files[k] = (answer(project, work, k, fmt, out), fmt)
        steps[f'import{k}'] = annotate('import', work, '--round', k,
                                       files[k][0], '--format', fmt)
        steps[f'resume{k}'] = train(project, cfg, work, '--resume')
    steps['status'] = annotate('status', work)
    return dict(work=work, files=files, steps=steps, cfg=cfg)


def test_a_round_stops_with_its_exports_and_resume_spends_nothing(person):
    work, steps = person['work'], person['steps']
    first = steps['first'].stdout + steps['first'].stderr
    assert f'{round_dir(work, 1)}/ (labelstudio/, cvat/, png/)' in first
    # a resume without labels selects and spends nothing, says it again
    assert steps['store_after_again'] == steps['store_before_again']
    assert 'active round 1 is already in the label store' in (
        steps['again'].stdout + steps['again'].stderr)
    for fmt, name in (('labelstudio', 'tasks.json'), ('labelstudio',
                                                      'labeling_config.xml'),
                      ('cvat', 'annotations.xml'), ('png', 'index.json')):
        assert osp.isfile(osp.join(round_dir(work, 1), fmt, name))


def test_imported_answers_train_exactly_like_the_ground_truth(
        person, reference):
    """Stop/import/resume twice == the uninterrupted ground-truth run:
    identical picks, identical per-class counts, bit-identical weights."""
    steps = person['steps']
    for k in (1, 2):
        ok(steps[f'import{k}'])
    stopped(steps['resume1'], 2)
    ok(steps['resume2'])
    work = person['work']
    same_masks(reference, work)
    assert state(work) == state(reference)
    got, ref = rounds(work), rounds(reference)
    for g, r in zip(got, ref):
        for key in ('spent', 'labeled', 'per_class_labeled',
                    'round_per_class_labeled', 'round_ignored', 'score'):
            assert g[key] == r[key], (g['round'], key)
        assert g['answers']['version'] == 1
        assert g['answers']['answered'] + g['answers']['unanswered'] == \
            g['spent']
    table = steps['status'].stdout
    assert steps['status'].returncode == 0
    assert 'in training (version)' in table and 'png' in table


def test_poisoned_annotations_change_nothing(project, person,
                                             tmp_path_factory):
    """The dataset's own labels are random everywhere: the person's run
    is bit-identical; the ground-truth run is not (the test can fail)."""
    proj = str(tmp_path_factory.mktemp('poisoned'))
    data = osp.join(proj, 'data', 'demo')
    shutil.copytree(osp.join(project, 'data', 'demo'), data, symlinks=False)
    os.makedirs(osp.join(proj, 'work_dirs'))
    os.symlink(
        osp.join(project, 'work_dirs', 'demo'),
        osp.join(proj, 'work_dirs', 'demo'))
    rng = np.random.default_rng(3)
    labels = glob.glob(
        osp.join(data, 'cityscapes', 'gtFine', 'train', '*',
                 '*_labelTrainIds.png'))
    assert labels
    for p in labels:
        gt = cv2.imread(p, cv2.IMREAD_UNCHANGED)
        cv2.imwrite(p, rng.integers(0, 19, gt.shape).astype(np.uint8))
    work = osp.join(proj, 'work_dirs', 'human')
    cfg = active_cfg(proj, 'human', extra=HUMAN.format(''))
    stopped(train(proj, cfg, work), 1)
    for k in (1, 2):
        path, fmt = person['files'][k]
        ok(annotate('import', work, '--round', k, path, '--format', fmt))
        proc = train(proj, cfg, work, '--resume')
        if k == 1:
            stopped(proc, 2)
        else:
            ok(proc)
    assert state(work) == state(person['work'])
    gt_work = osp.join(proj, 'work_dirs', 'gt')
    ok(train(proj, active_cfg(proj, 'gt'), gt_work))
    assert state(gt_work) != state(person['work'])


def _wait_for(path, proc, timeout=300):
    start = time.monotonic()
    while not osp.exists(path):
        if proc.poll() is not None:
            raise AssertionError(f'the run ended ({proc.returncode}) before '
                                 f'{path} appeared')
        if time.monotonic() - start > timeout:
            raise AssertionError(f'{path} did not appear in {timeout} s')
        time.sleep(0.2)


def _popen(project, cfg, work, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1', ADA_TEST_WORK_DIR=work)
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO,
         osp.join(REPO, 'tests', 'helpers'),
         env.get('PYTHONPATH', '')])
    return subprocess.Popen([
        PYTHON,
        osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir', work, *args
    ],
                            cwd=project,
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)


def test_a_waiting_run_goes_on_when_the_labels_arrive(project, person,
                                                      reference):
    """``wait``: the run polls; imports made by another process while it
    holds the store are taken in, and it ends as the ground-truth run."""
    work = osp.join(project, 'work_dirs', 'human_wait')
    cfg = active_cfg(
        project,
        'human_wait',
        extra=HUMAN.format(', wait=dict(poll_seconds=0.2)'))
    proc = _popen(project, cfg, work)
    try:
        for k in (1, 2):
            _wait_for(osp.join(round_dir(work, k), 'png', 'export.json'), proc)
            path, fmt = person['files'][k]
            ok(annotate('import', work, '--round', k, path, '--format', fmt))
        log, _ = proc.communicate(timeout=600)
    finally:
        proc.kill()
    assert proc.returncode == 0, log[-3000:]
    assert 'waiting for the import (polling every 0.2 s)' in log
    assert state(work) == state(reference)
    same_masks(reference, work)
    # the imports made while the run held the store corrupted nothing
    from mmseg_ada.active.stores.check import check_store
    from mmseg_ada.annotation.rounds import check_annotations
    assert check_store(work) == [] and check_annotations(work) == []
    st = json.load(open(osp.join(work, 'active', 'state.json')))
    assert {
        k: v['version']
        for k, v in st['answers'].items()
    } == {
        '1': 1,
        '2': 1
    }


def test_a_run_killed_while_waiting_resumes_without_buying_twice(
        project, person, reference):
    work = osp.join(project, 'work_dirs', 'human_kill')
    cfg = active_cfg(
        project,
        'human_kill',
        extra=HUMAN.format(', wait=dict(poll_seconds=0.2)'))
    proc = _popen(project, cfg, work)
    try:
        _wait_for(osp.join(round_dir(work, 1), 'png', 'export.json'), proc)
        path, fmt = person['files'][1]
        ok(annotate('import', work, '--round', 1, path, '--format', fmt))
        _wait_for(osp.join(round_dir(work, 2), 'png', 'export.json'), proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    before = masks(work)
    nocfg = active_cfg(project, 'human_kill_stop', extra=HUMAN.format(''))
    stopped(train(project, nocfg, work, '--resume'), 2)
    after = masks(work)
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    path, fmt = person['files'][2]
    ok(annotate('import', work, '--round', 2, path, '--format', fmt))
    ok(train(project, nocfg, work, '--resume'))
    same_masks(reference, work)
    assert state(work) == state(reference)


def test_two_processes_stop_the_same_way(project, person):
    work = osp.join(project, 'work_dirs', 'human_2proc')
    cfg = active_cfg(project, 'human_2proc', extra=HUMAN.format(''))
    proc = run_tool([
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir', work
    ],
                    cwd=project,
                    env=dict(PYTHON=PYTHON, PORT='29517'))
    out = stopped(proc, 1)
    assert 'bash tools/dist_train.sh' in out
    # the same picks as one process (selected before any training step)
    one = AnnotationRequest.of_round(person['work'], 1).to_dict()
    two = AnnotationRequest.of_round(work, 1).to_dict()
    assert one['images'] == two['images']
    path, fmt = person['files'][1]
    ok(annotate('import', work, '--round', 1, path, '--format', fmt))
    proc = run_tool([
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), cfg, '2', '--work-dir', work,
        '--resume'
    ],
                    cwd=project,
                    env=dict(PYTHON=PYTHON, PORT='29518'))
    stopped(proc, 2)


def test_a_person_run_is_not_continued_by_another_oracle(
        project, person, tmp_path):
    """Resuming a person's run with the ground-truth oracle would train on
    the dataset's own labels: refused at start."""
    work = str(tmp_path / 'copy')
    shutil.copytree(person['work'], work)
    err = refusal_in_process(
        active_cfg(project, 'human_ref'),
        work,
        '--resume',
        cwd=project,
        error=ValueError)
    assert 'was answered by a person' in err
