"""Pieces the formats share."""
from __future__ import annotations

import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..answers import AnnotationImportError
from ..request import IGNORE, AnnotationRequest, RequestedImage

__all__ = [
    'unit_groups', 'write_text', 'write_json', 'load_json', 'refuse_folder',
    'class_index', 'blank', 'ASKED'
]

#: the name of the "asked pixels" layer (never a class)
ASKED = 'mmseg-ada:asked'


def unit_groups(
        request: AnnotationRequest, im: RequestedImage,
        predictions: bool) -> List[Tuple[str, Optional[int], np.ndarray]]:
    """What to pre-fill for one image: ``(id, class, bool mask)`` each.

    One group per bought region (id ``'u<region id>'``) with the region's
    predicted class, or ``None`` without predictions; for pixel units one
    group per predicted class (id ``'c<class>'``), or one group of all
    asked pixels (id ``'asked'``, class ``None``) without predictions.
    """
    units = request.unit_map(im.stem)
    suggest = predictions and request.predictions
    pred = request.predicted_map(im.stem) if suggest else None
    if im.units:  # regions
        out = []
        for j, rid in enumerate(im.units, start=1):
            m = units == j
            if m.any():
                out.append(
                    (f'u{rid}', None if pred is None else int(pred[m][0]), m))
        return out
    if pred is None:
        return [('asked', None, units > 0)]
    return [(f'c{int(c)}', int(c), (units > 0) & (pred == c))
            for c in np.unique(pred[units > 0])]


def write_text(path: str, text: str) -> str:
    """Write ``text`` to ``path`` (folders made); return ``path``."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def write_json(path: str, obj: Any, indent: Optional[int] = None) -> str:
    """Write ``obj`` as JSON to ``path``; return ``path``."""
    return write_text(path, json.dumps(obj, indent=indent) + '\n')


def load_json(path: str) -> Any:
    """The JSON document in the UTF-8 file ``path``."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def refuse_folder(path: str, k: int, reads: str) -> None:
    """Raise :class:`AnnotationImportError` if ``path`` is a folder.

    Args:
        path: what the user gave to import.
        k: the round.
        reads: what the format reads instead (the end of the message).
    """
    if osp.isdir(path):
        raise AnnotationImportError(f'is a folder; {reads}', path, k)


def class_index(request: AnnotationRequest) -> Dict[str, int]:
    """``{class name: index}``."""
    return {c: i for i, c in enumerate(request.classes)}


def blank(im: RequestedImage) -> np.ndarray:
    """An all-unlabelled ``uint8`` map of ``im``'s size."""
    return np.full((im.height, im.width), IGNORE, np.uint8)
