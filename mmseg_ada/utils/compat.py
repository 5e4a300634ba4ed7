"""Compatibility fix for the pinned stack (torch >= 2.6).

torch >= 2.6 defaults ``torch.load(weights_only=True)``; mmengine 0.10.7
calls ``torch.load`` without the argument, so resuming, ``load_from`` and
``tools/test.py`` fail on the few non-tensor objects an mmengine checkpoint
holds (``HistoryBuffer`` in the message hub, numpy scalars and dtypes in the
log history, numpy arrays in the state of LADA's anchor set, ``bytes`` for an
empty one: torch pickles with protocol 2, which writes ``b''`` as
``bytes()``).  We allow-list exactly those classes with
:func:`torch.serialization.add_safe_globals` instead of falling back to
``weights_only=False``, which would execute arbitrary code from a downloaded
checkpoint.

Nothing else is patched; in particular numpy is left alone.  numpy 2
removed ``np.float``, ``np.int``, ``np.in1d``, ...; the only use of them in
mmcv 2.1 / mmseg 1.2.2 / mmengine 0.10.7 is ``np.float`` in
``mmcv.ops.pixel_group`` (a text-detection post-processing op that
segmentation never calls), so restoring the aliases globally would only
hide such bugs in other code.

:func:`apply` is idempotent and is called when :mod:`mmseg_ada` is imported.
"""
from __future__ import annotations

from typing import List

import numpy as np

_APPLIED = False


def _numpy_safe_globals() -> List[object]:
    """Numpy objects that appear in mmengine checkpoints' ``message_hub``."""
    out: List[object] = []
    try:
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore
    except Exception:  # numpy >= 2 moved the module
        from numpy._core.multiarray import _reconstruct, scalar  # type: ignore
    out += [_reconstruct, scalar, np.ndarray, np.dtype]
    # dtype classes (np.dtypes.Float64DType, ...) are pickled by class.
    dtypes_mod = getattr(np, 'dtypes', None)
    if dtypes_mod is not None:
        for name in dir(dtypes_mod):
            obj = getattr(dtypes_mod, name)
            if isinstance(obj, type) and name.endswith('DType'):
                out.append(obj)
    return out


def history_buffer_getattr(obj: object, name: str) -> object:
    """The only ``getattr`` an mmengine checkpoint needs, and nothing more.

    ``HistoryBuffer`` pickles its statistics table as
    ``getattr(HistoryBuffer, 'mean')`` etc., so checkpoints reference the
    builtin ``getattr``.  Allow-listing the builtin itself would let a
    malicious file walk from any allowed object to arbitrary attributes; this
    stand-in (registered under the name ``builtins.getattr``) resolves only
    public methods of :class:`HistoryBuffer` and refuses everything else.

    Args:
        obj: must be the ``HistoryBuffer`` class.
        name: a public attribute name of it.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is not HistoryBuffer or name.startswith('_') or not callable(
            getattr(HistoryBuffer, name, None)):
        raise RuntimeError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only public '
            'methods of mmengine HistoryBuffer are allowed when loading with '
            'weights_only=True')
    return getattr(HistoryBuffer, name)


def safe_checkpoint_globals() -> List[object]:
    """All classes allow-listed for ``torch.load(weights_only=True)``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, bytes] + _numpy_safe_globals()


def _patch_torch_load() -> None:
    import torch
    add = getattr(
        getattr(torch, 'serialization', None), 'add_safe_globals', None)
    if add is None:  # torch < 2.4 loads everything anyway
        return
    add(safe_checkpoint_globals())
    add([(history_buffer_getattr, 'builtins.getattr')])


def apply() -> None:
    """Apply the fix once (safe to call many times)."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_torch_load()
    _APPLIED = True
