"""Offline label conversion for GTA5 and SYNTHIA (the converter CLIs' core).

Used by ``tools/dataset_converters/gta5.py`` and ``synthia.py`` (which
import it as ``_convert``, from their own folder) and by the tests (as
``tools.dataset_converters._convert``, with the repository root on
``sys.path``).  It lives with the tools, not in the ``mmseg_ada`` package,
because nothing at training time converts labels; the runtime side (file
name conventions, reading the broken-pair list, listing converted pairs) is
:mod:`mmseg_ada.datasets.converted_pairs`.

MMSegmentation's ``LoadAnnotations`` casts every label to ``uint8`` and
cannot read GTA5's palette ids nor SYNTHIA's 16-bit R channel, so labels are
converted once, offline, to 19-class Cityscapes trainIds.  Each converted
label is written as ``<stem>_labelTrainIds.png`` (single-channel uint8) next
to its original label, the convention of mmseg's Cityscapes converter.

Behaviour of :func:`convert_gta5` / :func:`convert_synthia`:

* **Parallel** over ``nproc`` worker processes with a progress bar
  (:func:`mmengine.utils.track_parallel_progress`).
* **Resumable**: a pair whose output exists, is non-empty and is at least as
  new as both its image and its original label is skipped (``force=True``
  redoes everything).  A deleted output, or a source touched later, is
  redone.
* **Atomic**: every output (and the broken-pair list) is written with
  :func:`mmseg_ada.utils.io.atomic_write_bytes` (a hidden temporary file in
  the same folder, moved in place with :func:`os.replace`), so a killed run
  never leaves a truncated PNG; stale temporary files of killed runs are
  removed at the next run.
* **Size mismatch** (a known GTA5 quirk): when the image and its label
  differ in size, the *converted* label is resized to the image size with
  nearest-neighbour interpolation (so no new class ids appear) and the pair
  is reported as ``resized``; the original label is left untouched.
* **Broken pairs**: an image without label, a label without image, an
  unreadable / truncated image (fully decoded with OpenCV unless
  ``check_images=False``), an unreadable label, a label in the wrong format
  (GTA5: not a palette/grey PNG of ids; SYNTHIA: not 16-bit 3-channel) or a
  label id outside the map are never fatal: the pair is listed, with its
  reason, in ``ROOT/broken_pairs.txt`` (``<stem>\\t<reason>`` per line),
  which the datasets read to leave these pairs out.  The list is rewritten
  at every run.
* A summary (converted / resized / skipped-existing / broken with reasons)
  is logged at the end and returned as a :class:`ConversionSummary`.
"""
from __future__ import annotations

import glob
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

# yapf: disable
from mmseg_ada.datasets.converted_pairs import (BROKEN_LIST_NAME,
                                                GTA5_CONVERT_CMD, GTA5_IMG_DIR,
                                                GTA5_LABEL_DIR,
                                                SYNTHIA_CONVERT_CMD,
                                                SYNTHIA_IMG_DIR,
                                                SYNTHIA_LABEL_DIR,
                                                TRAIN_ID_SUFFIX, find_stems)
# yapf: enable
from mmseg_ada.datasets.label_maps import (gta5_to_train_ids,
                                           synthia_to_train_ids)
from mmseg_ada.utils.io import atomic_write_bytes

__all__ = [
    'ConversionSummary', 'convert_gta5', 'convert_synthia',
    'write_broken_list', 'write_label_png'
]

# suffix of the temporary files of mmseg_ada.utils.io.atomic_write_bytes
# (``.<name>.<random>.tmp``); leftovers of killed runs are removed
_TMP_SUFFIX = '.tmp'

# status values returned by the per-pair worker
_CONVERTED, _RESIZED, _SKIPPED, _BROKEN = ('converted', 'resized', 'skipped',
                                           'broken')


@dataclass
class ConversionSummary:
    """What one converter run did.

    Args:
        root (str): Dataset root.
        converted (list[str]): Stems converted in this run (includes the
            resized ones).
        skipped (list[str]): Stems whose output already existed and was up
            to date.
        resized (list[tuple[str, str]]): ``(stem, reason)`` of pairs whose
            label was resized to the image size.
        broken (list[tuple[str, str]]): ``(stem, reason)`` of unusable pairs.
        broken_list_path (str): Where the broken pairs were written.
        removed_tmp (int): Stale temporary files of killed runs removed.
    """
    root: str
    converted: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    resized: List[Tuple[str, str]] = field(default_factory=list)
    broken: List[Tuple[str, str]] = field(default_factory=list)
    broken_list_path: str = ''
    removed_tmp: int = 0

    def format(self, max_listed: int = 50) -> str:
        """Human-readable summary.

        Args:
            max_listed (int): At most this many resized / broken pairs are
                listed one per line.

        Returns:
            str: The summary text.
        """
        lines = [
            f'Converted {len(self.converted)} label(s) in {self.root} '
            f'({len(self.resized)} resized to their image size), skipped '
            f'{len(self.skipped)} up-to-date, {len(self.broken)} broken '
            'pair(s).'
        ]
        if self.removed_tmp:
            lines.append(f'Removed {self.removed_tmp} stale temporary '
                         'file(s) of an interrupted run.')
        for title, items in (('Resized labels', self.resized),
                             ('Broken pairs (excluded from the dataset)',
                              self.broken)):
            if not items:
                continue
            lines.append(f'{title}:')
            lines += [f'  {stem}: {why}' for stem, why in items[:max_listed]]
            if len(items) > max_listed:
                lines.append(f'  ... and {len(items) - max_listed} more')
        if self.broken:
            lines.append(f'Broken pairs written to {self.broken_list_path}')
        return '\n'.join(lines)


# --------------------------------------------------------------------------
# outputs: converted labels and the broken-pair list
# --------------------------------------------------------------------------
def write_label_png(path: str, label: np.ndarray) -> None:
    """Write an HxW uint8 label map as a grey PNG, atomically.

    Args:
        path (str): Destination ``.png`` file.
        label (np.ndarray): HxW uint8 array.
    """
    if label.dtype != np.uint8 or label.ndim != 2:
        raise ValueError(f'{path}: expected an HxW uint8 label, got '
                         f'{label.dtype} {label.shape}')
    ok, buf = cv2.imencode('.png', label)
    if not ok:  # pragma: no cover - cv2 always encodes uint8 2-D arrays
        raise OSError(f'{path}: PNG encoding failed')
    atomic_write_bytes(path, buf.tobytes())


def write_broken_list(path: str, broken: Sequence[Tuple[str, str]]) -> None:
    """Write ``(stem, reason)`` pairs to ``path`` atomically.

    Args:
        path (str): Destination file.
        broken (Sequence[tuple[str, str]]): The broken pairs.
    """
    lines = [
        '# pairs excluded from the dataset: <stem>\\t<reason>',
        '# written by the mmseg_ada label converter; rerun it to update'
    ]
    for stem, why in broken:
        why = ' '.join(str(why).split())  # one line, no tabs
        lines.append(f'{stem}\t{why}')
    atomic_write_bytes(path, ('\n'.join(lines) + '\n').encode('utf-8'))


# --------------------------------------------------------------------------
# the per-pair worker (top level so that it pickles for the process pool)
# --------------------------------------------------------------------------
def _read_gta5_label(path: str) -> np.ndarray:
    with Image.open(path) as im:
        mode = im.mode
        if mode not in ('P', 'L'):
            raise ValueError(
                f'label file {path!r}: expected a palette (mode P) PNG whose '
                f'values are Cityscapes label ids, got mode {mode}')
        im.load()
        return np.array(im)


def _read_synthia_label(path: str) -> np.ndarray:
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if label is None:
        raise ValueError(f'label file {path!r}: unreadable (not a PNG or '
                         'corrupt)')
    return label


def _image_size(path: str, decode: bool) -> Tuple[int, int]:
    """(height, width) of an image; with ``decode`` fully decoded."""
    if decode:
        with open(path, 'rb') as f:
            buf = np.frombuffer(f.read(), dtype=np.uint8)
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
        if img is None:
            raise ValueError(f'image {path!r}: unreadable (corrupt or '
                             'truncated)')
        return int(img.shape[0]), int(img.shape[1])
    with Image.open(path) as im:
        w, h = im.size
    return int(h), int(w)


def _mtime(path: str) -> float:
    return os.stat(path).st_mtime


def _convert_pair(task: tuple) -> Tuple[str, str, str]:
    """Convert one pair; never raises.

    Args:
        task (tuple): ``(kind, stem, img_path, label_path, out_path,
            check_images, force, lanemarking_as_road)``.

    Returns:
        tuple[str, str, str]: ``(status, stem, reason)``.
    """
    (kind, stem, img_path, label_path, out_path, check_images, force,
     lanemarking_as_road) = task
    try:
        if not force and osp.isfile(out_path):
            out_stat = os.stat(out_path)
            if (out_stat.st_size > 0 and out_stat.st_mtime >= max(
                    _mtime(label_path), _mtime(img_path))):
                return _SKIPPED, stem, ''
        try:
            img_hw = _image_size(img_path, check_images)
        except Exception as e:  # noqa: BLE001 - reported, never fatal
            msg = str(e)
            if img_path not in msg:
                msg = f'image {img_path!r}: unreadable ({msg})'
            return _BROKEN, stem, msg
        if kind == 'gta5':
            train_ids = gta5_to_train_ids(
                _read_gta5_label(label_path), label_path)
        else:
            train_ids = synthia_to_train_ids(
                _read_synthia_label(label_path),
                label_path,
                lanemarking_as_road=lanemarking_as_road)
        status, reason = _CONVERTED, ''
        if train_ids.shape != img_hw:
            reason = (f'label {train_ids.shape[1]}x{train_ids.shape[0]} != '
                      f'image {img_hw[1]}x{img_hw[0]} (WxH); label resized '
                      'with nearest neighbour')
            train_ids = cv2.resize(
                train_ids, (img_hw[1], img_hw[0]),
                interpolation=cv2.INTER_NEAREST)
            status = _RESIZED
        write_label_png(out_path, np.ascontiguousarray(train_ids))
        return status, stem, reason
    except Exception as e:  # noqa: BLE001 - reported, never fatal
        msg = str(e)
        if label_path not in msg and img_path not in msg:
            msg = f'label file {label_path!r}: {type(e).__name__}: {msg}'
        return _BROKEN, stem, msg


# --------------------------------------------------------------------------
# pair discovery and the two converters
# --------------------------------------------------------------------------
def _remove_stale_tmp(folder: str) -> int:
    n = 0
    pattern = osp.join(
        glob.escape(folder), '**', f'.*{TRAIN_ID_SUFFIX}.*{_TMP_SUFFIX}')
    for path in glob.glob(pattern, recursive=True):
        try:
            os.unlink(path)
            n += 1
        except OSError:  # pragma: no cover - raced with another process
            pass
    return n


def _convert(kind: str,
             root: str,
             img_dir: str,
             label_dir: str,
             convert_cmd: str,
             nproc: int,
             check_images: bool,
             force: bool,
             lanemarking_as_road: bool = False) -> ConversionSummary:
    root = str(root)
    img_root = osp.join(root, img_dir)
    label_root = osp.join(root, label_dir)
    for what, folder in (('image', img_root), ('label', label_root)):
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{kind.upper()} {what} folder {folder!r} not found; expected '
                f'{osp.join(root, img_dir, "*.png")} and '
                f'{osp.join(root, label_dir, "*.png")} (the official '
                'download layout)')
    if nproc < 1:
        raise ValueError(f'nproc must be >= 1, got {nproc}')
    summary = ConversionSummary(
        root=root, broken_list_path=osp.join(root, BROKEN_LIST_NAME))
    summary.removed_tmp = _remove_stale_tmp(label_root)

    images = find_stems(img_root, '.png', ())
    labels = find_stems(label_root, '.png', (TRAIN_ID_SUFFIX, ))
    broken: List[Tuple[str, str]] = []
    tasks = []
    for stem in sorted(set(images) | set(labels)):
        if stem not in labels:
            broken.append((stem, f'image {images[stem]!r} has no label '
                           f'{osp.join(label_root, stem + ".png")!r}'))
        elif stem not in images:
            broken.append((stem, f'label {labels[stem]!r} has no image '
                           f'{osp.join(img_root, stem + ".png")!r}'))
        else:
            out = osp.join(label_root, stem + TRAIN_ID_SUFFIX)
            tasks.append((kind, stem, images[stem], labels[stem], out,
                          check_images, force, lanemarking_as_road))
    if not tasks and not broken:
        raise FileNotFoundError(
            f'no {kind.upper()} pairs found under {root!r}: '
            f'{img_root!r} and {label_root!r} hold no .png files')

    print_log(
        f'{kind.upper()}: converting {len(tasks)} label(s) in '
        f'{label_root} with {nproc} process(es)',
        logger='current')
    if not tasks:
        results = []
    elif nproc == 1:
        results = track_progress(_convert_pair, tasks)
    else:
        results = track_parallel_progress(
            _convert_pair,
            tasks,
            nproc,
            chunksize=max(1, min(32,
                                 len(tasks) // (4 * nproc))))
    for status, stem, reason in results:
        if status == _SKIPPED:
            summary.skipped.append(stem)
        elif status == _BROKEN:
            broken.append((stem, reason))
        else:
            summary.converted.append(stem)
            if status == _RESIZED:
                summary.resized.append((stem, reason))
    summary.broken = sorted(broken)
    write_broken_list(summary.broken_list_path, summary.broken)
    print_log(summary.format(), logger='current')
    if summary.broken:
        print_log(
            f'{len(summary.broken)} broken pair(s) are excluded from the '
            f'dataset (see {summary.broken_list_path}); '
            f'fix them and rerun: {convert_cmd.format(root=root)}',
            logger='current')
    return summary


def convert_gta5(root: str,
                 nproc: int = 1,
                 check_images: bool = True,
                 force: bool = False) -> ConversionSummary:
    """Convert GTA5 palette labels to ``labels/<stem>_labelTrainIds.png``.

    Args:
        root (str): GTA5 root with ``images/*.png`` and ``labels/*.png``.
        nproc (int): Worker processes. Defaults to 1.
        check_images (bool): Fully decode every image to find corrupt ones
            (slower). Defaults to True.
        force (bool): Reconvert even up-to-date outputs. Defaults to False.

    Returns:
        ConversionSummary: What was converted, skipped, resized, broken.

    Raises:
        FileNotFoundError: If ``images/`` or ``labels/`` is missing or empty.
    """
    return _convert('gta5', root, GTA5_IMG_DIR, GTA5_LABEL_DIR,
                    GTA5_CONVERT_CMD, nproc, check_images, force)


def convert_synthia(root: str,
                    nproc: int = 1,
                    check_images: bool = True,
                    force: bool = False,
                    lanemarking_as_road: bool = False) -> ConversionSummary:
    """Convert SYNTHIA labels to ``GT/LABELS/<stem>_labelTrainIds.png``.

    Args:
        root (str): RAND-CITYSCAPES root with ``RGB/*.png`` and
            ``GT/LABELS/*.png`` (16-bit, 3 channels, class id in R).
        nproc (int): Worker processes. Defaults to 1.
        check_images (bool): Fully decode every image to find corrupt ones
            (slower). Defaults to True.
        force (bool): Reconvert even up-to-date outputs. Defaults to False.
        lanemarking_as_road (bool): Map lanemarking to road instead of 255.
            Defaults to False.

    Returns:
        ConversionSummary: What was converted, skipped, resized, broken.

    Raises:
        FileNotFoundError: If ``RGB/`` or ``GT/LABELS/`` is missing or empty.
    """
    return _convert('synthia', root, SYNTHIA_IMG_DIR, SYNTHIA_LABEL_DIR,
                    SYNTHIA_CONVERT_CMD, nproc, check_images, force,
                    lanemarking_as_road)
