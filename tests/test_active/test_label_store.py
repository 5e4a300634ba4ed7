"""LabelStore: budget accounting, persistence, fingerprint and crash safety."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from mmseg_ada.active.label_store import ROUND_KEYS, LabelStore

SHAPE = (6, 8)
FP = dict(dataset='cityscapes', num_images=3, total_pixels=3 * 48,
          strategy='ActiveEntropy')


def _info(store, k, **extra):
    """A round report filled from the store's own counters."""
    labeled = store.labeled_pixels + store.pending_pixels
    info = dict(round=k, strategy='ActiveEntropy', budget_pixels=10,
                labeled_pixels=labeled, total_pixels=FP['total_pixels'],
                labeled_fraction=labeled / FP['total_pixels'],
                per_class_labeled_pixels=[labeled, 0], miou=None)
    info.update(extra)
    return info


def _disk_pixels(store):
    """Labelled pixels counted directly from the PNG files."""
    total = 0
    for name in os.listdir(store.mask_dir):
        raw = cv2.imread(osp.join(store.mask_dir, name), cv2.IMREAD_UNCHANGED)
        total += int(((raw > 0) & (raw <= store.last_round())).sum())
    return total


def _rect(y0, y1, x0, x1):
    m = np.zeros(SHAPE, bool)
    m[y0:y1, x0:x1] = True
    return m


def _do_round1(store):
    assert store.add('a', _rect(0, 2, 0, 4)) == 8
    assert store.add('b', _rect(0, 1, 0, 3)) == 3
    store.write_round(1, _info(store, 1))


def test_empty_store(tmp_path):
    store = LabelStore(str(tmp_path), FP)
    assert store.last_round() == 0 and store.generation == 0
    assert store.labeled_stems() == [] and store.rounds() == []
    assert not store.mask('a', SHAPE).any()
    assert store.mask('a', SHAPE).shape == SHAPE


def test_add_commit_and_exact_accounting(tmp_path):
    store = LabelStore(str(tmp_path), FP)
    reader = LabelStore(str(tmp_path), readonly=True)
    _do_round1(store)
    assert store.labeled_pixels == 11 == _disk_pixels(store)
    assert not reader.mask('a', SHAPE).any()       # stale until refresh
    assert reader.refresh() and reader.generation == 1
    assert not reader.refresh()                    # nothing changed
    np.testing.assert_array_equal(reader.mask('a', SHAPE), _rect(0, 2, 0, 4))

    # round 2: OR-merge counts only new pixels; nothing visible before commit
    assert store.add('a', _rect(1, 3, 0, 4)) == 4  # row 1 already labelled
    assert store.add('a', _rect(1, 3, 0, 4)) == 0
    assert store.add('c', _rect(5, 6, 7, 8)) == 1
    assert store.pending_pixels == 5
    np.testing.assert_array_equal(store.mask('a', SHAPE), _rect(0, 2, 0, 4))
    assert not store.mask('c', SHAPE).any()
    reader.refresh()
    assert not reader.mask('c', SHAPE).any()
    store.write_round(2, _info(store, 2))
    reader.refresh()
    np.testing.assert_array_equal(reader.mask('a', SHAPE), _rect(0, 3, 0, 4))
    assert reader.labeled_stems() == ['a', 'b', 'c']
    expect_rounds = np.zeros(SHAPE, np.uint8)
    expect_rounds[0:2, 0:4] = 1
    expect_rounds[2:3, 0:4] = 2
    np.testing.assert_array_equal(reader.round_map('a', SHAPE), expect_rounds)

    # the JSON reports agree with the masks on disk
    reopened = LabelStore(str(tmp_path), FP)
    rounds = reopened.rounds()
    assert [r['round'] for r in rounds] == [1, 2]
    assert rounds[-1]['labeled_pixels'] == 16 == _disk_pixels(reopened)
    assert set(ROUND_KEYS) <= set(rounds[0])
    assert reopened.last_round() == 2 and reopened.labeled_pixels == 16


def test_round_report_validation(tmp_path):
    store = LabelStore(str(tmp_path), FP)
    store.add('a', _rect(0, 1, 0, 1))
    bad = _info(store, 1)
    del bad['miou']
    with pytest.raises(ValueError, match='miou'):
        store.write_round(1, bad)
    with pytest.raises(ValueError, match='labeled_pixels=5'):
        store.write_round(1, _info(store, 1, labeled_pixels=5))
    with pytest.raises(ValueError, match='next one is 1'):
        store.write_round(2, _info(store, 2))
    with pytest.raises(ValueError, match='round=3'):
        store.write_round(1, _info(store, 1, round=3))
    with pytest.raises(ValueError, match='shape'):
        store.add('a', np.ones((2, 2), bool))
    with pytest.raises(ValueError, match='stem'):
        store.add('../x', np.ones(SHAPE, bool))
    with pytest.raises(RuntimeError, match='read-only'):
        LabelStore(str(tmp_path), readonly=True).add('a', np.ones(SHAPE))
    store.write_round(1, _info(store, 1, per_class=np.int64(1)))
    assert store.rounds()[0]['per_class'] == 1   # numpy values serialised


def test_fingerprint_mismatch_names_field(tmp_path):
    LabelStore(str(tmp_path), FP)
    LabelStore(str(tmp_path), dict(FP))            # same setup reopens
    LabelStore(str(tmp_path))                      # no check requested
    with pytest.raises(ValueError, match="'num_images' is 3 in the store "
                       'but 4 now'):
        LabelStore(str(tmp_path), dict(FP, num_images=4))
    with pytest.raises(ValueError, match="'seed' is missing"):
        LabelStore(str(tmp_path), dict(FP, seed=1))


@pytest.mark.parametrize('step', ['masks_written', 'round_json_written'])
def test_crash_before_commit_rolls_back(tmp_path, monkeypatch, step):
    store = LabelStore(str(tmp_path), FP)
    _do_round1(store)
    before = {s: store.mask(s, SHAPE) for s in 'abc'}
    store.add('a', _rect(4, 6, 0, 8))
    store.add('c', _rect(0, 6, 0, 8))              # an image new in round 2

    def crash(at):
        if at == step:
            raise KeyboardInterrupt(at)
    monkeypatch.setattr(LabelStore, '_commit_hook', staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        store.write_round(2, _info(store, 2))
    monkeypatch.setattr(LabelStore, '_commit_hook', None)

    # a reader during the outage sees exactly round 1
    reader = LabelStore(str(tmp_path), readonly=True)
    assert reader.last_round() == 1
    for s in 'abc':
        np.testing.assert_array_equal(reader.mask(s, SHAPE), before[s])
    # reopening for writing rolls round 2 back on disk
    store = LabelStore(str(tmp_path), FP)
    assert store.last_round() == 1 and store.labeled_pixels == 11
    assert not osp.exists(store.round_path(2))
    assert not osp.exists(store.pending_path)
    assert not osp.exists(store.mask_path('c'))
    raw = cv2.imread(store.mask_path('a'), cv2.IMREAD_UNCHANGED)
    assert raw.max() == 1 and _disk_pixels(store) == 11
    # the round can be redone and the accounting is exact
    assert store.add('a', _rect(4, 6, 0, 8)) == 16
    store.write_round(2, _info(store, 2))
    assert store.labeled_pixels == 27 == _disk_pixels(store)


def test_crash_after_state_keeps_round(tmp_path, monkeypatch):
    store = LabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('b', _rect(3, 4, 0, 8))

    def crash(at):
        if at == 'state_written':
            raise KeyboardInterrupt(at)
    monkeypatch.setattr(LabelStore, '_commit_hook', staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        store.write_round(2, _info(store, 2))
    monkeypatch.setattr(LabelStore, '_commit_hook', None)
    store = LabelStore(str(tmp_path), FP)
    assert store.last_round() == 2 and store.labeled_pixels == 19
    assert not osp.exists(store.pending_path)
    assert _disk_pixels(store) == 19


_KILLED_WRITER = textwrap.dedent('''
    import importlib.util, os, sys
    import numpy as np
    work_dir, kill_at, module_path = sys.argv[1:4]
    # load the module file alone (it needs only numpy and cv2): a fast start
    spec = importlib.util.spec_from_file_location('label_store', module_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    LabelStore = mod.LabelStore
    store = LabelStore(work_dir)
    m = np.zeros((6, 8), bool)
    m[3:6] = True
    store.add('a', m)
    store.add('new', m)
    def hook(step):
        if step == kill_at:
            os._exit(17)          # no cleanup, no finally blocks
    LabelStore._commit_hook = staticmethod(hook)
    n = store.labeled_pixels + store.pending_pixels
    store.write_round(2, dict(round=2, strategy='x', budget_pixels=0,
                              labeled_pixels=n, total_pixels=144,
                              labeled_fraction=n / 144,
                              per_class_labeled_pixels=[], miou=None))
''')


@pytest.mark.parametrize('kill_at', ['round_json_written', 'state_written'])
def test_killed_process_mid_commit(tmp_path, kill_at):
    store = LabelStore(str(tmp_path), FP)
    _do_round1(store)
    before = store.mask('a', SHAPE)
    import mmseg_ada.active.label_store as module
    res = subprocess.run(
        [sys.executable, '-c', _KILLED_WRITER, str(tmp_path), kill_at,
         module.__file__], capture_output=True, text=True, timeout=300)
    assert res.returncode == 17, res.stderr
    store = LabelStore(str(tmp_path), FP)
    if kill_at == 'round_json_written':        # not committed: rolled back
        assert store.last_round() == 1 and store.labeled_pixels == 11
        np.testing.assert_array_equal(store.mask('a', SHAPE), before)
        assert not osp.exists(store.mask_path('new'))
        assert not osp.exists(store.round_path(2))
    else:                                      # committed before the kill
        assert store.last_round() == 2
        assert store.labeled_pixels == 11 + 24 + 24 == _disk_pixels(store)
        assert store.labeled_stems() == ['a', 'b', 'new']
    with open(store.state_path) as f:
        assert json.load(f)['round'] == store.last_round()
    assert not [n for n in os.listdir(store.root) if n.endswith('.tmp')]
