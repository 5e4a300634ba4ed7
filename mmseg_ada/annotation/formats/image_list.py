"""A plain image list, for people with tools of their own (classification).

Export (``<out_dir>/``): ``labels.txt`` with one ``<name> <label>`` line per
image of the round (the image path relative to the request's image root,
then the model's class index, or -1 without a prediction: edit the labels;
-1 means unanswered), ``classes.txt`` (class ``c`` on line ``c + 1``) and
``index.json`` (name -> dataset index, for the import).

Import: the edited ``labels.txt`` (or the folder holding it).
"""
from __future__ import annotations

import os.path as osp
from typing import List

from ..answers import AnnotationImportError, RawAnswers
from ..request import AnnotationRequest
from ._common import write_json, write_text

__all__ = ['NAME', 'KINDS', 'export', 'parse']

NAME = 'list'
KINDS = ('image', )


def export(request: AnnotationRequest,
           out_dir: str,
           predictions: bool = True,
           **unused) -> List[str]:
    """Write ``labels.txt``, ``classes.txt`` and ``index.json``.

    Args:
        request: the round's request (``'image'`` kind).
        out_dir: the export folder.
        predictions: pre-fill each line with the model's class (else, or
            without a prediction, ``-1``: unanswered).
        **unused: options of other formats (ignored).

    Returns:
        list[str]: the files written.
    """
    lines = []
    for im in request.images:
        label = im.predicted if predictions and im.predicted is not None \
            else -1
        lines.append(f'{im.name} {label}\n')
    return [
        write_text(osp.join(out_dir, 'labels.txt'), ''.join(lines)),
        write_text(
            osp.join(out_dir, 'classes.txt'),
            ''.join(c + '\n' for c in request.classes)),
        write_json(
            osp.join(out_dir, 'index.json'),
            dict(
                round=request.round,
                images={im.name: im.index
                        for im in request.images}),
            indent=1)
    ]


def parse(path: str, request: AnnotationRequest) -> RawAnswers:
    """Read an edited ``labels.txt``.

    Args:
        path: ``labels.txt``, or the folder holding it.
        request: the round's request the answers belong to.

    Returns:
        RawAnswers: what the file says, before clipping to the request.

    Raises:
        AnnotationImportError: a malformed line, an image that is not in
            the round (or twice), a label that is not a class.
    """
    k = request.round
    if osp.isdir(path):
        path = osp.join(path, 'labels.txt')
    try:
        with open(path, encoding='utf-8-sig') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise AnnotationImportError(f'cannot be read as a text list ({e})',
                                    path, k) from None
    raw = RawAnswers()
    C = len(request.classes)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.rstrip().rsplit(None, 1)
        where = f'{path}:{n}'
        if len(parts) != 2:
            raise AnnotationImportError(
                f"line {line!r} is not '<name> <label>'", where, k)
        name, label = parts[0].strip(), parts[1]
        im = request.by_name(name)
        if im is None:
            raise AnnotationImportError('the image is not in the round', where,
                                        k, name)
        if im.index in raw.images:
            raise AnnotationImportError('the image is listed twice', where, k,
                                        name)
        try:
            value = int(label)
        except ValueError:
            raise AnnotationImportError(
                f'label {label!r} is not an integer (a class index, or -1 '
                'for unanswered)', where, k, name) from None
        if value < -1 or value >= C:
            raise AnnotationImportError(
                f'label {value} is not a class of the dataset (0..{C - 1}, '
                '-1 = unanswered)', where, k, name)
        raw.images[im.index] = None if value == -1 else value
    return raw
