"""Verify a label store on disk against its own record, without writing.

:func:`check_store` compares every file of ``<work_dir>/active`` with
``state.json`` (the commit record) and the round reports: a stamp map for
every labelled image and none for others, the stamps against the committed
round and the index, the pixels (images) of every round against its
``round_<k>.json`` ``spent`` and the total against ``state.json``, the
image ids against the pool size, the reports of the committed rounds, an
interrupted round's ``pending.log``.  It returns the problems as data
(it prints nothing), so tools can show them: ``tools/check_store.py
WORK_DIR`` prints them as a table.

Opening a store for writing checks only what is cheap (the stamp maps'
existence, the round reports of a rounds run); this check reads every
stamp map (``read_masks=False`` skips that).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
from typing import Any, Dict, List, NamedTuple, Optional

import numpy as np

from .base import _FORMAT, ROUND_KEYS, BaseLabelStore, read_pending_log

__all__ = ['StoreProblem', 'check_store', 'summarize_store']

_ROUND_RE = re.compile(r'^round_(\d+)\.json$')


class StoreProblem(NamedTuple):
    """One thing wrong with a store."""
    #: the file (or folder) concerned
    path: str
    #: the kind: ``'no-store'``, ``'bad-meta'``, ``'bad-state'``,
    #: ``'missing-state'``, ``'pending'``, ``'missing-report'``,
    #: ``'bad-report'``, ``'stale-report'`` (of an interrupted commit),
    #: ``'unexpected-report'`` (above the committed round, not proven
    #: stale), ``'missing-mask'``, ``'unindexed-mask'``,
    #: ``'bad-mask'``, ``'stamp-above-round'``, ``'bad-index'``,
    #: ``'count-mismatch'``, ``'online-log'``
    code: str
    #: what is wrong, and what to do when there is something to do
    message: str


def _load(path: str) -> Any:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class _Checker:

    def __init__(self, work_dir: str, read_masks: bool) -> None:
        self.work_dir = os.fspath(work_dir)
        self.root = osp.join(self.work_dir, 'active')
        self.read_masks = read_masks
        self.problems: List[StoreProblem] = []
        #: rounds whose commit began (``/commit k`` in pending.log)
        self.commits: List[int] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.problems.append(StoreProblem(path, code, message))

    # ------------------------------------------------------------ files
    def meta(self) -> Optional[Dict[str, Any]]:
        path = osp.join(self.root, 'meta.json')
        if not osp.isfile(path):
            self.add(path, 'no-store',
                     f'no label store in {self.work_dir} (meta.json missing)')
            return None
        try:
            meta = _load(path)
        except (OSError, ValueError) as e:
            self.add(path, 'bad-meta', f'unreadable: {e}')
            return None
        if meta.get('format') != _FORMAT or meta.get('store') not in ('mask',
                                                                      'image'):
            self.add(
                path, 'bad-meta', f"format {meta.get('format')!r} / store "
                f"{meta.get('store')!r}: not a store this version reads "
                f"(format {_FORMAT}, 'mask' or 'image')")
            return None
        return meta

    def state(self, kind: str) -> Optional[Dict[str, Any]]:
        path = osp.join(self.root, 'state.json')
        if not osp.isfile(path):
            from .image_store import ImageLabelStore
            from .mask_store import MaskLabelStore
            cls = MaskLabelStore if kind == 'mask' else ImageLabelStore
            traces = cls.commit_traces(self.root)
            if traces:
                shown = ', '.join(
                    osp.relpath(p, self.root) for p in traces[:6])
                more = (f' and {len(traces) - 6} more'
                        if len(traces) > 6 else '')
                self.add(
                    path, 'missing-state',
                    'the commit record is missing, but the store holds '
                    f'what committed rounds leave ({shown}{more}): restore '
                    'it from a backup or a copy of the work dir (it cannot '
                    'be rebuilt); the store refuses to open without it')
                return None
            # nothing committed yet
            return dict(
                round=0, generation=0, labeled=0, cursor=None, index={})
        try:
            state = _load(path)
        except (OSError, ValueError) as e:
            self.add(path, 'bad-state', f'unreadable: {e}')
            return None
        missing = [
            k for k in ('round', 'generation', 'labeled', 'cursor', 'index')
            if k not in state
        ]
        if missing:
            self.add(path, 'bad-state', f'lacks the fields {missing}')
            return None
        cursor, last = state['cursor'], int(state['round'])
        if cursor is not None and not 0 <= int(cursor) <= last:
            self.add(
                path, 'bad-state',
                f'cursor {cursor} outside 0..{last} (the committed '
                'rounds)')
        return state

    def pending(self) -> set:
        path = osp.join(self.root, 'pending.log')
        if not osp.isfile(path):
            return set()
        items, self.commits = read_pending_log(path)
        items = set(items)
        began = (f', and the commit of round(s) {self.commits} began'
                 if self.commits else '')
        self.add(
            path, 'pending',
            f'an interrupted round touched {len(items)} item(s){began}; '
            'the next writer open (--resume) rolls it back (while a run '
            'is going, a round is being written)')
        return items

    def reports(self, last: int, online: bool) -> Dict[int, Dict]:
        out: Dict[int, Dict] = {}
        for name in sorted(os.listdir(self.root)):
            m = _ROUND_RE.match(name)
            if not m:
                continue
            k, path = int(m.group(1)), osp.join(self.root, name)
            if k == last + 1 and k in self.commits:
                self.add(
                    path, 'stale-report',
                    f'a report of round {k}, whose commit was interrupted '
                    '(pending.log): removed at the next writer open, which '
                    'redoes the round')
                continue
            if k > last or k < 1:
                self.add(
                    path, 'unexpected-report',
                    f'a report of round {k}, above the committed round '
                    f'{last} of state.json, and no interrupted commit of it '
                    'in pending.log: state.json may be older than the '
                    'reports (restored from an old copy?); restore the '
                    'matching state.json from a backup. The store refuses '
                    'to open for writing meanwhile (nothing is removed)')
                continue
            try:
                rep = _load(path)
            except (OSError, ValueError) as e:
                self.add(path, 'bad-report', f'unreadable: {e}')
                continue
            lacks = [key for key in ROUND_KEYS if key not in rep]
            if lacks:
                self.add(path, 'bad-report', f'lacks the keys {lacks}')
                continue
            if int(rep['round']) != k:
                self.add(path, 'bad-report',
                         f"says round={rep['round']!r}, its name round {k}")
                continue
            out[k] = rep
        if not online:
            for k in range(1, last + 1):
                if k not in out and osp.isfile(
                        osp.join(self.root, f'round_{k}.json')):
                    continue  # reported above as bad
                if k not in out:
                    self.add(
                        osp.join(self.root,
                                 f'round_{k}.json'), 'missing-report',
                        f'the report of committed round {k} is missing: '
                        'restore it from a backup (it cannot be rebuilt '
                        'exactly); --resume refuses the run without it')
        return out

    # ----------------------------------------------------------- counts
    def compare_counts(self, state: Dict, per_round: Dict[int, int],
                       reports: Dict[int,
                                     Dict], unit: str, online: bool) -> None:
        last = int(state['round'])
        total = sum(per_round.values())
        state_path = osp.join(self.root, 'state.json')
        if total != int(state['labeled']):
            self.add(
                state_path, 'count-mismatch',
                f"labeled={state['labeled']} but the store holds {total} "
                f'{unit} of rounds 1..{last}')
        running = 0
        for k in range(1, last + 1):
            running += per_round.get(k, 0)
            rep = reports.get(k)
            if rep is None:
                continue
            path = osp.join(self.root, f'round_{k}.json')
            if int(rep['spent']) != per_round.get(k, 0):
                self.add(
                    path, 'count-mismatch',
                    f"spent={rep['spent']} but the store holds "
                    f'{per_round.get(k, 0)} {unit} of round {k}')
            if int(rep['labeled']) != running:
                self.add(
                    path, 'count-mismatch',
                    f"labeled={rep['labeled']} but rounds 1..{k} of the "
                    f'store hold {running} {unit}')
        if online:
            self.online_log(last, per_round, unit)

    def online_log(self, last: int, per_round: Dict[int, int],
                   unit: str) -> None:
        path = osp.join(self.root, 'online.jsonl')
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
            lines = text.split('\n')
            if not text.endswith('\n'):
                lines = lines[:-1]  # a torn last line was never committed
            records = [json.loads(ln) for ln in lines if ln]
        except (OSError, ValueError) as e:
            self.add(path, 'online-log', f'unreadable: {e}')
            return
        commits = [int(r.get('commit', -1)) for r in records]
        committed = [c for c in commits if c <= last]
        if committed != list(range(1, last + 1)):
            self.add(
                path, 'online-log',
                f'lists commits {committed[:10]}... but the store committed '
                f'1..{last}')
            return
        for r in records:
            k = int(r['commit'])
            if k <= last and int(r.get('spent', -1)) != per_round.get(k, 0):
                self.add(
                    path, 'count-mismatch',
                    f"commit {k}: spent={r.get('spent')} but the store "
                    f'holds {per_round.get(k, 0)} {unit} of it')

    # ---------------------------------------------------------- backends
    def masks(self, state: Dict, pending: set, num_images: Optional[int],
              reports: Dict[int, Dict], online: bool) -> None:
        from .mask_store import MaskLabelStore
        last, index = int(state['round']), state['index']
        mask_dir = osp.join(self.root, 'masks')
        on_disk = ({
            n[:-4]
            for n in os.listdir(mask_dir)
            if n.endswith('.png') and not n.startswith('.')
        } if osp.isdir(mask_dir) else set())
        lost = 0
        for stem, r in sorted(index.items()):
            if not isinstance(r, int) or not 1 <= r <= last:
                self.add(
                    osp.join(self.root, 'state.json'), 'bad-index',
                    f'index: image {stem!r} labelled in round {r!r}, '
                    f'outside the committed rounds 1..{last}')
            if stem not in on_disk:
                lost += 1
                self.add(
                    osp.join(mask_dir, f'{stem}.png'), 'missing-mask',
                    f'image {stem!r}, labelled in round {r} (state.json), '
                    'has no stamp map: its bought pixels are lost. Restore '
                    'it from a backup or a copy of the work dir; the store '
                    'refuses to open without it')
        if num_images is not None and len(index) > num_images:
            self.add(
                osp.join(self.root, 'state.json'), 'bad-index',
                f'{len(index)} labelled images in a pool of {num_images} '
                '(meta.json)')
        for stem in sorted(on_disk - set(index) - pending):
            self.add(
                osp.join(mask_dir, f'{stem}.png'), 'unindexed-mask',
                f'a stamp map of image {stem!r}, which state.json does not '
                'list as labelled (its pixels are not accounted for)')
        if not self.read_masks:
            return
        per_round: Dict[int, int] = {}
        for stem in sorted(on_disk):
            path = osp.join(mask_dir, f'{stem}.png')
            try:
                raw = MaskLabelStore._read_raw(path)
            except ValueError as e:
                self.add(path, 'bad-mask', str(e))
                continue
            stamps, counts = np.unique(raw[raw > 0], return_counts=True)
            above = stamps[stamps > last]
            if above.size and stem not in pending:
                self.add(
                    path, 'stamp-above-round',
                    f'{int(counts[stamps > last].sum())} pixels stamped with '
                    f'round(s) {above.tolist()}, above the committed round '
                    f'{last}, and no pending.log to roll them back')
            seen = stamps[stamps <= last]
            if stem in index and seen.size and int(seen[0]) != index[stem]:
                self.add(
                    path, 'bad-index',
                    f'first bought in round {int(seen[0])}, but state.json '
                    f'says round {index[stem]}')
            if stem in index and not seen.size:
                self.add(
                    path, 'bad-index',
                    f'no pixel of a committed round, but state.json lists '
                    f'image {stem!r} as labelled in round {index[stem]}')
            for s, c in zip(stamps.tolist(), counts.tolist()):
                if s <= last and stem in index:  # others: reported above
                    per_round[s] = per_round.get(s, 0) + int(c)
        if not lost:  # with a map missing, the counts cannot agree
            self.compare_counts(state, per_round, reports, 'pixels', online)

    def images(self, state: Dict, num_images: Optional[int],
               reports: Dict[int, Dict]) -> None:
        last, index = int(state['round']), state['index']
        per_round: Dict[int, int] = {}
        state_path = osp.join(self.root, 'state.json')
        for key, r in sorted(index.items()):
            if not (isinstance(key, str) and key.isdigit()):
                self.add(
                    state_path, 'bad-index',
                    f'index: {key!r} is not an image id (an index of '
                    'the target list)')
            elif num_images is not None and int(key) >= num_images:
                self.add(
                    state_path, 'bad-index',
                    f'index: image id {key} outside the pool of '
                    f'{num_images} images (meta.json)')
            if not isinstance(r, int) or not 1 <= r <= last:
                self.add(
                    state_path, 'bad-index',
                    f'index: image {key} bought in round {r!r}, outside '
                    f'the committed rounds 1..{last}')
                continue
            per_round[r] = per_round.get(r, 0) + 1
        self.compare_counts(state, per_round, reports, 'images', False)


def check_store(work_dir: str, read_masks: bool = True) -> List[StoreProblem]:
    """Every problem of the label store in ``<work_dir>/active``.

    Reads only (no lock is taken; a run may be going: a ``pending.log`` is
    then a round being written).  Checks every stamp map / image id
    against ``state.json``'s index and the round reports' counts: stamps
    above the committed round, missing stamp maps, maps not in the index,
    pixels (images) per round against ``round_<k>.json``'s ``spent`` and
    ``labeled``, the total against ``state.json``, image ids against the
    pool size, missing or stale round reports, ``online.jsonl`` for online
    runs, a ``pending.log``.

    Args:
        work_dir: the run's work dir.
        read_masks: read every stamp map (the pixel counts and stamps);
            ``False`` checks existence only (one ``stat`` per image).

    Returns:
        list[StoreProblem]: empty when the store is consistent.
    """
    c = _Checker(work_dir, read_masks)
    meta = c.meta()
    if meta is None:
        return c.problems
    state = c.state(meta['store'])
    if state is None:
        return c.problems
    online = osp.isfile(osp.join(c.root, 'online.jsonl'))
    pending = c.pending()
    reports = c.reports(int(state['round']), online)
    num_images = (meta.get('fingerprint') or {}).get('num_images')
    if meta['store'] == 'mask':
        c.masks(state, pending, num_images, reports, online)
    else:
        c.images(state, num_images, reports)
    return c.problems


def summarize_store(work_dir: str) -> Dict[str, Any]:
    """What the store holds, from its record (no image is read).

    Args:
        work_dir: the run directory (its ``active/`` store).

    Returns:
        dict: ``kind`` (``'mask'``/``'image'``/``None`` without a store),
        ``round``, ``labeled``, ``items`` (labelled images), ``cursor``,
        ``in_use_by`` (the run writing it now, or ``None``).
    """
    root = osp.join(os.fspath(work_dir), 'active')
    out: Dict[str, Any] = dict(
        kind=None,
        round=0,
        labeled=0,
        items=0,
        cursor=None,
        in_use_by=BaseLabelStore.in_use_by(work_dir))
    try:
        out['kind'] = _load(osp.join(root, 'meta.json')).get('store')
        state = _load(osp.join(root, 'state.json'))
    except (OSError, ValueError):
        return out
    out.update(
        round=int(state.get('round', 0)),
        labeled=int(state.get('labeled', 0)),
        items=len(state.get('index') or {}),
        cursor=state.get('cursor'))
    return out
