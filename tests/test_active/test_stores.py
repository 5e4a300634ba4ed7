"""Label stores: accounting, persistence, fingerprint, crash safety, the
write lock and the cursor, for both backends."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from mmseg_ada.active.stores import (ROUND_KEYS, BaseLabelStore,
                                     ImageLabelStore, MaskLabelStore,
                                     StoreLockedError)

SHAPE = (6, 8)
FP = dict(dataset='cityscapes', num_images=3, total=3 * 48, strategy='Entropy')


def _info(store, k, **extra):
    """A round report filled from the store's own counters."""
    labeled = store.labeled + store.pending
    info = dict(
        round=k,
        strategy='Entropy',
        unit='region',
        budget=10,
        spent=store.pending,
        labeled=labeled,
        total=FP['total'],
        labeled_fraction=labeled / FP['total'])
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
    store.commit(1, _info(store, 1))


@pytest.fixture(autouse=True)
def _no_commit_hook(monkeypatch):
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)


def test_empty_store(tmp_path):
    store = MaskLabelStore(str(tmp_path), FP)
    assert store.last_round() == 0 and store.generation == 0
    assert store.labeled_stems() == [] and store.rounds() == []
    assert not store.mask('a', SHAPE).any()
    assert store.mask('a', SHAPE).shape == SHAPE
    assert BaseLabelStore.exists(str(tmp_path))
    store.close()


def test_add_commit_and_exact_accounting(tmp_path):
    store = MaskLabelStore(str(tmp_path), FP)
    reader = MaskLabelStore(str(tmp_path), readonly=True)
    _do_round1(store)
    assert store.labeled_pixels == 11 == _disk_pixels(store)
    assert not reader.mask('a', SHAPE).any()  # stale until refresh
    assert reader.refresh() and reader.generation == 1
    assert not reader.refresh()  # nothing changed
    np.testing.assert_array_equal(reader.mask('a', SHAPE), _rect(0, 2, 0, 4))

    # round 2: OR-merge counts only new pixels; nothing visible before commit
    assert store.add('a', _rect(1, 3, 0, 4)) == 4  # row 1 already labelled
    assert store.add('a', _rect(1, 3, 0, 4)) == 0
    fresh = store.add_pixels('c', SHAPE, [47, 47, 0])
    assert fresh.tolist() == [0, 47]
    assert store.pending == 6
    np.testing.assert_array_equal(store.mask('a', SHAPE), _rect(0, 2, 0, 4))
    assert not store.mask('c', SHAPE).any()
    reader.refresh()
    assert not reader.mask('c', SHAPE).any()
    store.commit(2, _info(store, 2))
    reader.refresh()
    np.testing.assert_array_equal(reader.mask('a', SHAPE), _rect(0, 3, 0, 4))
    assert reader.labeled_stems() == ['a', 'b', 'c']
    expect_rounds = np.zeros(SHAPE, np.uint16)
    expect_rounds[0:2, 0:4] = 1
    expect_rounds[2:3, 0:4] = 2
    np.testing.assert_array_equal(reader.round_map('a', SHAPE), expect_rounds)
    np.testing.assert_array_equal(
        reader.mask('a', SHAPE, upto=1), _rect(0, 2, 0, 4))
    store.close()
    # the JSON reports agree with the masks on disk
    reopened = MaskLabelStore(str(tmp_path), FP)
    rounds = reopened.rounds()
    assert [r['round'] for r in rounds] == [1, 2]
    assert rounds[-1]['labeled'] == 17 == _disk_pixels(reopened)
    assert set(ROUND_KEYS) <= set(rounds[0])
    assert reopened.last_round() == 2 and reopened.labeled_pixels == 17
    reopened.close()


def test_stamp_maps_switch_to_16_bit_after_round_255(tmp_path):
    """Maps are 8-bit while every stamp fits, 16-bit from round 256 on;
    the rounds read back are exact either way (also after rollback)."""
    big = (20, 20)
    fp = dict(FP, total=400)
    store = MaskLabelStore(str(tmp_path), fp)
    for k in range(1, 258):  # pixel k - 1 of 'a' in round k
        assert store.add_pixels('a', big, [k - 1]).tolist() == [k - 1]
        store.add_pixels('b', SHAPE, [0])  # only the first one counts
        store.commit(k, dict(_info(store, k), total=400))
        if k in (255, 256):
            raw = cv2.imread(store.mask_path('a'), cv2.IMREAD_UNCHANGED)
            assert raw.dtype == (np.uint8 if k == 255 else np.uint16)
    expect = np.zeros(400, np.uint16)
    expect[:257] = np.arange(1, 258)
    np.testing.assert_array_equal(
        store.round_map('a', big).reshape(-1), expect)
    np.testing.assert_array_equal(
        store.round_map('a', big, upto=255).reshape(-1),
        np.where(expect <= 255, expect, 0))
    assert cv2.imread(store.mask_path('b'),
                      cv2.IMREAD_UNCHANGED).dtype == np.uint8
    np.testing.assert_array_equal(
        store.round_map('b', SHAPE, upto=1) > 0, store.mask('b', SHAPE))
    store.close()


def test_cursor_hides_later_rounds_from_readers(tmp_path):
    """Training sees exactly the rounds it has reached."""
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('c', _rect(0, 6, 0, 8))
    store.commit(2, _info(store, 2))
    reader = MaskLabelStore(str(tmp_path), readonly=True)
    assert reader.visible_round() == 2
    assert reader.labeled_stems() == ['a', 'b', 'c']
    store.set_cursor(1)
    reader.refresh()
    assert reader.visible_round() == 1 and reader.last_round() == 2
    assert reader.labeled_stems() == ['a', 'b']
    assert not reader.mask('c', SHAPE).any()
    assert reader.rounds(upto=reader.visible_round())[-1]['round'] == 1
    with pytest.raises(ValueError, match='cursor 3'):
        store.set_cursor(3)
    store.set_cursor(2)
    reader.refresh()
    assert reader.mask('c', SHAPE).all()
    # a commit moves a set cursor to the new round
    store.set_cursor(1)
    store.add('b', _rect(5, 6, 0, 8))
    store.commit(3, _info(store, 3))
    reader.refresh()
    assert reader.visible_round() == 3
    store.close()


def test_round_report_validation(tmp_path):
    store = MaskLabelStore(str(tmp_path), FP)
    store.add('a', _rect(0, 1, 0, 1))
    bad = _info(store, 1)
    del bad['labeled_fraction']
    with pytest.raises(ValueError, match='labeled_fraction'):
        store.commit(1, bad)
    with pytest.raises(ValueError, match='labeled=5'):
        store.commit(1, _info(store, 1, labeled=5))
    with pytest.raises(ValueError, match='next one is 1'):
        store.commit(2, _info(store, 2))
    with pytest.raises(ValueError, match='round=3'):
        store.commit(1, _info(store, 1, round=3))
    with pytest.raises(ValueError, match='shape'):
        store.add('a', np.ones((2, 2), bool))
    with pytest.raises(ValueError, match='stem'):
        store.add('../x', np.ones(SHAPE, bool))
    with pytest.raises(RuntimeError, match='read-only'):
        MaskLabelStore(str(tmp_path), readonly=True).add('a', np.ones(SHAPE))
    store.commit(1, _info(store, 1, per_class=np.int64(1)))
    assert store.rounds()[0]['per_class'] == 1  # numpy values serialised
    store.update_round(1, dict(score=41.5))
    assert store.read_round(1)['score'] == 41.5
    with pytest.raises(ValueError, match='not committed'):
        store.update_round(2, dict(score=1))
    store.close()


def test_fingerprint_mismatch_names_field(tmp_path):
    MaskLabelStore(str(tmp_path), FP).close()
    MaskLabelStore(str(tmp_path), dict(FP)).close()  # same setup reopens
    MaskLabelStore(str(tmp_path)).close()  # no check requested
    with pytest.raises(
            ValueError, match="'num_images' is 3 in the store "
            'but 4 now'):
        MaskLabelStore(str(tmp_path), dict(FP, num_images=4))
    with pytest.raises(ValueError, match="'seed' is missing"):
        MaskLabelStore(str(tmp_path), dict(FP, seed=1))
    with pytest.raises(
            ValueError, match="a 'mask' store, opened as a "
            "'image' store"):
        ImageLabelStore(str(tmp_path), FP)


def test_second_writer_is_refused_and_first_round_survives(tmp_path):
    """One writer: a second one fails at open, naming the holder, and does
    not roll back the first writer's round in progress."""
    first = MaskLabelStore(str(tmp_path), FP)
    _do_round1(first)
    first.add('c', _rect(0, 3, 0, 8))  # round 2 in progress
    with pytest.raises(StoreLockedError, match=f'pid {os.getpid()}'):
        MaskLabelStore(str(tmp_path), FP)
    # the pending pixels are still on disk and the round commits
    first.commit(2, _info(first, 2))
    assert first.labeled == 11 + 24 == _disk_pixels(first)
    first.close()
    # released: a later run opens it
    MaskLabelStore(str(tmp_path), FP).close()


def test_commit_checks_the_state_on_disk(tmp_path):
    """A writer whose cached state is stale cannot commit a round twice."""
    store = MaskLabelStore(str(tmp_path), FP)
    store.add('a', _rect(0, 1, 0, 1))
    # simulate another process committing round 1 behind this object's back
    state = json.load(open(store.state_path)) if osp.isfile(
        store.state_path) else dict(
            round=0, generation=0, labeled=0, cursor=None, index={})
    state.update(round=1, generation=1, labeled=1)
    with open(store.state_path, 'w') as f:
        json.dump(state, f)
    with pytest.raises(ValueError, match='last committed round is 1'):
        store.commit(1, _info(store, 1))
    store.close()


_SECOND_WRITER = textwrap.dedent('''
    import sys
    from mmseg_ada.active.stores import MaskLabelStore, StoreLockedError
    try:
        MaskLabelStore(sys.argv[1])
    except StoreLockedError as e:
        print(e)
        sys.exit(9)
''')


@pytest.mark.slow
def test_second_writer_in_another_process_is_refused(tmp_path):
    first = MaskLabelStore(str(tmp_path), FP)
    res = subprocess.run([sys.executable, '-c', _SECOND_WRITER,
                          str(tmp_path)],
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert res.returncode == 9, res.stderr
    assert f'pid {os.getpid()}' in res.stdout
    first.close()


@pytest.mark.parametrize('step', ['units_written', 'round_json_written'])
def test_crash_before_commit_rolls_back(tmp_path, monkeypatch, step):
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    before = {s: store.mask(s, SHAPE) for s in 'abc'}
    store.add('a', _rect(4, 6, 0, 8))
    store.add('c', _rect(0, 6, 0, 8))  # an image new in round 2

    def crash(at):
        if at == step:
            raise KeyboardInterrupt(at)

    monkeypatch.setattr(BaseLabelStore, '_commit_hook', staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        store.commit(2, _info(store, 2))
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)
    store.close()

    # a reader during the outage sees exactly round 1
    reader = MaskLabelStore(str(tmp_path), readonly=True)
    assert reader.last_round() == 1
    for s in 'abc':
        np.testing.assert_array_equal(reader.mask(s, SHAPE), before[s])
    # reopening for writing rolls round 2 back on disk
    store = MaskLabelStore(str(tmp_path), FP)
    assert store.last_round() == 1 and store.labeled_pixels == 11
    assert not osp.exists(store.round_path(2))
    assert not osp.exists(store.pending_path)
    assert not osp.exists(store.mask_path('c'))
    raw = cv2.imread(store.mask_path('a'), cv2.IMREAD_UNCHANGED)
    assert raw.max() == 1 and _disk_pixels(store) == 11
    # the round can be redone and the accounting is exact
    assert store.add('a', _rect(4, 6, 0, 8)) == 16
    store.commit(2, _info(store, 2))
    assert store.labeled_pixels == 27 == _disk_pixels(store)
    store.close()


def test_crash_after_state_keeps_round(tmp_path, monkeypatch):
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('b', _rect(3, 4, 0, 8))

    def crash(at):
        if at == 'state_written':
            raise KeyboardInterrupt(at)

    monkeypatch.setattr(BaseLabelStore, '_commit_hook', staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        store.commit(2, _info(store, 2))
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)
    store.close()
    store = MaskLabelStore(str(tmp_path), FP)
    assert store.last_round() == 2 and store.labeled_pixels == 19
    assert not osp.exists(store.pending_path)
    assert _disk_pixels(store) == 19
    store.close()


_KILLED_WRITER = textwrap.dedent('''
    import os, sys
    import numpy as np
    from mmseg_ada.active.stores import BaseLabelStore, MaskLabelStore
    work_dir, kill_at = sys.argv[1:3]
    store = MaskLabelStore(work_dir)
    m = np.zeros((6, 8), bool)
    m[3:6] = True
    store.add('a', m)
    store.add('new', m)
    def hook(step):
        if step == kill_at:
            os._exit(17)          # no cleanup, no finally blocks
    BaseLabelStore._commit_hook = staticmethod(hook)
    n = store.labeled + store.pending
    store.commit(2, dict(round=2, strategy='x', unit='region', budget=0,
                         spent=store.pending, labeled=n, total=144,
                         labeled_fraction=n / 144))
''')


@pytest.mark.slow
@pytest.mark.parametrize('kill_at', ['round_json_written', 'state_written'])
def test_killed_process_mid_commit(tmp_path, kill_at):
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    before = store.mask('a', SHAPE)
    store.close()
    res = subprocess.run(
        [sys.executable, '-c', _KILLED_WRITER,
         str(tmp_path), kill_at],
        capture_output=True,
        text=True,
        timeout=300)
    assert res.returncode == 17, res.stderr
    store = MaskLabelStore(str(tmp_path), FP)  # the OS released the lock
    if kill_at == 'round_json_written':  # not committed: rolled back
        assert store.last_round() == 1 and store.labeled_pixels == 11
        np.testing.assert_array_equal(store.mask('a', SHAPE), before)
        assert not osp.exists(store.mask_path('new'))
        assert not osp.exists(store.round_path(2))
    else:  # committed before the kill
        assert store.last_round() == 2
        assert store.labeled_pixels == 11 + 24 + 24 == _disk_pixels(store)
        assert store.labeled_stems() == ['a', 'b', 'new']
    with open(store.state_path) as f:
        assert json.load(f)['round'] == store.last_round()
    assert not [n for n in os.listdir(store.root) if n.endswith('.tmp')]
    store.close()


# ------------------------------------------------------------ image store
def _img_info(store, k):
    labeled = store.labeled + store.pending
    return dict(
        round=k,
        strategy='Entropy',
        unit='image',
        budget=3,
        spent=store.pending,
        labeled=labeled,
        total=10,
        labeled_fraction=labeled / 10)


def test_image_store_commit_cursor_and_reopen(tmp_path):
    store = ImageLabelStore(str(tmp_path), FP)
    reader = ImageLabelStore(str(tmp_path), readonly=True)
    assert store.add([3, 1, 3]) == 2
    assert store.add([1, 7]) == 1
    assert store.pending == 3 and store.labeled == 0
    assert store.labeled_ids().tolist() == []  # not committed yet
    store.commit(1, _img_info(store, 1))
    assert store.add([7, 2]) == 1  # 7 already labelled
    store.commit(2, _img_info(store, 2))
    reader.refresh()
    assert reader.labeled_ids().tolist() == [1, 2, 3, 7]
    assert reader.labeled_ids(upto=1).tolist() == [1, 3, 7]
    assert reader.round_of(2) == 2 and reader.round_of(5) == 0
    store.set_cursor(1)
    reader.refresh()
    assert reader.labeled_ids().tolist() == [1, 3, 7]
    assert reader.round_of(2) == 0
    with pytest.raises(ValueError, match='>= 0'):
        store.add([-1])
    store.close()
    again = ImageLabelStore(str(tmp_path), FP)
    assert again.labeled == 4 and again.last_round() == 2
    again.close()


@pytest.mark.parametrize(
    'step', ['units_written', 'round_json_written', 'state_written'])
def test_image_store_crash_mid_commit(tmp_path, monkeypatch, step):
    store = ImageLabelStore(str(tmp_path), FP)
    store.add([0, 1])
    store.commit(1, _img_info(store, 1))
    store.add([5, 6, 7])

    def crash(at):
        if at == step:
            raise KeyboardInterrupt(at)

    monkeypatch.setattr(BaseLabelStore, '_commit_hook', staticmethod(crash))
    with pytest.raises(KeyboardInterrupt):
        store.commit(2, _img_info(store, 2))
    monkeypatch.setattr(BaseLabelStore, '_commit_hook', None)
    store.close()
    store = ImageLabelStore(str(tmp_path), FP)
    if step == 'state_written':
        assert store.last_round() == 2
        assert store.labeled_ids().tolist() == [0, 1, 5, 6, 7]
    else:  # rolled back: round 2 can be redone, nothing spent twice
        assert store.last_round() == 1 and store.labeled == 2
        assert not osp.exists(store.round_path(2))
        assert store.add([5, 6, 7]) == 3
        store.commit(2, _img_info(store, 2))
        assert store.labeled == 5
    store.close()


# ----------------------------- issue 16: no silent loss, no late failure
def test_deleted_mask_is_found_at_resume(tmp_path):
    """Case 1: a deleted stamp map of a committed round is refused when the
    store is opened for writing (what --resume does), naming the image, its
    round and how to recover; a reader never reads it as zeros."""
    from mmseg_ada.active.stores import StoreIntegrityError
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('c', _rect(0, 3, 0, 8))
    store.commit(2, _info(store, 2))
    store.close()
    before = {
        n: open(osp.join(store.root, n), 'rb').read()
        for n in ('state.json', 'round_1.json', 'round_2.json')
    }
    lost = osp.join(store.mask_dir, 'c.png')
    os.remove(lost)
    with pytest.raises(StoreIntegrityError) as e:
        MaskLabelStore(str(tmp_path), FP)
    msg = str(e.value)
    assert lost in msg and "image 'c', labelled in round 2" in msg
    assert 'Restore' in msg and 'tools/check_store.py' in msg
    # nothing written was touched, and the lock was released
    for n, data in before.items():
        assert open(osp.join(store.root, n), 'rb').read() == data
    # a reader (training's dataloader) refuses too instead of zeros
    reader = MaskLabelStore(str(tmp_path), readonly=True)
    assert reader.mask('a', SHAPE).sum() == 8
    with pytest.raises(StoreIntegrityError, match="image 'c'"):
        reader.mask('c', SHAPE)
    assert reader.missing_masks() == [('c', 2)]
    # an image never labelled still reads as unlabelled
    assert not reader.mask('never', SHAPE).any()


def _read_only_dir(path):
    """Make ``path`` refuse new files, also for root (``chattr +i``);
    returns the undo, or skips when the system offers neither."""
    import shutil
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        return lambda: os.chmod(path, 0o755)
    chattr = shutil.which('chattr')
    if chattr is None or subprocess.run([chattr, '+i', path]).returncode:
        pytest.skip('running as root without chattr: cannot make a '
                    'directory read-only')
    return lambda: subprocess.run([chattr, '-i', path], check=True)


@pytest.mark.parametrize('sub', ['active', 'active/masks'])
def test_unwritable_store_is_found_at_open(tmp_path, sub):
    """Case 9: a store that cannot be written is refused when the writer
    opens it (the run's start), not at a later round's commit."""
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.close()
    undo = _read_only_dir(str(tmp_path / sub))
    try:
        with pytest.raises(PermissionError) as e:
            MaskLabelStore(str(tmp_path), FP)
        assert f"cannot write in {tmp_path / sub}" in str(e.value)
        # chattr +i (EPERM, as root): chmod would not help, chattr -i does
        fix = 'chattr -i' if os.geteuid() == 0 else 'chmod -R u+w'
        assert fix in str(e.value)
        assert ('chmod' in str(e.value)) == (os.geteuid() != 0)
        # reading still works
        reader = MaskLabelStore(str(tmp_path), readonly=True)
        assert reader.labeled == 11
    finally:
        undo()
    store = MaskLabelStore(str(tmp_path), FP)
    assert not [n for n in os.listdir(store.root) if 'write-check' in n]
    store.close()


def test_lock_holder_is_named_without_taking_the_lock(tmp_path):
    assert BaseLabelStore.in_use_by(str(tmp_path)) is None  # no store
    store = MaskLabelStore(str(tmp_path), FP)
    assert f'pid {os.getpid()}' in BaseLabelStore.in_use_by(str(tmp_path))
    store.close()
    assert BaseLabelStore.in_use_by(str(tmp_path)) is None
    MaskLabelStore(str(tmp_path), FP).close()  # nothing was left locked


def _two_rounds(tmp_path):
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('c', _rect(0, 3, 0, 8))
    store.add('a', _rect(2, 3, 0, 2))
    store.commit(2, _info(store, 2))
    store.close()
    return store


def _codes(work):
    from mmseg_ada.active.stores import check_store
    return sorted((osp.basename(p.path), p.code) for p in check_store(work))


def test_check_store_finds_every_inconsistency(tmp_path):
    """The store check (library function; tools/check_store.py prints it):
    every mask against state.json's index and the round reports."""
    from mmseg_ada.active.stores import check_store, summarize_store
    work = str(tmp_path)
    store = _two_rounds(tmp_path)
    assert check_store(work) == [] and check_store(work, False) == []
    assert summarize_store(work) == dict(
        kind='mask', round=2, labeled=37, items=3, cursor=None, in_use_by=None)
    root, masks = store.root, store.mask_dir
    # stamps above the committed round, a mask not in the index
    raw = cv2.imread(osp.join(masks, 'b.png'), cv2.IMREAD_UNCHANGED)
    raw[5, 7] = 3
    cv2.imwrite(osp.join(masks, 'b.png'), raw)
    cv2.imwrite(osp.join(masks, 'x.png'), np.ones(SHAPE, np.uint8))
    # a report whose spend disagrees, a missing mask, a missing report
    rep = json.load(open(osp.join(root, 'round_1.json')))
    rep['spent'] += 1
    json.dump(rep, open(osp.join(root, 'round_1.json'), 'w'))
    assert _codes(work) == [('b.png', 'stamp-above-round'),
                            ('round_1.json', 'count-mismatch'),
                            ('x.png', 'unindexed-mask')]
    os.remove(osp.join(masks, 'c.png'))  # counts are not compared then
    os.remove(osp.join(root, 'round_2.json'))
    with open(osp.join(root, 'round_3.json'), 'w') as f:
        f.write('{}')
    problems = check_store(work)
    assert all(p.message for p in problems)
    assert _codes(work) == sorted([
        ('b.png', 'stamp-above-round'),
        ('x.png', 'unindexed-mask'),
        ('c.png', 'missing-mask'),
        ('round_2.json', 'missing-report'),
        ('round_3.json', 'unexpected-report'),
    ])
    missing = [p for p in problems if p.code == 'missing-mask'][0]
    assert "image 'c', labelled in round 2" in missing.message
    # a report above the committed round is not promised to be removed
    unexpected = [p for p in problems if p.code == 'unexpected-report'][0]
    assert 'removed at the next' not in unexpected.message
    assert 'state.json' in unexpected.message
    # a pending round excuses its own stamps and maps, and is reported
    with open(osp.join(root, 'pending.log'), 'w') as f:
        f.write('b\nx\n')
    codes = _codes(work)
    assert ('pending.log', 'pending') in codes
    assert ('b.png', 'stamp-above-round') not in codes
    assert ('x.png', 'unindexed-mask') not in codes
    assert [c for c in _codes(work) if c[1] == 'no-store'] == []
    assert check_store(str(tmp_path / 'nothing'))[0].code == 'no-store'


def test_check_store_of_an_image_store(tmp_path):
    from mmseg_ada.active.stores import check_store
    store = ImageLabelStore(str(tmp_path), FP)
    store.add([0, 2])
    store.commit(1, _img_info(store, 1))
    store.close()
    assert check_store(str(tmp_path)) == []
    state = json.load(open(store.state_path))
    state['index']['7'] = 1  # FP has 3 images
    json.dump(state, open(store.state_path, 'w'))
    assert _codes(str(tmp_path)) == [('round_1.json', 'count-mismatch'),
                                     ('round_1.json', 'count-mismatch'),
                                     ('state.json', 'bad-index'),
                                     ('state.json', 'count-mismatch')]


# ------------------- issue 16, bug 2: a missing state.json loses nothing
def _files(root):
    """``{relative path: bytes}`` of every file of the store but its lock."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n != '.lock':
                path = osp.join(d, n)
                out[osp.relpath(path, root)] = open(path, 'rb').read()
    return out


@pytest.mark.parametrize('readonly', [False, True])
def test_missing_state_keeps_the_reports_of_a_mask_store(tmp_path, readonly):
    """A missing state.json next to round reports and stamp maps is an
    error naming state.json and how to recover, raised before anything is
    touched (it read as an empty store, and every report was deleted)."""
    from mmseg_ada.active.stores import StoreIntegrityError, check_store
    store = _two_rounds(tmp_path)
    os.remove(store.state_path)
    before = _files(store.root)
    assert 'round_1.json' in before and 'round_2.json' in before
    with pytest.raises(StoreIntegrityError) as e:
        MaskLabelStore(
            str(tmp_path), None if readonly else FP, readonly=readonly)
    msg = str(e.value)
    assert store.state_path in msg and 'is missing' in msg
    assert 'Restore' in msg and 'round_1.json' in msg
    assert _files(store.root) == before  # nothing removed or rolled back
    assert BaseLabelStore.in_use_by(str(tmp_path)) is None  # lock released
    problems = check_store(str(tmp_path))
    assert [(osp.basename(p.path), p.code)
            for p in problems] == [('state.json', 'missing-state')]
    assert 'restore' in problems[0].message
    # restored, the store opens with both rounds
    store = _two_rounds(tmp_path / 'copy')
    os.replace(store.state_path, osp.join(tmp_path, 'active', 'state.json'))
    again = MaskLabelStore(str(tmp_path), FP)
    assert again.last_round() == 2 and len(again.rounds()) == 2
    again.close()


def test_missing_state_keeps_the_reports_of_an_image_store(tmp_path):
    from mmseg_ada.active.stores import StoreIntegrityError, check_store
    store = ImageLabelStore(str(tmp_path), FP)
    store.add([0, 2])
    store.commit(1, _img_info(store, 1))
    store.close()
    os.remove(store.state_path)
    with pytest.raises(StoreIntegrityError, match='state.json'):
        ImageLabelStore(str(tmp_path), None)
    assert osp.isfile(store.round_path(1))
    assert [p.code for p in check_store(str(tmp_path))] == ['missing-state']


@pytest.mark.parametrize('content', ['{"round": 1', '[]', '{"round": 1}'])
def test_unreadable_state_is_an_integrity_error(tmp_path, content):
    from mmseg_ada.active.stores import StoreIntegrityError
    store = ImageLabelStore(str(tmp_path), FP)
    store.add([0])
    store.commit(1, _img_info(store, 1))
    store.close()
    with open(store.state_path, 'w') as f:
        f.write(content)
    with pytest.raises(StoreIntegrityError, match='state.json'):
        ImageLabelStore(str(tmp_path), FP)
    assert osp.isfile(store.round_path(1))


def test_old_state_keeps_the_reports_above_it(tmp_path):
    """A state.json older than the reports (restored from an old copy):
    the reports above its round are kept and the writer refuses."""
    from mmseg_ada.active.stores import StoreIntegrityError
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    old_state = open(store.state_path, 'rb').read()
    store.add('c', _rect(0, 3, 0, 8))
    store.commit(2, _info(store, 2))
    store.close()
    with open(store.state_path, 'wb') as f:
        f.write(old_state)
    before = _files(store.root)
    with pytest.raises(StoreIntegrityError) as e:
        MaskLabelStore(str(tmp_path), FP)
    assert 'round_2.json' in str(e.value) and 'state.json' in str(e.value)
    assert _files(store.root) == before


def test_never_committed_store_opens_without_state(tmp_path):
    """A store that never committed a round has no state.json: it opens,
    also after a crash in the middle of its first commit."""
    MaskLabelStore(str(tmp_path), FP).close()
    store = MaskLabelStore(str(tmp_path), FP)
    store.add('a', _rect(0, 2, 0, 4))
    store.close()  # killed before the commit
    store = MaskLabelStore(str(tmp_path), FP)
    assert store.last_round() == 0 and not osp.exists(store.mask_path('a'))
    store.add('a', _rect(0, 2, 0, 4))

    def crash(at):
        if at == 'round_json_written':
            raise KeyboardInterrupt(at)

    BaseLabelStore._commit_hook = staticmethod(crash)
    try:
        with pytest.raises(KeyboardInterrupt):
            store.commit(1, _info(store, 1))
    finally:
        BaseLabelStore._commit_hook = None
    store.close()
    assert osp.isfile(store.round_path(1))
    assert not osp.exists(store.state_path)
    store = MaskLabelStore(str(tmp_path), FP)
    assert not osp.exists(store.round_path(1))
    assert store.last_round() == 0 and not osp.exists(store.mask_path('a'))
    store.close()


def test_check_store_names_an_interrupted_commit_stale(tmp_path):
    """A report of the round whose commit began (pending.log) is stale:
    removed at the writer's open; check_store says so."""
    from mmseg_ada.active.stores import check_store
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    store.add('c', _rect(0, 3, 0, 8))

    def crash(at):
        if at == 'round_json_written':
            raise KeyboardInterrupt(at)

    BaseLabelStore._commit_hook = staticmethod(crash)
    try:
        with pytest.raises(KeyboardInterrupt):
            store.commit(2, _info(store, 2))
    finally:
        BaseLabelStore._commit_hook = None
    store.close()
    problems = {osp.basename(p.path): p for p in check_store(str(tmp_path))}
    assert problems['round_2.json'].code == 'stale-report'
    assert 'round(s) [2] began' in problems['pending.log'].message
    store = MaskLabelStore(str(tmp_path), FP)
    assert not osp.exists(store.round_path(2)) and store.last_round() == 1
    store.close()
    assert check_store(str(tmp_path)) == []


def test_a_read_only_store_pickles_and_reads_after(tmp_path):
    # LabeledSubsetDataset keeps its read-only copy open; dataloader workers
    # started by spawn and a deepcopy of the dataset pickle it
    import copy
    import pickle
    store = MaskLabelStore(str(tmp_path), FP)
    _do_round1(store)
    reader = MaskLabelStore(str(tmp_path), readonly=True)
    for clone in (pickle.loads(pickle.dumps(reader)), copy.deepcopy(reader)):
        assert clone.refresh() or clone.visible_round() == 1
        np.testing.assert_array_equal(
            clone.mask('a', SHAPE), reader.mask('a', SHAPE))
        assert clone.mask('a', SHAPE).sum() == 8
    store.close()
