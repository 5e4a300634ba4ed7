"""Open a run's label store for reading, whatever its kind."""
from __future__ import annotations

import os.path as osp

from mmseg_ada.utils.io import read_json
from .base import BaseLabelStore
from .image_store import ImageLabelStore
from .mask_store import MaskLabelStore

__all__ = ['open_store']


def open_store(work_dir: str) -> BaseLabelStore:
    """The label store of ``work_dir``, read-only (no lock is taken).

    Args:
        work_dir: the run directory.

    Returns:
        BaseLabelStore: a :class:`MaskLabelStore` or an
        :class:`ImageLabelStore`, as ``active/meta.json`` says.

    Raises:
        FileNotFoundError: naming the folder when there is no store.
    """
    if not BaseLabelStore.exists(work_dir):
        raise FileNotFoundError(
            f'{work_dir} holds no label store (no active/meta.json): is it '
            'the --work-dir of an active run?')
    meta = read_json(osp.join(work_dir, 'active', 'meta.json'))
    cls = MaskLabelStore if meta.get('store') == 'mask' else ImageLabelStore
    return cls(work_dir, readonly=True)
