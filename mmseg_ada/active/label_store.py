"""Which target pixels are labelled: a crash-safe store on disk.

Layout under ``<work_dir>/active/``::

    meta.json            fingerprint of the setup the store belongs to
    state.json           the commit record: round, generation, labelled
                         pixels, labelled stems (written LAST by a commit)
    round_<k>.json       report of committed round k (one per round)
    masks/<stem>.png     uint8 per-image label map: 0 = not labelled,
                         k >= 1 = labelled by round k
    pending.json         marker: masks of an uncommitted round may exist

Commit protocol (one writer, e.g. rank 0):

1. :meth:`LabelStore.add` writes the pixels bought in the pending round
   ``k = last_round() + 1`` straight into ``masks/<stem>.png`` with the value
   ``k`` (atomic per file: temp file + ``os.replace``).  Before its first
   mask write of a round it writes ``pending.json``.
2. :meth:`LabelStore.write_round` writes ``round_<k>.json``, then
   ``state.json`` (the commit point: ``round`` becomes ``k``), then removes
   ``pending.json``.

Readers only ever treat pixels with ``1 <= value <= state['round']`` as
labelled, so pixels of an uncommitted round are invisible even while (or
after) a crash left them on disk.  Opening the store for writing rolls an
interrupted round back: it deletes ``round_<j>.json`` for ``j`` above the
committed round and, when ``pending.json`` exists, rewrites the masks
without the uncommitted pixels.  A kill at any point therefore leaves the
last committed round intact, and the interrupted round can be redone
without spending its budget twice.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmseg_ada.utils.io import atomic_write_bytes, atomic_write_json
from mmseg_ada.utils.io import fsync_dir as _fsync_dir
from mmseg_ada.utils.io import json_default as _json_default
from mmseg_ada.utils.io import read_json as _read_json

__all__ = ['LabelStore', 'atomic_write_bytes', 'atomic_write_json']

#: Keys every ``round_<k>.json`` must hold (the caller fills the values).
ROUND_KEYS: Tuple[str, ...] = ('round', 'strategy', 'budget_pixels',
                               'labeled_pixels', 'total_pixels',
                               'labeled_fraction', 'per_class_labeled_pixels',
                               'miou')

_ROUND_RE = re.compile(r'^round_(\d+)\.json$')
_MAX_ROUND = 255  # mask values are uint8


def _normalise(obj: Any) -> Any:
    """``obj`` after a JSON round trip (tuples -> lists, numpy -> python)."""
    return json.loads(json.dumps(obj, default=_json_default))


def _check_stem(stem: str) -> str:
    if (not isinstance(stem, str) or not stem or stem.startswith('.')
            or '/' in stem or '\\' in stem or '\0' in stem):
        raise ValueError(
            f'invalid image stem {stem!r}: expected a non-empty file name '
            'without path separators that does not start with "."')
    return stem


class LabelStore:
    """Which target pixels are labelled, per image, across rounds.

    Only one process may write (open with ``readonly=False``); any number of
    readers (dataloader workers, other ranks) may open it with
    ``readonly=True`` and call :meth:`refresh` (one ``os.stat``) to notice a
    newly committed round.

    Args:
        work_dir: run directory; the store lives in ``<work_dir>/active``.
        fingerprint: identity of the setup (dataset name, number of images,
            total pixels, strategy, ...).  Saved on first open and compared
            on every later open: a difference raises ``ValueError`` naming
            the field.  ``None`` skips the check.
        readonly: open without creating, repairing or writing anything.
    """

    #: called with a step name during :meth:`write_round` (tests use it to
    #: simulate a crash between steps).
    _commit_hook: Optional[Callable[[str], None]] = None

    def __init__(self,
                 work_dir: str,
                 fingerprint: Optional[Dict[str, Any]] = None,
                 readonly: bool = False) -> None:
        self.work_dir = os.fspath(work_dir)
        self.root = osp.join(self.work_dir, 'active')
        self.mask_dir = osp.join(self.root, 'masks')
        self.meta_path = osp.join(self.root, 'meta.json')
        self.state_path = osp.join(self.root, 'state.json')
        self.pending_path = osp.join(self.root, 'pending.json')
        self.readonly = bool(readonly)
        self.fingerprint: Optional[Dict[str, Any]] = None
        self._state: Dict[str, Any] = self._empty_state()
        self._state_sig: Optional[Tuple[int, int]] = None
        self._pending_pixels = 0
        self._pending_stems: set = set()
        self._pending_marked = False

        if not self.readonly:
            os.makedirs(self.mask_dir, exist_ok=True)
        self._check_fingerprint(fingerprint)
        self.refresh()
        if not self.readonly:
            self._recover()

    # ------------------------------------------------------------------
    # opening
    @staticmethod
    def _empty_state() -> Dict[str, Any]:
        return dict(round=0, generation=0, labeled_pixels=0, stems=[])

    def _check_fingerprint(self, fingerprint: Optional[Dict[str, Any]]):
        stored = (_read_json(self.meta_path)
                  if osp.isfile(self.meta_path) else None)
        if fingerprint is None:
            self.fingerprint = stored
            return
        if not isinstance(fingerprint, dict):
            raise TypeError('fingerprint must be a dict, got '
                            f'{type(fingerprint).__name__}')
        fp = _normalise(fingerprint)
        if stored is None:
            if not self.readonly:
                atomic_write_json(self.meta_path, fp)
            self.fingerprint = fp
            return
        diffs = []
        for key in sorted(set(fp) | set(stored)):
            if key not in stored:
                diffs.append(f'field {key!r} is missing in the store '
                             f'(now {fp[key]!r})')
            elif key not in fp:
                diffs.append(f'field {key!r} is {stored[key]!r} in the '
                             'store but missing now')
            elif fp[key] != stored[key]:
                diffs.append(f'field {key!r} is {stored[key]!r} in the '
                             f'store but {fp[key]!r} now')
        if diffs:
            raise ValueError(
                f'label store {self.root} belongs to a different setup: '
                + '; '.join(diffs) + f' (see {self.meta_path}). Use another '
                'work_dir or delete the store to start over.')
        self.fingerprint = stored

    def refresh(self) -> bool:
        """Re-read ``state.json`` if it changed since the last read.

        Costs one ``os.stat`` when nothing changed.

        Returns:
            bool: whether a new state was loaded.
        """
        try:
            st = os.stat(self.state_path)
        except FileNotFoundError:
            changed = self._state_sig is not None
            self._state_sig = None
            if changed:
                self._state = self._empty_state()
            return changed
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self._state_sig:
            return False
        state = _read_json(self.state_path)
        missing = [k for k in self._empty_state() if k not in state]
        if missing:
            raise ValueError(f'{self.state_path} lacks the fields {missing}')
        self._state = state
        self._state_sig = sig
        return True

    def _recover(self) -> None:
        """Roll back an uncommitted round left by a crash (writer only)."""
        committed = self.last_round()
        for path in glob.glob(osp.join(self.root, 'round_*.json')):
            m = _ROUND_RE.match(osp.basename(path))
            if m and int(m.group(1)) > committed:
                os.unlink(path)
        for d in (self.root, self.mask_dir):
            for path in glob.glob(osp.join(d, '.*.tmp')):
                os.unlink(path)
        if osp.exists(self.pending_path):
            for path in sorted(glob.glob(osp.join(self.mask_dir, '*.png'))):
                raw = self._read_raw(path)
                stale = raw > committed
                if not stale.any():
                    continue
                raw[stale] = 0
                if raw.any():
                    self._write_raw(path, raw)
                else:
                    os.unlink(path)
            os.unlink(self.pending_path)
            _fsync_dir(self.mask_dir)

    # ------------------------------------------------------------------
    # reading
    @property
    def generation(self) -> int:
        """Commit counter from the last :meth:`refresh` (0 = never)."""
        return int(self._state['generation'])

    @property
    def labeled_pixels(self) -> int:
        """Labelled pixels over all images, committed rounds only."""
        return int(self._state['labeled_pixels'])

    @property
    def pending_pixels(self) -> int:
        """Pixels added in the current, not yet committed round."""
        return self._pending_pixels

    def last_round(self) -> int:
        """The last committed round (0 when none)."""
        return int(self._state['round'])

    def labeled_stems(self) -> List[str]:
        """Sorted stems of images with labelled pixels (committed)."""
        return list(self._state['stems'])

    def mask_path(self, stem: str) -> str:
        """Path of the label map of image ``stem``."""
        return osp.join(self.mask_dir, _check_stem(stem) + '.png')

    def round_map(self, stem: str, shape: Sequence[int]) -> np.ndarray:
        """``uint8 [H, W]``: round that labelled each pixel, 0 = none.

        Only committed rounds are shown.

        Args:
            stem: image stem.
            shape: ``(H, W)`` of the image; used when nothing is labelled
                and checked against the stored map.

        Returns:
            np.ndarray: the committed label rounds.
        """
        shape = tuple(int(s) for s in shape[:2])
        path = self.mask_path(stem)
        if not osp.isfile(path):
            return np.zeros(shape, dtype=np.uint8)
        raw = self._read_raw(path)
        if raw.shape != shape:
            raise ValueError(f'{path} has shape {raw.shape}, but the image '
                             f'{stem!r} has shape {shape}')
        raw[raw > self.last_round()] = 0
        return raw

    def mask(self, stem: str, shape: Sequence[int]) -> np.ndarray:
        """``bool [H, W]``: which pixels of ``stem`` are labelled.

        Args:
            stem: image stem.
            shape: ``(H, W)`` of the image (all ``False`` when nothing of it
                is labelled).

        Returns:
            np.ndarray: the committed labelled mask.
        """
        return self.round_map(stem, shape) > 0

    def rounds(self) -> List[Dict[str, Any]]:
        """Reports of the committed rounds, sorted by round."""
        out = []
        for k in range(1, self.last_round() + 1):
            path = self.round_path(k)
            if osp.isfile(path):
                out.append(_read_json(path))
        return out

    def round_path(self, k: int) -> str:
        """Path of ``round_<k>.json``."""
        return osp.join(self.root, f'round_{int(k)}.json')

    # ------------------------------------------------------------------
    # writing
    def _require_writer(self) -> None:
        if self.readonly:
            raise RuntimeError(f'label store {self.root} is open read-only')

    @staticmethod
    def _read_raw(path: str) -> np.ndarray:
        raw = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if raw is None or raw.dtype != np.uint8 or raw.ndim != 2:
            raise ValueError(f'{path} is not a single-channel uint8 PNG label '
                             'map of this store')
        return raw

    @staticmethod
    def _write_raw(path: str, raw: np.ndarray) -> None:
        ok, buf = cv2.imencode('.png', raw, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise OSError(f'could not encode the label map for {path}')
        atomic_write_bytes(path, buf.tobytes())

    def add(self, stem: str, new_mask: np.ndarray) -> int:
        """Label the pixels ``new_mask`` of ``stem`` in the pending round.

        The pixels are OR-merged into the image's map (already labelled
        pixels stay as they are) and written to disk at once, but stay
        invisible to :meth:`mask` until :meth:`write_round` commits them.

        Args:
            stem: image stem.
            new_mask: ``bool [H, W]`` pixels to label.

        Returns:
            int: pixels that were not labelled before (the budget spent).
        """
        self._require_writer()
        new_mask = np.asarray(new_mask)
        if new_mask.ndim != 2:
            raise ValueError(f'mask for {stem!r} must be 2-D [H, W], got '
                             f'shape {new_mask.shape}')
        new_mask = new_mask.astype(bool, copy=False)
        k = self.last_round() + 1
        if k > _MAX_ROUND:
            raise ValueError(f'the label store holds at most {_MAX_ROUND} '
                             'rounds (uint8 maps)')
        path = self.mask_path(stem)
        if osp.isfile(path):
            raw = self._read_raw(path)
            if raw.shape != new_mask.shape:
                raise ValueError(
                    f'mask for {stem!r} has shape {new_mask.shape}, but '
                    f'{path} has shape {raw.shape}')
        else:
            raw = np.zeros(new_mask.shape, dtype=np.uint8)
        new = new_mask & (raw == 0)
        n_new = int(np.count_nonzero(new))
        if n_new == 0:
            return 0
        if not self._pending_marked:
            atomic_write_json(self.pending_path, dict(round=k))
            self._pending_marked = True
        raw[new] = k
        self._write_raw(path, raw)
        self._pending_pixels += n_new
        self._pending_stems.add(stem)
        return n_new

    def write_round(self, k: int, info: Dict[str, Any]) -> str:
        """Commit round ``k``: its masks become visible to every reader.

        Args:
            k: the round, ``last_round() + 1``.
            info: the round report; must hold :data:`ROUND_KEYS` with
                ``info['round'] == k`` and ``info['labeled_pixels']`` equal
                to the labelled pixels after this round (exact accounting).

        Returns:
            str: path of the written ``round_<k>.json``.
        """
        self._require_writer()
        k = int(k)
        if k != self.last_round() + 1:
            raise ValueError(f'cannot commit round {k}: the last committed '
                             f'round is {self.last_round()}, so the next one '
                             f'is {self.last_round() + 1}')
        missing = [key for key in ROUND_KEYS if key not in info]
        if missing:
            raise ValueError(f'round report for round {k} lacks the keys '
                             f'{missing} (required: {list(ROUND_KEYS)})')
        if int(info['round']) != k:
            raise ValueError(f"round report says round={info['round']!r} "
                             f'but round {k} is being committed')
        total = self.labeled_pixels + self._pending_pixels
        if int(info['labeled_pixels']) != total:
            raise ValueError(
                f"round {k} report says labeled_pixels="
                f"{info['labeled_pixels']}, but the store holds {total} "
                f'({self.labeled_pixels} committed + {self._pending_pixels} '
                'added this round)')
        _fsync_dir(self.mask_dir)
        self._hook('masks_written')
        round_path = self.round_path(k)
        atomic_write_json(round_path, _normalise(info))
        self._hook('round_json_written')
        stems = sorted(set(self._state['stems']) | self._pending_stems)
        state = dict(round=k, generation=self.generation + 1,
                     labeled_pixels=total, stems=stems)
        atomic_write_json(self.state_path, state)
        _fsync_dir(self.root)
        self._hook('state_written')
        if osp.exists(self.pending_path):
            os.unlink(self.pending_path)
        self._pending_pixels = 0
        self._pending_stems = set()
        self._pending_marked = False
        self._state_sig = None
        self.refresh()
        return round_path

    def _hook(self, step: str) -> None:
        hook = type(self)._commit_hook
        if hook is not None:
            hook(step)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(root={self.root!r}, '
                f'round={self.last_round()}, '
                f'labeled_pixels={self.labeled_pixels})')
