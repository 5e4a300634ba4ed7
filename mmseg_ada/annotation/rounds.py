"""Export, import and status of a run's rounds (what ``tools/annotate.py``
and the active loop call)."""
from __future__ import annotations

import datetime
import os
import os.path as osp
import shutil
import tempfile
from typing import Any, Dict, List, Optional

from mmseg_ada.active.oracles.layout import (answers_dir, current_version,
                                             round_dir)
from mmseg_ada.active.stores import open_store
from mmseg_ada.active.stores.check import StoreProblem
from mmseg_ada.utils.io import atomic_write_json, fsync_dir
from .answers import (AnnotationImportError, ImportLock, clip_answers,
                      read_answers_meta, write_answers)
from .formats import FORMATS, get_format
from .request import AnnotationRequest, RequestError

__all__ = [
    'open_store', 'export_round', 'exported_formats', 'import_round',
    'rounds_status', 'check_annotations'
]


def export_round(work_dir: str,
                 k: int,
                 fmt: str,
                 out_dir: Optional[str] = None,
                 predictions: bool = True,
                 **options: Any) -> List[str]:
    """Export round ``k``'s request in format ``fmt``.

    The export is written in full under a temporary name and renamed into
    place (with an ``export.json`` record), replacing an earlier export of
    the same format.

    Args:
        work_dir: the run directory.
        k: the round.
        fmt: ``'labelstudio'``, ``'cvat'``, ``'png'`` or ``'list'``.
        out_dir: default ``active/annotate/round_<k>/<fmt>``.
        predictions: pre-fill the model's classes.
        **options: the format's options (``url_prefix``,
            ``document_root``).

    Returns:
        list[str]: the files written (final paths).
    """
    request = AnnotationRequest.of_round(work_dir, k)
    module = get_format(fmt, request.kind)
    out_dir = osp.abspath(out_dir or osp.join(round_dir(work_dir, k), fmt))
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(out_dir)}.', dir=parent)
    try:
        files = module.export(
            request,
            tmp,
            predictions=predictions and request.predictions,
            **options)
        atomic_write_json(
            osp.join(tmp, 'export.json'),
            dict(
                format=fmt,
                round=int(k),
                predictions=bool(predictions and request.predictions),
                options=options,
                images=len(request.images),
                exported_at=datetime.datetime.now().isoformat(
                    timespec='seconds')))
        fsync_dir(tmp)
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [osp.join(out_dir, osp.relpath(f, tmp)) for f in files]


def exported_formats(work_dir: str, k: int) -> List[str]:
    """The formats round ``k`` was exported in (to its own folder).

    Args:
        work_dir: the run directory.
        k: 1-based round.

    Returns:
        list[str]: the formats whose ``round_<k>/<format>/export.json``
        exists, in :data:`FORMATS` order.
    """
    out = []
    for fmt in FORMATS:
        if osp.isfile(osp.join(round_dir(work_dir, k), fmt, 'export.json')):
            out.append(fmt)
    return out


def import_round(work_dir: str, k: int, path: str, fmt: str) -> Dict[str, Any]:
    """Import the answers of round ``k`` from ``path`` (format ``fmt``).

    Nothing is written unless the whole file is valid; the round's labels
    are then replaced atomically by a new version (never merged).  A round
    whose answers a run already trains on cannot be imported again.

    Args:
        work_dir: the run directory.
        k: 1-based round.
        path: the annotation file or folder to import.
        fmt: its format (a key of :data:`FORMATS`).

    Returns:
        dict: the new version's ``answers.json``.

    Raises:
        AnnotationImportError: the round does not exist or was not
            exported, another import runs, the round is in training, or
            the file is bad (see the formats).
    """
    k = int(k)
    try:
        store = open_store(work_dir)
    except FileNotFoundError as e:
        raise AnnotationImportError(str(e), path, k) from None
    if not 1 <= k <= store.last_round():
        raise AnnotationImportError(
            f'the run in {work_dir} has bought rounds 1..{store.last_round()}'
            ' only: no such round', path, k)
    try:
        request = AnnotationRequest.of_round(work_dir, k)
    except RequestError as e:
        raise AnnotationImportError(f'was not exported: {e}', path,
                                    k) from None
    if not exported_formats(work_dir, k):
        raise AnnotationImportError(
            'was not exported (no export under '
            f'{round_dir(work_dir, k)}): run `python tools/annotate.py '
            f'export {work_dir} --round {k} --format ...` first', path, k)
    if not osp.exists(path):
        raise AnnotationImportError('no such file or folder', path, k)
    try:
        module = get_format(fmt, request.kind)
    except ValueError as e:
        raise AnnotationImportError(str(e), path, k) from None
    with ImportLock(work_dir, k):
        store.refresh(force=True)
        pinned = store.answers(k)
        if pinned is not None:
            raise AnnotationImportError(
                f'the run already trains on version {pinned["version"]} of '
                f'this round (since iteration '
                f'{pinned.get("pinned_at_iteration")}): a new import would '
                'change a round it has trained on', path, k)
        raw = module.parse(path, request)
        answers = clip_answers(request, raw, path)
        return write_answers(work_dir, answers, path, fmt)


def rounds_status(work_dir: str) -> List[Dict[str, Any]]:
    """Per round: bought, exported, imported, pinned, answered counts and
    the score after the round's training.

    Args:
        work_dir: the run directory (must hold a store).

    Returns:
        list[dict]: one row per committed round, with ``round``,
        ``bought``, ``unit``, ``images``, ``unit_name``, ``request``,
        ``exported``, ``score``, ``score_name``, ``imported`` (newest
        version), ``in_training`` (pinned version) and the ``answered``,
        ``unanswered``, ``dropped`` counts of the pinned (else newest)
        version (``None`` when unknown).
    """
    store = open_store(work_dir)
    out = []
    for k in range(1, store.last_round() + 1):
        report = store.read_round(k) or {}
        row: Dict[str, Any] = dict(
            round=k,
            bought=report.get('spent'),
            unit=report.get('unit'),
            images=report.get('images_touched'),
            unit_name=store.unit_name,
            request=osp.isfile(
                osp.join(round_dir(work_dir, k), 'request', 'request.json')),
            exported=exported_formats(work_dir, k),
            score=report.get('score'),
            score_name=report.get('score_name'))
        version = current_version(work_dir, k) if osp.isdir(
            answers_dir(work_dir, k)) else None
        meta = None if version is None else read_answers_meta(
            work_dir, k, version)
        row['imported'] = version
        pinned = store.answers(k)
        row['in_training'] = None if pinned is None else pinned['version']
        use = meta
        if pinned is not None:
            use = read_answers_meta(work_dir, k, pinned['version']) or meta
        for key in ('answered', 'unanswered', 'dropped'):
            row[key] = None if use is None else use[key]
        out.append(row)
    return out


def check_annotations(work_dir: str) -> List[StoreProblem]:
    """The annotation side of a run against its store (reads, no writes).

    In a run answered by a person (a round has a request or pinned
    answers): every committed round has its request; every pinned version
    exists with its ``answers.json`` and, for masks, a label file for every
    image it answered; every inbox's ``current.json`` names a version that
    exists.

    Args:
        work_dir: the run directory (must hold a store).

    Returns:
        list[StoreProblem]: what is wrong (empty: consistent).
    """
    store = open_store(work_dir)
    problems: List[StoreProblem] = []
    rounds = range(1, store.last_round() + 1)
    person = any(
        store.answers(k) is not None
        or osp.isdir(osp.join(round_dir(work_dir, k), 'request'))
        for k in rounds)
    if not person:
        return problems
    for k in rounds:
        req = osp.join(round_dir(work_dir, k), 'request', 'request.json')
        if not osp.isfile(req):
            problems.append(
                StoreProblem(
                    req, 'missing-request',
                    f'committed round {k} of a run answered by a person has '
                    'no annotation request: it cannot be exported or '
                    'imported'))
        pinned = store.answers(k)
        if pinned is not None:
            v = int(pinned['version'])
            meta = read_answers_meta(work_dir, k, v)
            vdir = osp.join(answers_dir(work_dir, k), f'v{v}')
            if meta is None:
                problems.append(
                    StoreProblem(
                        vdir, 'missing-answers',
                        f'round {k} trains on imported version {v}, which '
                        'is gone: restore it (the run cannot reproduce '
                        'its labels without it)'))
            elif meta['kind'] == 'mask':
                for stem, c in meta['per_image'].items():
                    f = osp.join(vdir, 'labels', stem + '.png')
                    if c['answered'] and not osp.isfile(f):
                        problems.append(
                            StoreProblem(
                                f, 'missing-answers',
                                f'round {k}, version {v}: the answers of '
                                f'{stem!r} ({c["answered"]} pixels) are '
                                'missing'))
        if osp.isfile(osp.join(answers_dir(work_dir, k), 'current.json')):
            v = current_version(work_dir, k)
            if read_answers_meta(work_dir, k, v) is None:
                problems.append(
                    StoreProblem(
                        osp.join(answers_dir(work_dir, k),
                                 'current.json'), 'bad-inbox',
                        f'names version {v} of round {k}, which has no '
                        'answers.json: import the round again'))
    return problems
