"""The one atomic-write helper module (mmseg_ada.utils.io)."""
import json
import os

import numpy as np
import pytest

from mmseg_ada.utils import io


def test_atomic_write_bytes_replaces_content_and_mode(tmp_path):
    dst = tmp_path / 'a.bin'
    io.atomic_write_bytes(str(dst), b'first')
    io.atomic_write_bytes(dst, b'second', fsync=False)  # PathLike too
    assert dst.read_bytes() == b'second'
    assert oct(dst.stat().st_mode & 0o777) == oct(0o644)
    assert os.listdir(tmp_path) == ['a.bin']  # no temporaries left


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    dst = tmp_path / 'x_labelTrainIds.png'
    dst.write_bytes(b'old')

    def boom(src, dst_):
        raise OSError('killed')

    monkeypatch.setattr(io.os, 'replace', boom)
    with pytest.raises(OSError, match='killed'):
        io.atomic_write_bytes(str(dst), b'new content')
    monkeypatch.undo()
    assert dst.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['x_labelTrainIds.png']


def test_atomic_write_json_converts_numpy_and_read_json_round_trips(tmp_path):
    path = str(tmp_path / 'r.json')
    io.atomic_write_json(
        path, dict(a=np.int64(3), b=np.arange(2.0), c=[np.float32(0.5)]))
    assert io.read_json(path) == dict(a=3, b=[0.0, 1.0], c=[0.5])
    with open(path) as f:
        assert json.load(f)['a'] == 3
    with pytest.raises(TypeError, match='set is not JSON serialisable'):
        io.atomic_write_json(path, dict(x={1}))
    assert io.read_json(path)['a'] == 3  # the failed write changed nothing


def test_read_json_names_the_bad_file(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"a": ')
    with pytest.raises(ValueError, match='bad.json is not valid JSON'):
        io.read_json(str(bad))


def test_fsync_dir_flushes_the_directory_and_is_best_effort(
        tmp_path, monkeypatch):
    synced, closed = [], []
    real_close = os.close

    def fsync(fd):
        synced.append(os.path.samestat(os.fstat(fd), os.stat(tmp_path)))

    def close(fd):
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(io.os, 'fsync', fsync)
    monkeypatch.setattr(io.os, 'close', close)
    assert io.fsync_dir(str(tmp_path)) is None
    assert synced == [True] and len(closed) == 1  # that folder, fd closed
    # a missing folder: nothing opened, nothing flushed, no error
    assert io.fsync_dir(str(tmp_path / 'missing')) is None
    assert synced == [True] and len(closed) == 1

    # a file system that cannot fsync a folder (EINVAL): no error, and the
    # descriptor is still closed
    def refuse(fd):
        raise OSError(22, 'Invalid argument')

    monkeypatch.setattr(io.os, 'fsync', refuse)
    assert io.fsync_dir(str(tmp_path)) is None
    assert len(closed) == 2


def test_a_failed_store_write_leaves_the_old_files(tmp_path, monkeypatch):
    """The stores write through the atomic helpers: a write that fails at
    the rename leaves the committed mask and state.json as they were and
    no temporary file behind."""
    from mmseg_ada.active.stores import MaskLabelStore
    store = MaskLabelStore(str(tmp_path), dict(total=100))
    mask = np.zeros((5, 20), bool)
    mask[0, :4] = True
    store.add('a', mask)

    def report(k, labeled):
        return dict(
            round=k,
            strategy='Entropy',
            unit='pixel',
            budget=4,
            spent=labeled - 4 * (k - 1),
            labeled=labeled,
            total=100,
            labeled_fraction=labeled / 100)

    store.commit(1, report(1, 4))
    masks = store.mask_dir
    mask_bytes = open(os.path.join(masks, 'a.png'), 'rb').read()
    state = open(store.state_path, 'rb').read()

    def broken_replace(src, dst):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(io.os, 'replace', broken_replace)
    more = np.zeros((5, 20), bool)
    more[1, :4] = True
    with pytest.raises(OSError, match='No space left'):
        store.add('a', more)
    with pytest.raises(OSError, match='No space left'):
        store.commit(2, report(2, 4))
    monkeypatch.undo()
    assert open(os.path.join(masks, 'a.png'), 'rb').read() == mask_bytes
    assert open(store.state_path, 'rb').read() == state
    for folder in (masks, os.path.dirname(store.state_path)):
        assert not [f for f in os.listdir(folder) if f.endswith('.tmp')]
