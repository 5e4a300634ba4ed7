"""The formats a round is exported in and imported from.

Each format module has ``NAME``, ``KINDS`` (the kinds of request it
serves), ``export(request, out_dir, **options) -> list of files`` and
``parse(path, request) -> RawAnswers``.
"""
from types import ModuleType
from typing import Dict

from . import cvat, image_list, labelstudio, png

__all__ = ['FORMATS', 'get_format']

#: name -> format module
FORMATS: Dict[str, ModuleType] = {
    m.NAME: m
    for m in (labelstudio, cvat, png, image_list)
}


def get_format(name: str, kind: str) -> ModuleType:
    """The format module ``name`` for a request of ``kind``.

    Args:
        name: a key of :data:`FORMATS` (``'labelstudio'``, ``'cvat'``,
            ``'png'``, ``'list'``).
        kind: ``'mask'`` or ``'image'``.

    Returns:
        ModuleType: the format module.

    Raises:
        ValueError: naming the formats that serve ``kind``.
    """
    serve = [n for n, m in FORMATS.items() if kind in m.KINDS]
    if name not in FORMATS:
        raise ValueError(f'unknown format {name!r} (known: {serve})')
    if kind not in FORMATS[name].KINDS:
        what = 'pixels' if kind == 'mask' else 'whole images'
        raise ValueError(f'format {name!r} cannot carry labels of {what}; '
                         f'use one of {serve}')
    return FORMATS[name]
