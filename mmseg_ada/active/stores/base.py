"""What was bought, round by round: the commit protocol every store shares.

Layout under ``<work_dir>/active/``::

    meta.json        the store's kind and the fingerprint of the setup
    state.json       the commit record, written LAST by a commit: committed
                     round, generation, units labelled, the training cursor
                     and the backend's index (labelled stems / image ids)
    round_<k>.json   report of committed round k
    pending.log      while round k is written: the items it touched, then
                     ``/commit k`` once its commit has begun
    .lock            held (flock) by the one writer for its whole life

Commit protocol (one writer, rank 0):

1. ``add(...)`` records units of the pending round ``k = last_round() + 1``
   (the backend writes what it must, e.g. mask pixels with the value ``k``,
   after appending the item to ``pending.log``);
2. :meth:`BaseLabelStore.commit` appends ``/commit k`` to ``pending.log``,
   writes ``round_<k>.json``, then ``state.json`` (the commit point), then
   removes ``pending.log``.

Readers only ever see committed rounds up to the *cursor*, the round that
training has reached (:meth:`BaseLabelStore.set_cursor`; a run resumed from
a checkpoint older than the store sees the rounds of its checkpoint only).
Opening the store for writing takes the lock (a second writer is refused,
naming the holder) and rolls an interrupted round back, so a kill at any
point leaves the last committed round intact and the interrupted round can
be redone without spending its budget twice.  Only what the pending log
proves uncommitted is removed: a report above the committed round without
``/commit k`` of exactly that round, or a missing (unreadable)
``state.json`` next to what committed rounds leave (reports, stamp maps),
is a :class:`StoreIntegrityError` raised before anything is touched.
"""
from __future__ import annotations

import errno
import glob
import os
import os.path as osp
import re
import tempfile
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from mmseg_ada.utils.io import (atomic_write_json, fsync_dir, json_default,
                                read_json)
from .lock import StoreLock

__all__ = [
    'BaseLabelStore', 'ROUND_KEYS', 'cumulative_counts', 'StoreIntegrityError'
]

#: Keys every ``round_<k>.json`` must hold (the caller fills the values).
ROUND_KEYS: Tuple[str, ...] = ('round', 'strategy', 'unit', 'budget', 'spent',
                               'labeled', 'total', 'labeled_fraction')

_ROUND_RE = re.compile(r'^round_(\d+)\.json$')
_FORMAT = 2
#: ``pending.log`` line that starts the commit of round ``k`` (no item, a
#: file name, holds a ``/``).
_COMMIT_MARK = '/commit '


def read_pending_log(path: str) -> Tuple[List[str], List[int]]:
    """The items and the commit marks (rounds) of a ``pending.log``.

    A torn last line (a crash while it was written) is dropped.

    Args:
        path: the log; a missing one has neither.

    Returns:
        tuple[list[str], list[int]]: items, rounds whose commit began.
    """
    if not osp.isfile(path):
        return [], []
    with open(path, encoding='utf-8') as f:
        text = f.read()
    lines = text.split('\n')
    if not text.endswith('\n'):
        lines = lines[:-1]  # the last line was not written whole
    items, commits = [], []
    for ln in lines:
        if ln.startswith(_COMMIT_MARK):
            try:
                commits.append(int(ln[len(_COMMIT_MARK):]))
            except ValueError:
                pass
        elif ln:
            items.append(ln)
    return items, commits


def round_reports(root: str) -> Dict[int, str]:
    """Every ``round_<k>.json`` in ``root``.

    Args:
        root: a store directory.

    Returns:
        dict: ``{k: path}``.
    """
    out: Dict[int, str] = {}
    for path in glob.glob(osp.join(root, 'round_*.json')):
        m = _ROUND_RE.match(osp.basename(path))
        if m:
            out[int(m.group(1))] = path
    return out


def _normalise(obj: Any) -> Any:
    """``obj`` after a JSON round trip (tuples -> lists, numpy -> python)."""
    import json
    return json.loads(json.dumps(obj, default=json_default))


def cumulative_counts(previous: Sequence[Dict[str, Any]], counts: Any) -> Any:
    """This round's per-class ``counts`` plus the labelled counts of the
    rounds before it (the last earlier report's ``per_class_labeled``).

    Args:
        previous: the reports of the earlier rounds, in order.
        counts: ``[C]`` this round's labelled pixels (images) per class.

    Returns:
        np.ndarray: ``int64 [C]``.
    """
    import numpy as np
    cum = np.asarray(counts, dtype=np.int64).copy()
    if previous and previous[-1].get('per_class_labeled') is not None:
        cum += np.asarray(previous[-1]['per_class_labeled'], dtype=np.int64)
    return cum


class StoreIntegrityError(RuntimeError):
    """A committed file of the store is missing or disagrees with the state
    (e.g. a deleted stamp map): continuing would lose bought labels."""


class BaseLabelStore:
    """A crash-safe, round-numbered record of bought units.

    Subclasses implement the backend: :class:`MaskLabelStore` (pixels of
    target images, segmentation) and :class:`ImageLabelStore` (image ids,
    classification).  Only one process may write (``readonly=False``); any
    number of readers (dataloader workers, other ranks) open it with
    ``readonly=True`` and call :meth:`refresh` (one ``os.stat``) to notice a
    new commit.

    Args:
        work_dir: run directory; the store lives in ``<work_dir>/active``.
        fingerprint: identity of the setup (dataset, pool size, strategy,
            budget, ...).  Saved on first open and compared on every later
            open: a difference raises ``ValueError`` naming the field.
            ``None`` skips the check.
        readonly: open without locking, creating, repairing or writing.
    """

    #: ``'mask'`` or ``'image'``; written to ``meta.json``.
    kind: str = ''
    #: what the store counts, for messages (``'pixels'``, ``'images'``).
    unit_name: str = 'units'
    #: max committed rounds (e.g. limited by the mask dtype).
    max_rounds: int = 2**31 - 1

    #: called with a step name during :meth:`commit` (tests use it to
    #: simulate a crash between steps).
    _commit_hook: Optional[Callable[[str], None]] = None

    def __init__(self,
                 work_dir: str,
                 fingerprint: Optional[Dict[str, Any]] = None,
                 readonly: bool = False) -> None:
        self.work_dir = os.fspath(work_dir)
        self.root = osp.join(self.work_dir, 'active')
        self.meta_path = osp.join(self.root, 'meta.json')
        self.state_path = osp.join(self.root, 'state.json')
        self.pending_path = osp.join(self.root, 'pending.log')
        self.readonly = bool(readonly)
        self.fingerprint: Optional[Dict[str, Any]] = None
        self._state: Dict[str, Any] = self._empty_state()
        self._state_sig: Optional[Tuple[int, int, int]] = None
        self._pending = 0
        self._pending_items: set = set()
        # writers of different items may run in threads (a unit kind's
        # commit encodes several stamp maps at once): MaskLabelStore updates
        # the journal and the pending count under this lock
        self._pending_lock = threading.Lock()
        self._prepare()
        self._lock = StoreLock(osp.join(self.root, '.lock'))
        if not self.readonly:
            self._check_writable()
            self._lock.acquire()
        try:
            self._check_state_present()
            self._check_meta(fingerprint)
            self.refresh()
            if not self.readonly:
                self._recover()
                self._check_files()
        except BaseException:
            self._lock.release()
            raise

    # ------------------------------------------------------------ opening
    def _prepare(self) -> None:
        """Set up the backend's own attributes and folders (called by
        ``__init__`` before the store is locked and read)."""

    def _empty_state(self) -> Dict[str, Any]:
        return dict(round=0, generation=0, labeled=0, cursor=None, index={})

    @classmethod
    def exists(cls, work_dir: str) -> bool:
        """Whether ``work_dir`` holds a store (of any kind).

        Args:
            work_dir: the run directory.

        Returns:
            bool: whether ``<work_dir>/active/meta.json`` exists.
        """
        return osp.isfile(osp.join(work_dir, 'active', 'meta.json'))

    @classmethod
    def in_use_by(cls, work_dir: str) -> Optional[str]:
        """The process that holds the store's write lock now.

        Args:
            work_dir: the run directory.

        Returns:
            str | None: the holder (host, pid); ``None`` when no other run
            writes the store.
        """
        return StoreLock(osp.join(work_dir, 'active', '.lock')).held_by_other()

    def _check_writable(self) -> None:
        """Fail at open, not at a round's commit, when the store's folders
        cannot be written (writer only; creates them)."""
        for d in self._temp_dirs():
            try:
                os.makedirs(d, exist_ok=True)
                fd, tmp = tempfile.mkstemp(
                    prefix='.write-check.', suffix='.tmp', dir=d)
                os.close(fd)
                os.unlink(tmp)
            except OSError as e:
                if e.errno == errno.EPERM:  # chmod would not help
                    fix = ('remove the immutable attribute (chattr -i '
                           f'{d}; lsattr -d {d} shows it, +i or +a)')
                elif e.errno == errno.EROFS:
                    fix = 'remount its file system read-write'
                else:
                    fix = f'make it writable (e.g. chmod -R u+w {self.root})'
                raise PermissionError(
                    f'label store {self.root}: cannot write in {d} '
                    f'({e.strerror or e}); every round commit writes there '
                    f'(units, round reports, state.json). {fix[0].upper()}'
                    f'{fix[1:]}, or use another --work-dir') from e

    @classmethod
    def commit_traces(cls, root: str) -> List[str]:
        """Files under ``root`` that only a committed round leaves, for a
        store whose ``state.json`` is missing.

        A store that never committed a round has none: ``meta.json``, and
        during its first round the items of ``pending.log`` and, once the
        commit of round 1 began (``/commit 1``), ``round_1.json``.

        Args:
            root: the store folder (``<work_dir>/active``).

        Returns:
            list[str]: the paths, sorted (empty: nothing was committed).
        """
        items, commits = read_pending_log(osp.join(root, 'pending.log'))
        out = [
            path for k, path in round_reports(root).items()
            if not (k == 1 and 1 in commits)
        ]
        if any(k != 1 for k in commits):
            out.append(osp.join(root, 'pending.log'))
        out += cls._backend_traces(root, items)
        return sorted(out)

    @classmethod
    def _backend_traces(cls, root: str, items: Sequence[str]) -> List[str]:
        """Backend: files of committed rounds (see :meth:`commit_traces`);
        ``items``: those of ``pending.log``, written by round 1."""
        return []

    def _check_state_present(self) -> None:
        """Raise :class:`StoreIntegrityError` when ``state.json`` is missing
        but the store holds what committed rounds leave (read as an empty
        store, its reports and labels would be dropped as uncommitted)."""
        if osp.exists(self.state_path):
            return
        traces = self.commit_traces(self.root)
        if not traces:
            return
        shown = ', '.join(osp.relpath(p, self.root) for p in traces[:6])
        more = f' and {len(traces) - 6} more' if len(traces) > 6 else ''
        raise StoreIntegrityError(
            f'label store {self.root}: state.json, the commit record (the '
            'committed round, the labelled units and their index), is '
            f'missing, but the store holds what committed rounds leave: '
            f'{shown}{more}. Read as a store with no committed round, its '
            'round reports and bought labels would be dropped as '
            'uncommitted; nothing was changed. Restore '
            f'{self.state_path} from a backup or a copy of this work dir '
            '(it cannot be rebuilt: round reports and stamp maps do not '
            f'hold the whole record). `python tools/check_store.py '
            f'{self.work_dir}` lists every problem; to start over, use '
            'another --work-dir')

    def _check_files(self) -> None:
        """Backend: raise :class:`StoreIntegrityError` when a committed
        file is missing (writer open; must stay cheap: no file is read)."""

    def _check_meta(self, fingerprint: Optional[Dict[str, Any]]) -> None:
        stored = read_json(self.meta_path) if osp.isfile(
            self.meta_path) else None
        if stored is not None:
            if stored.get('format') != _FORMAT:
                raise ValueError(
                    f'{self.meta_path}: a label store of another format '
                    f"({stored.get('format', 1)}, this version reads "
                    f'{_FORMAT}); finish that run with the version that '
                    'made it, or use another work_dir')
            if stored.get('store') != self.kind:
                raise ValueError(
                    f"{self.meta_path}: a {stored.get('store')!r} store, "
                    f'opened as a {self.kind!r} store')
        if fingerprint is None:
            self.fingerprint = None if stored is None else stored.get(
                'fingerprint')
            return
        if not isinstance(fingerprint, dict):
            raise TypeError('fingerprint must be a dict, got '
                            f'{type(fingerprint).__name__}')
        new = _normalise(fingerprint)
        if stored is None:
            if self.readonly:
                raise FileNotFoundError(f'no label store at {self.root}')
            atomic_write_json(
                self.meta_path,
                dict(format=_FORMAT, store=self.kind, fingerprint=new))
            self.fingerprint = new
            return
        old = stored.get('fingerprint') or {}
        diffs = []
        for key in sorted(set(new) | set(old)):
            if key not in old:
                diffs.append(f'field {key!r} is missing in the store '
                             f'(now {new[key]!r})')
            elif key not in new:
                diffs.append(f'field {key!r} is {old[key]!r} in the '
                             'store but missing now')
            elif new[key] != old[key]:
                diffs.append(f'field {key!r} is {old[key]!r} in the '
                             f'store but {new[key]!r} now')
        if diffs:
            raise ValueError(
                f'label store {self.root} belongs to a different setup: ' +
                '; '.join(diffs) + f' (see {self.meta_path}). Use another '
                'work_dir or delete the store to start over.')
        self.fingerprint = old

    def refresh(self, force: bool = False) -> bool:
        """Re-read ``state.json`` if it changed since the last read.

        Costs one ``os.stat`` when nothing changed.

        Args:
            force: re-read even if the file looks unchanged.

        Returns:
            bool: whether a new state was loaded.
        """
        try:
            st = os.stat(self.state_path)
        except FileNotFoundError:
            changed = self._state_sig is not None
            self._state_sig = None
            if changed or force:
                self._state = self._empty_state()
            return changed
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self._state_sig and not force:
            return False
        try:
            state = read_json(self.state_path)
            if not isinstance(state, dict):
                raise ValueError('not a JSON object')
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
            raise StoreIntegrityError(
                f'{self.state_path}, the commit record of the label store, '
                f'is unreadable ({e}); nothing was changed. Restore it from '
                'a backup or a copy of this work dir (it cannot be rebuilt '
                'from the round reports); `python tools/check_store.py '
                f'{self.work_dir}` lists every problem') from e
        missing = [k for k in self._empty_state() if k not in state]
        if missing:
            raise StoreIntegrityError(
                f'{self.state_path} lacks the fields {missing}: not the '
                'commit record of this version; restore it from a backup '
                'or a copy of this work dir')
        self._state = state
        self._state_sig = sig
        return True

    def _recover(self) -> None:
        """Roll back an uncommitted round left by a crash (writer only).

        A report above the committed round is removed only when
        ``pending.log`` shows that the commit of exactly that round began
        (``/commit k``, ``k = last_round() + 1``); any other one means
        ``state.json`` is older than the reports, and nothing is touched.
        """
        from mmengine.logging import print_log
        committed = self.last_round()
        items, commits = read_pending_log(self.pending_path)
        stale, foreign = [], []
        for k, path in sorted(round_reports(self.root).items()):
            if k <= committed:
                continue
            if k == committed + 1 and k in commits:
                stale.append(path)
            else:
                foreign.append((k, path))
        if foreign:
            names = ', '.join(osp.basename(p) for _, p in foreign)
            raise StoreIntegrityError(
                f'label store {self.root}: {names} report(s) round(s) '
                f'{[k for k, _ in foreign]}, above the committed round '
                f'{committed} of state.json, and pending.log records no '
                'interrupted commit of that round: state.json looks older '
                'than the reports (restored from an old copy?). Nothing was '
                'changed. Restore the state.json that goes with them from a '
                'backup or a copy of this work dir; only if you know those '
                'rounds were never committed, move the reports away. '
                f'`python tools/check_store.py {self.work_dir}` lists every '
                'problem')
        for path in stale:
            os.unlink(path)
            print_log(
                f'label store {self.root}: removed {osp.basename(path)}, '
                f'the report of round {committed + 1} whose commit was '
                'interrupted (pending.log); the round is redone',
                logger='current')
        for d in self._temp_dirs():
            for path in glob.glob(osp.join(d, '.*.tmp')):
                os.unlink(path)
        if osp.exists(self.pending_path):
            if items:
                print_log(
                    f'label store {self.root}: rolling back round '
                    f'{committed + 1}, interrupted after touching '
                    f'{len(items)} item(s) (pending.log)',
                    logger='current')
            self._rollback(committed, items)
            os.unlink(self.pending_path)
        fsync_dir(self.root)

    def _temp_dirs(self) -> List[str]:
        return [self.root]

    def _read_pending(self) -> List[str]:
        """Items of the interrupted round (a torn last line is dropped)."""
        return read_pending_log(self.pending_path)[0]

    def _rollback(self, committed: int, items: Sequence[str]) -> None:
        """Backend: undo what ``add`` wrote for rounds above ``committed``."""

    # ------------------------------------------------------------ reading
    @property
    def generation(self) -> int:
        """Commit counter from the last :meth:`refresh` (0 = never)."""
        return int(self._state['generation'])

    @property
    def labeled(self) -> int:
        """Units labelled in all committed rounds."""
        return int(self._state['labeled'])

    @property
    def pending(self) -> int:
        """Units added in the current, not yet committed round."""
        return self._pending

    def last_round(self) -> int:
        """The last committed round (0 when none)."""
        return int(self._state['round'])

    def visible_round(self) -> int:
        """The last round readers see: ``min(cursor, last_round())``."""
        cursor = self._state.get('cursor')
        last = self.last_round()
        return last if cursor is None else min(int(cursor), last)

    def _upto(self, upto: Optional[int]) -> int:
        vis = self.visible_round()
        return vis if upto is None else min(int(upto), vis)

    def round_path(self, k: int) -> str:
        """Path of ``round_<k>.json``.

        Args:
            k: 1-based round.

        Returns:
            str: ``<root>/round_<k>.json``.
        """
        return osp.join(self.root, f'round_{int(k)}.json')

    def read_round(self, k: int) -> Optional[Dict[str, Any]]:
        """The report of committed round ``k``.

        Args:
            k: 1-based round.

        Returns:
            dict | None: the parsed ``round_<k>.json``; ``None`` if ``k`` is
            not committed or has no report.
        """
        if not 1 <= int(k) <= self.last_round():
            return None
        path = self.round_path(k)
        return read_json(path) if osp.isfile(path) else None

    def rounds(self, upto: Optional[int] = None) -> List[Dict[str, Any]]:
        """Reports of the committed rounds ``<= upto``, sorted by round.

        Args:
            upto: last round to include (``None``: the last committed).

        Returns:
            list[dict]: the reports (rounds without one are skipped).
        """
        last = self.last_round() if upto is None else min(
            int(upto), self.last_round())
        out = [self.read_round(k) for k in range(1, last + 1)]
        return [r for r in out if r is not None]

    # ------------------------------------------------------------ writing
    def _require_writer(self) -> None:
        if self.readonly:
            raise RuntimeError(f'label store {self.root} is open read-only')

    def _mark_pending(self, item: str) -> None:
        """Append ``item`` to ``pending.log`` before the backend writes it."""
        if item in self._pending_items:
            return
        with open(self.pending_path, 'a', encoding='utf-8') as f:
            f.write(item + '\n')
            f.flush()
            os.fsync(f.fileno())
        self._pending_items.add(item)

    def _mark_commit(self, k: int) -> None:
        """Record in ``pending.log`` that the commit of round ``k`` began:
        the proof :meth:`_recover` needs to drop its report."""
        with open(self.pending_path, 'a', encoding='utf-8') as f:
            f.write(f'{_COMMIT_MARK}{int(k)}\n')
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(self.root)

    def _next_round(self) -> int:
        k = self.last_round() + 1
        if k > self.max_rounds:
            raise ValueError(f'{type(self).__name__} holds at most '
                             f'{self.max_rounds} rounds')
        return k

    def _write_state(self, **changes: Any) -> None:
        state = dict(self._state)
        state.update(changes)
        atomic_write_json(self.state_path, state)
        fsync_dir(self.root)
        self._state_sig = None
        self.refresh()

    def set_cursor(self, k: Optional[int]) -> None:
        """Let readers see the committed rounds ``<= k`` only.

        The training loop sets it to the round training has reached; a
        resumed run whose checkpoint predates later committed rounds hides
        them until it reaches them again.  ``None`` shows every committed
        round.

        Args:
            k: the round, ``0 <= k <= last_round()``, or ``None``.
        """
        self._require_writer()
        self.refresh(force=True)
        if k is not None and not 0 <= int(k) <= self.last_round():
            raise ValueError(f'cursor {k} outside 0..{self.last_round()} '
                             f'(the committed rounds of {self.root})')
        if self._state.get('cursor') != k:
            self._write_state(cursor=None if k is None else int(k))

    def _backend_commit(self, k: int) -> Dict[str, Any]:
        """Backend: make round ``k``'s writes durable; return state fields."""
        return {}

    def commit(self, k: int, report: Optional[Dict[str, Any]]) -> str:
        """Commit round ``k``: its units become visible to readers.

        The round number is checked against the state on disk, not a cached
        copy.

        Args:
            k: the round, ``last_round() + 1``.
            report: the round report; must hold :data:`ROUND_KEYS` with
                ``report['round'] == k`` and ``report['labeled']`` equal to
                the units labelled after this round (exact accounting).
                ``None`` commits without a report (online purchases).

        Returns:
            str: path of ``round_<k>.json`` ('' without a report).
        """
        self._require_writer()
        self.refresh(force=True)
        k = int(k)
        if k != self.last_round() + 1:
            raise ValueError(f'cannot commit round {k}: the last committed '
                             f'round is {self.last_round()}, so the next one '
                             f'is {self.last_round() + 1}')
        total = self.labeled + self._pending
        if report is not None:
            missing = [key for key in ROUND_KEYS if key not in report]
            if missing:
                raise ValueError(f'round report for round {k} lacks the keys '
                                 f'{missing} (required: {list(ROUND_KEYS)})')
            if int(report['round']) != k:
                raise ValueError(f"round report says round={report['round']!r}"
                                 f' but round {k} is being committed')
            if int(report['labeled']) != total:
                raise ValueError(
                    f"round {k} report says labeled={report['labeled']}, but "
                    f'the store holds {total} {self.unit_name} '
                    f'({self.labeled} committed + {self._pending} added this '
                    'round)')
        self._mark_commit(k)
        fields = self._backend_commit(k)
        self._hook('units_written')
        path = ''
        if report is not None:
            path = self.round_path(k)
            atomic_write_json(path, _normalise(report))
        self._hook('round_json_written')
        cursor = self._state.get('cursor')
        self._write_state(
            round=k,
            generation=self.generation + 1,
            labeled=total,
            cursor=None if cursor is None else k,
            **fields)
        self._hook('state_written')
        if osp.exists(self.pending_path):
            os.unlink(self.pending_path)
        self._pending = 0
        self._pending_items = set()
        return path

    def update_round(self, k: int, fields: Dict[str, Any]) -> None:
        """Merge ``fields`` into the committed ``round_<k>.json`` (atomic).

        Args:
            k: a committed round with a report.
            fields: JSON-serialisable values (e.g. the metrics after the
                round's training).
        """
        self._require_writer()
        report = self.read_round(k)
        if report is None:
            raise ValueError(f'round {k} of {self.root} is not committed or '
                             'has no report')
        report.update(_normalise(fields))
        atomic_write_json(self.round_path(k), report)

    # ------------------------------------------------------------ answers
    def answers(self, k: int) -> Optional[Dict[str, Any]]:
        """The answers of round ``k`` that training uses, if pinned.

        Rounds answered by a person (:class:`~mmseg_ada.active.oracles.
        HumanOracle`) are trained on only once the writer has pinned one
        imported version of their labels (:meth:`pin_answers`); later
        imports cannot change what a run has trained on.

        Args:
            k: a round.

        Returns:
            dict | None: the pinned record (``version``, counts, source) or
            ``None`` when round ``k`` has none.
        """
        rec = (self._state.get('answers') or {}).get(str(int(k)))
        return None if rec is None else dict(rec)

    def pin_answers(self, k: int, record: Dict[str, Any]) -> None:
        """Pin the imported answers of committed round ``k`` (writer only).

        Args:
            k: a committed round without pinned answers.
            record: JSON-serialisable, with the imported ``version``.
        """
        self._require_writer()
        self.refresh(force=True)
        k = int(k)
        if not 1 <= k <= self.last_round():
            raise ValueError(f'cannot pin answers of round {k}: the store '
                             f'{self.root} holds rounds 1..'
                             f'{self.last_round()}')
        if self.answers(k) is not None:
            raise ValueError(f'round {k} of {self.root} already trains on '
                             f'answers version {self.answers(k)["version"]}')
        if 'version' not in record:
            raise ValueError('an answers record needs its "version"')
        answers = dict(self._state.get('answers') or {})
        answers[str(k)] = _normalise(record)
        self._write_state(answers=answers)

    def __getstate__(self) -> Dict[str, Any]:
        """A store pickles (dataloader workers, ``deepcopy`` of a dataset
        holding its read-only copy) without its thread lock."""
        state = dict(self.__dict__)
        state.pop('_pending_lock', None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pending_lock = threading.Lock()

    def close(self) -> None:
        """Release the write lock (readers: nothing to do)."""
        self._lock.release()

    def _hook(self, step: str) -> None:
        hook = type(self)._commit_hook
        if hook is None:
            hook = BaseLabelStore._commit_hook
        if hook is not None:
            hook(step)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(root={self.root!r}, '
                f'round={self.last_round()}, labeled={self.labeled})')
