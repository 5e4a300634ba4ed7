"""Where a round's annotation request, exports and answers live on disk.

Layout under ``<work_dir>/active/annotate/round_<k>/``::

    request/                 what round k asks a person to label (written
                             by the run before the round's commit)
        request.json         the images, their units and the classes
        units/<stem>.png     16-bit unit ids (0 = not asked) (masks)
        pred/<stem>.png      the model's class per asked pixel (255 else)
    labelstudio/ cvat/ png/ list/
                             the exports (``tools/annotate.py export``)
    answers/                 the inbox: imported labels, one immutable
        v<n>/                version per import (``answers.json`` +
        current.json         ``labels/<stem>.png`` or ``labels.json``);
                             ``current.json`` names the newest version

An import only ever adds a version and swaps ``current.json``; the run that
owns the store *pins* one version in its ``state.json`` before it trains on
the round (:meth:`~mmseg_ada.active.stores.BaseLabelStore.pin_answers`), so
an import can neither corrupt the store nor change a round already trained
on.
"""
from __future__ import annotations

import os.path as osp
from typing import Optional

from mmseg_ada.utils.io import read_json

__all__ = [
    'annotate_dir', 'round_dir', 'request_dir', 'answers_dir', 'version_dir',
    'current_version'
]


def annotate_dir(work_dir: str) -> str:
    """``<work_dir>/active/annotate``.

    Args:
        work_dir: the run directory.

    Returns:
        str: the path.
    """
    return osp.join(work_dir, 'active', 'annotate')


def round_dir(work_dir: str, k: int) -> str:
    """``<work_dir>/active/annotate/round_<k>``.

    Args:
        work_dir: the run directory.
        k: 1-based round.

    Returns:
        str: the path.
    """
    return osp.join(annotate_dir(work_dir), f'round_{int(k)}')


def request_dir(work_dir: str, k: int) -> str:
    """The request of round ``k``: ``round_<k>/request``.

    Args:
        work_dir: the run directory.
        k: 1-based round.

    Returns:
        str: the path.
    """
    return osp.join(round_dir(work_dir, k), 'request')


def answers_dir(work_dir: str, k: int) -> str:
    """The inbox of round ``k``'s imported answers: ``round_<k>/answers``.

    Args:
        work_dir: the run directory.
        k: 1-based round.

    Returns:
        str: the path.
    """
    return osp.join(round_dir(work_dir, k), 'answers')


def version_dir(work_dir: str, k: int, version: int) -> str:
    """Imported answers version ``version`` of round ``k``.

    Args:
        work_dir: the run directory.
        k: 1-based round.
        version: the import's version number.

    Returns:
        str: ``round_<k>/answers/v<version>``.
    """
    return osp.join(answers_dir(work_dir, k), f'v{int(version)}')


def current_version(work_dir: str, k: int) -> Optional[int]:
    """The newest imported version of round ``k`` (``current.json``).

    Args:
        work_dir: the run directory.
        k: 1-based round.

    Returns:
        int | None: the version; ``None`` if nothing was imported yet.
    """
    path = osp.join(answers_dir(work_dir, k), 'current.json')
    if not osp.isfile(path):
        return None
    return int(read_json(path)['version'])
