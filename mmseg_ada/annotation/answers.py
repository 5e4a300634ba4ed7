"""A round's answers: checked against the request, versioned, pinned.

An import (``tools/annotate.py import``) reads a file of an annotation tool
into :class:`RawAnswers` (a format's ``parse``), :func:`clip_answers` keeps
what lies inside the units bought in the round (anything outside is
dropped and counted; asked pixels or images left unlabelled stay 255 /
unanswered and are counted), and :func:`write_answers` adds it to the
round's inbox as a new immutable version (``answers/v<n>/``) and then
points ``answers/current.json`` at it - an import replaces the round's
labels atomically and never merges.  The run that owns the store takes a
version into training with :func:`pin_answers` (the writer of
``state.json``), so an import never writes the store a run holds.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import cv2
import numpy as np

from mmseg_ada.active.oracles.layout import (answers_dir, current_version,
                                             version_dir)
from mmseg_ada.active.stores.base import cumulative_counts
from mmseg_ada.active.stores.lock import StoreLock, StoreLockedError
from mmseg_ada.utils.io import atomic_write_json, fsync_dir, read_json
from .request import IGNORE, AnnotationRequest

__all__ = [
    'AnnotationImportError', 'RawAnswers', 'RoundAnswers', 'clip_answers',
    'write_answers', 'read_answers_meta', 'pin_answers', 'ImportLock'
]


class AnnotationImportError(ValueError):
    """Bad input to an import; nothing was written.

    Args:
        message: what is wrong.
        path: the file being imported.
        round: the round.
        image: the image concerned, if any.
    """

    def __init__(self,
                 message: str,
                 path: str = '',
                 round: Optional[int] = None,
                 image: Optional[str] = None) -> None:
        where = []
        if path:
            where.append(str(path))
        if image is not None:
            where.append(f'image {image!r}')
        if round is not None:
            where.append(f'round {round}')
        super().__init__((', '.join(where) + ': ' if where else '') + message)
        self.path, self.round, self.image = path, round, image


@dataclass
class RawAnswers:
    """What an annotation file says, before it is clipped to the request.

    Args:
        masks: segmentation: ``{stem: uint8 [H, W]}`` label maps of the
            images the file holds (255 = no label).
        images: classification: ``{dataset index: class or None}``.
        notes: remarks of the parser (e.g. cancelled annotations skipped).
    """

    masks: Dict[str, np.ndarray] = field(default_factory=dict)
    images: Dict[int, Optional[int]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)


@dataclass
class RoundAnswers:
    """Answers of a round, clipped to what was asked.

    Args:
        round: the round.
        kind: ``'mask'`` or ``'image'``.
        masks: ``{stem: uint8 [H, W]}`` answers inside the asked pixels
            (255 elsewhere), for images with at least one answered pixel.
        images: ``{index: class or None}`` for every asked image.
        per_image: ``{stem: {'answered', 'unanswered', 'dropped'}}``.
        answered: asked pixels / images with a label.
        unanswered: asked pixels / images left without one.
        dropped: labelled pixels outside the asked units (not kept).
        unchanged: answered pixels / images whose label is the model's
            suggestion (a pre-filled label nobody changed is
            indistinguishable from one a person confirmed: this says how
            much of the answer is the suggestion).
        per_class: ``[C]`` answered pixels / images per class.
    """

    round: int
    kind: str
    masks: Dict[str, np.ndarray] = field(default_factory=dict)
    images: Dict[int, Optional[int]] = field(default_factory=dict)
    per_image: Dict[str, Dict[str, int]] = field(default_factory=dict)
    answered: int = 0
    unanswered: int = 0
    dropped: int = 0
    unchanged: int = 0
    per_class: List[int] = field(default_factory=list)


def clip_answers(request: AnnotationRequest, raw: RawAnswers,
                 path: str) -> RoundAnswers:
    """Keep the answers inside the round's units; check every value.

    Args:
        request: the round's request.
        raw: what the file says.
        path: the file (for messages).

    Returns:
        RoundAnswers: the clipped answers with their counts.

    Raises:
        AnnotationImportError: an image that is not in the round, a label
            map of another size, a value that is not a class.
    """
    k, C = request.round, len(request.classes)
    out = RoundAnswers(round=k, kind=request.kind)
    per_class = np.zeros(C, np.int64)
    if request.kind == 'mask':
        if raw.images:
            raise AnnotationImportError(
                'holds image-level labels, but the round asks for pixels',
                path, k)
        for stem in raw.masks:
            if request.by_stem(stem) is None:
                raise AnnotationImportError('the image is not in the round',
                                            path, k, stem)
        for im in request.images:
            asked = request.asked(im.stem)
            lab = raw.masks.get(im.stem)
            if lab is None:
                n = int(asked.sum())
                out.per_image[im.stem] = dict(
                    answered=0, unanswered=n, dropped=0)
                out.unanswered += n
                continue
            lab = np.asarray(lab)
            if lab.shape != (im.height, im.width):
                raise AnnotationImportError(
                    f'a label map of {lab.shape[1]}x{lab.shape[0]} (width x '
                    f'height) for an image of {im.width}x{im.height}', path, k,
                    im.name)
            bad = (lab != IGNORE) & (lab >= C)
            if bad.any():
                raise AnnotationImportError(
                    f'label value {int(lab[bad][0])} is not a class of the '
                    f'dataset (0..{C - 1}, 255 = unlabelled)', path, k,
                    im.name)
            has = lab != IGNORE
            kept = np.where(asked, lab, IGNORE).astype(np.uint8)
            a = int((has & asked).sum())
            d = int((has & ~asked).sum())
            u = int(asked.sum()) - a
            same = 0
            if request.predictions:
                same = int(((kept == request.predicted_map(im.stem))
                            & (kept != IGNORE)).sum())
            out.per_image[im.stem] = dict(
                answered=a, unanswered=u, dropped=d, unchanged=same)
            out.answered += a
            out.unanswered += u
            out.dropped += d
            out.unchanged += same
            if a:
                out.masks[im.stem] = kept
                per_class += np.bincount(
                    kept[kept != IGNORE].astype(np.int64), minlength=C)[:C]
    else:
        if raw.masks:
            raise AnnotationImportError(
                'holds label maps, but the round asks for whole images', path,
                k)
        for index, label in raw.images.items():
            im = request.by_index(index)
            if im is None:
                raise AnnotationImportError('the image is not in the round',
                                            path, k, f'#{index}')
            if label is not None and not 0 <= int(label) < C:
                raise AnnotationImportError(
                    f'label {label} is not a class of the dataset '
                    f'(0..{C - 1})', path, k, im.name)
        for im in request.images:
            label = raw.images.get(im.index)
            out.images[im.index] = None if label is None else int(label)
            ok = label is not None
            same = int(
                ok and im.predicted is not None and int(label) == im.predicted)
            # image stems may repeat (class folders): keyed by index
            out.per_image[str(im.index)] = dict(
                answered=int(ok),
                unanswered=int(not ok),
                dropped=0,
                unchanged=same)
            out.answered += int(ok)
            out.unanswered += int(not ok)
            out.unchanged += same
            if ok:
                per_class[int(label)] += 1
    out.per_class = per_class.tolist()
    return out


class ImportLock:
    """One import of a round at a time (``answers/.lock``, ``flock``).

    Args:
        work_dir: the run directory.
        k: the round.
    """

    def __init__(self, work_dir: str, k: int) -> None:
        self.k = int(k)
        self._lock = StoreLock(osp.join(answers_dir(work_dir, k), '.lock'))

    def __enter__(self) -> 'ImportLock':
        try:
            self._lock.acquire()
        except StoreLockedError:
            raise AnnotationImportError(
                f'another import of this round is running '
                f'({self._lock.holder()}); wait for it to end',
                round=self.k) from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self._lock.release()


def _sha1(path: str) -> str:
    h = hashlib.sha1()
    if osp.isdir(path):
        for root, _, files in sorted(os.walk(path)):
            for name in sorted(files):
                with open(osp.join(root, name), 'rb') as f:
                    h.update(name.encode())
                    h.update(f.read())
    else:
        with open(path, 'rb') as f:
            h.update(f.read())
    return h.hexdigest()


def write_answers(work_dir: str, answers: RoundAnswers, source: str,
                  fmt: str) -> Dict[str, Any]:
    """Add ``answers`` as the round's newest version (call under
    :class:`ImportLock`).

    The version folder is written in full under a temporary name, renamed,
    and only then named in ``current.json`` (atomic): a reader sees the
    old version or the new one, never a mix.

    Args:
        work_dir: the run directory.
        answers: the clipped answers.
        source: the imported file or folder.
        fmt: its format.

    Returns:
        dict: the version's ``answers.json``.
    """
    k = answers.round
    adir = answers_dir(work_dir, k)
    os.makedirs(adir, exist_ok=True)
    existing = [
        int(n[1:]) for n in os.listdir(adir)
        if n.startswith('v') and n[1:].isdigit()
    ]
    version = max(existing, default=0) + 1
    meta = dict(
        round=k,
        kind=answers.kind,
        version=version,
        imported_at=datetime.datetime.now().isoformat(timespec='seconds'),
        source=dict(path=osp.abspath(source), format=fmt, sha1=_sha1(source)),
        answered=answers.answered,
        unanswered=answers.unanswered,
        dropped=answers.dropped,
        unchanged=answers.unchanged,
        per_class=answers.per_class,
        per_image=answers.per_image)
    tmp = tempfile.mkdtemp(prefix=f'.v{version}.', dir=adir)
    try:
        if answers.kind == 'mask':
            os.makedirs(osp.join(tmp, 'labels'))
            for stem, lab in answers.masks.items():
                ok, buf = cv2.imencode('.png', lab.astype(np.uint8))
                if not ok:
                    raise OSError(f'could not encode the labels of {stem!r}')
                with open(osp.join(tmp, 'labels', stem + '.png'), 'wb') as f:
                    f.write(buf.tobytes())
                    f.flush()
                    os.fsync(f.fileno())
        else:
            atomic_write_json(
                osp.join(tmp, 'labels.json'),
                dict(labels={
                    str(i): v
                    for i, v in answers.images.items()
                }))
        atomic_write_json(osp.join(tmp, 'answers.json'), meta)
        fsync_dir(tmp)
        os.rename(tmp, version_dir(work_dir, k, version))
        fsync_dir(adir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_json(osp.join(adir, 'current.json'), dict(version=version))
    return meta


def read_answers_meta(work_dir: str, k: int,
                      version: int) -> Optional[Dict[str, Any]]:
    """``answers.json`` of version ``version`` of round ``k``.

    Args:
        work_dir: the run directory.
        k: 1-based round.
        version: the import's version number.

    Returns:
        dict | None: the parsed file; ``None`` if it does not exist.
    """
    path = osp.join(version_dir(work_dir, k, version), 'answers.json')
    return read_json(path) if osp.isfile(path) else None


def pin_answers(store: Any, k: int, iteration: int) -> Optional[Dict]:
    """Take round ``k``'s newest imported answers into training (writer).

    Fills the round report with what was answered (per-class counts, the
    record), then pins the version named by ``current.json`` in the store's
    state: the pin is the commit point, and a kill between the two steps
    redoes both.  While an import of the round is running (its lock is
    held), nothing is pinned yet: the import is either refused (the round
    was pinned first) or becomes the version pinned next.

    Args:
        store: the run's label store (writer).
        k: a committed round.
        iteration: the training iteration (recorded).

    Returns:
        dict | None: the pinned record; ``None`` when nothing is imported
        (or an import is running).
    """
    pinned = store.answers(k)
    if pinned is not None:
        return pinned
    lock = StoreLock(osp.join(answers_dir(store.work_dir, k), '.lock'))
    if not osp.isdir(answers_dir(store.work_dir, k)):
        return None
    try:
        lock.acquire()
    except StoreLockedError:
        return None  # an import is running: the next poll (or resume)
    try:
        version = current_version(store.work_dir, k)
        if version is None:
            return None
        meta = read_answers_meta(store.work_dir, k, version)
        if meta is None:
            raise RuntimeError(
                f'{version_dir(store.work_dir, k, version)} has no '
                f'answers.json: the inbox of round {k} is damaged; import '
                'the round again')
        record = dict(
            version=version,
            pinned_at_iteration=int(iteration),
            answered=meta['answered'],
            unanswered=meta['unanswered'],
            dropped=meta['dropped'],
            unchanged=meta.get('unchanged', 0),
            source=meta['source'])
        if store.read_round(k) is not None:
            previous = [r for r in store.rounds() if int(r['round']) < k]
            store.update_round(
                k,
                dict(
                    answers=record,
                    round_per_class_labeled=meta['per_class'],
                    per_class_labeled=cumulative_counts(
                        previous, meta['per_class']).tolist(),
                    round_ignored=int(meta['unanswered'])))
        store.pin_answers(k, record)
        return record
    finally:
        lock.release()
