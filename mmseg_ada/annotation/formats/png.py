"""Plain PNG files, for people with tools of their own (segmentation).

Export (``<out_dir>/``):

* ``labels/<stem>.png``: 8-bit trainIds, the model's class on every asked
  pixel (without predictions: 255) and 255 (unlabelled) elsewhere - edit
  these;
* ``asked/<stem>.png``: 255 on the pixels asked, 0 elsewhere (a guide);
* ``index.json``: the round, the classes (a value ``c`` is
  ``classes[c]``) and per image its label file, dataset index, stem, name
  and size - the import maps files to images by this index, never by
  guessing from file names.

Import: the folder (with ``index.json``) after editing: every value of an
asked pixel that is not 255 is an answer; 255 stays unlabelled.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List

import cv2
import numpy as np

from ..answers import AnnotationImportError, RawAnswers
from ..request import IGNORE, AnnotationRequest
from ._common import load_json, write_json

__all__ = ['NAME', 'KINDS', 'export', 'parse']

NAME = 'png'
KINDS = ('mask', )


def _write(path: str, arr: np.ndarray) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, arr):
        raise OSError(f'could not write {path}')
    return path


def export(request: AnnotationRequest,
           out_dir: str,
           predictions: bool = True,
           **unused) -> List[str]:
    """Write the label and asked PNGs and ``index.json`` to ``out_dir``.

    Args:
        request: the round's request (``'mask'`` kind).
        out_dir: the export folder.
        predictions: pre-fill the asked pixels of ``labels/<stem>.png``
            with the model's classes (else 255 everywhere).
        **unused: options of other formats (ignored).

    Returns:
        list[str]: the files written.
    """
    files, images = [], []
    for im in request.images:
        asked = request.asked(im.stem)
        pred = (
            request.predicted_map(im.stem) if predictions else np.full(
                asked.shape, IGNORE, np.uint8))
        files.append(
            _write(
                osp.join(out_dir, 'labels', im.stem + '.png'),
                np.where(asked, pred, IGNORE).astype(np.uint8)))
        files.append(
            _write(
                osp.join(out_dir, 'asked', im.stem + '.png'),
                (asked * 255).astype(np.uint8)))
        images.append(
            dict(
                labels=f'labels/{im.stem}.png',
                asked=f'asked/{im.stem}.png',
                index=im.index,
                stem=im.stem,
                name=im.name,
                width=im.width,
                height=im.height))
    files.append(
        write_json(
            osp.join(out_dir, 'index.json'),
            dict(
                format='mmseg-ada png',
                round=request.round,
                classes=request.classes,
                ignore_index=IGNORE,
                images=images),
            indent=1))
    return files


def parse(path: str, request: AnnotationRequest) -> RawAnswers:
    """Read an edited png export folder.

    Args:
        path: the export folder (with ``index.json``).
        request: the round's request the answers belong to.

    Returns:
        RawAnswers: what the file says, before clipping to the request.

    Raises:
        AnnotationImportError: not such a folder, another round, an image
            that is not in the round, a file of another size or not an
            8-bit single-channel PNG, a value that is not a class.
    """
    k = request.round
    index_path = osp.join(path, 'index.json')
    if not osp.isdir(path) or not osp.isfile(index_path):
        raise AnnotationImportError(
            'not a png export folder (a folder with index.json, made by '
            '`tools/annotate.py export --format png`)', path, k)
    try:
        index = load_json(index_path)
        rnd, entries = int(index['round']), list(index['images'])
    except (ValueError, KeyError, TypeError) as e:
        raise AnnotationImportError(f'malformed index.json ({e!r})',
                                    index_path, k) from None
    if rnd != k:
        raise AnnotationImportError(f'the folder holds round {rnd}', path, k)
    if index.get('classes') != request.classes:
        raise AnnotationImportError(
            'index.json lists other classes than the round '
            f'({index.get("classes")} vs {request.classes})', index_path, k)
    raw = RawAnswers()
    for e in entries:
        if not isinstance(e, dict) or not str(e.get('index', '')).isdigit():
            raise AnnotationImportError(
                f'malformed entry in index.json: {e!r}', index_path, k)
        im = request.by_index(int(e['index']))
        if im is None or im.stem != e.get('stem'):
            raise AnnotationImportError('the image is not in the round',
                                        index_path, k, e.get('name'))
        f = osp.join(path, e['labels'])
        if not osp.isfile(f):
            raise AnnotationImportError('its label file is missing', f, k,
                                        im.name)
        lab = cv2.imread(f, cv2.IMREAD_UNCHANGED)
        if lab is None or lab.ndim != 2 or lab.dtype != np.uint8:
            raise AnnotationImportError(
                'not an 8-bit single-channel PNG of trainIds '
                f'({None if lab is None else (lab.dtype, lab.shape)})', f, k,
                im.name)
        if lab.shape != (im.height, im.width):
            raise AnnotationImportError(
                f'a label map of {lab.shape[1]}x{lab.shape[0]} for an image '
                f'of {im.width}x{im.height}', f, k, im.name)
        raw.masks[im.stem] = lab
    return raw
