"""Atomic file writes: readers see the old file or the new one, never a
partial one (temp file in the same directory + ``os.replace``)."""
from __future__ import annotations

import json
import os
import os.path as osp
import tempfile
from typing import Any

import numpy as np

__all__ = [
    'atomic_write_bytes', 'atomic_write_json', 'read_json', 'fsync_dir',
    'encode_label_png'
]


def fsync_dir(path: str) -> None:
    """Flush a directory entry (a rename) to disk; best effort (errors are
    ignored).

    Args:
        path: the directory.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str, data: bytes, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a hidden temp file in the same directory, which then
    replaces ``path`` with :func:`os.replace`; readers see the old file or
    the new one, never a partial one.

    Args:
        path: destination file.
        data: file content.
        fsync: flush the temp file to disk before the rename (survives a
            power loss, not only a killed process).
    """
    path = os.fspath(path)
    dirname = osp.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=dirname)
    try:
        with os.fdopen(fd, 'wb') as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars and arrays.

    Args:
        obj: the value ``json`` cannot serialise.

    Returns:
        Any: the Python number (``.item()``) or list (``.tolist()``).

    Raises:
        TypeError: for anything else.
    """
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f'{type(obj).__name__} is not JSON serialisable')


def atomic_write_json(path: str, obj: Any, fsync: bool = True) -> None:
    """Write ``obj`` as indented JSON atomically (numpy values allowed).

    Args:
        path: destination file.
        obj: JSON-serialisable object; numpy scalars and arrays are
            converted to Python numbers and lists.
        fsync: see :func:`atomic_write_bytes`.
    """
    text = json.dumps(obj, indent=2, sort_keys=False, default=json_default)
    atomic_write_bytes(path, (text + '\n').encode('utf-8'), fsync=fsync)


def read_json(path: str) -> Any:
    """Load a JSON file (UTF-8).

    Args:
        path: the file.

    Returns:
        Any: the parsed value.

    Raises:
        ValueError: naming the file, if it is not valid JSON.
    """
    try:
        with open(path, 'r', encoding='utf-8') as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path} is not valid JSON: {e}') from e


def encode_label_png(label_map: np.ndarray) -> bytes:
    """A label map (region ids, stamp rounds) as PNG bytes, quickly.

    zlib level 1 and the 'up' row filter only: label maps are runs of equal
    values, so the filter libpng would otherwise pick per row (trying all
    five) compresses no better and the encoding takes ~3x longer.  The
    pixels read back are the same whatever the filter.

    Args:
        label_map: ``uint8`` or ``uint16 [H, W]``.

    Returns:
        bytes: the PNG file.
    """
    import cv2
    params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    if hasattr(cv2, 'IMWRITE_PNG_FILTER'):  # OpenCV >= 4.10
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    ok, buf = cv2.imencode('.png', label_map, params)
    if not ok:
        raise OSError('could not encode a label map as PNG')
    return buf.tobytes()
