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


def test_fsync_dir_is_best_effort(tmp_path):
    io.fsync_dir(str(tmp_path))
    io.fsync_dir(str(tmp_path / 'missing'))  # no error


def test_stores_use_the_shared_helpers():
    from mmseg_ada.active.stores import base, mask_store
    assert base.atomic_write_json is io.atomic_write_json
    assert mask_store.atomic_write_bytes is io.atomic_write_bytes
