"""Split an image list into two halves (SAGE's inductive protocol)."""
from __future__ import annotations

import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmseg_ada.utils.io import atomic_write_bytes
from .image_list import parse_image_list

__all__ = ['split_image_list', 'default_split_paths']


def default_split_paths(ann_file: str, seed: int) -> Tuple[str, str]:
    """The default paths of the two halves, beside the list.

    Args:
        ann_file: the image list.
        seed: the split's seed.

    Returns:
        tuple[str, str]: ``<root>_s<seed>_half1<ext>`` and
        ``..._half2<ext>`` (``ext`` defaults to ``.txt``).
    """
    root, ext = osp.splitext(ann_file)
    return (f'{root}_s{seed}_half1{ext or ".txt"}',
            f'{root}_s{seed}_half2{ext or ".txt"}')


def _read_lines(ann_file: str) -> List[str]:
    with open(ann_file, encoding='utf-8') as f:
        return f.read().splitlines()


def split_image_list(ann_file: str,
                     seed: int = 0,
                     out_a: Optional[str] = None,
                     out_b: Optional[str] = None,
                     stratify: bool = False,
                     force: bool = False) -> Dict[str, object]:
    """Write the lines of ``ann_file`` into two disjoint halves.

    SAGE (Bouvier et al., 2020) splits each target domain "1/2 : 1/2" into a
    training half (the unlabelled pool and the annotation pool) and a test
    half that training never sees.  The split is a seeded random
    permutation (numpy ``default_rng(seed)``); ``half1`` takes the first
    ``ceil(n / 2)`` lines of it (with ``stratify``: ``ceil(n_c / 2)`` of
    every class ``c``, so both halves keep the class shares), ``half2`` the
    rest.  Each half keeps the original lines verbatim and in their
    original order.  The paper does not say how it split; this is one
    reproducible choice.

    Both files are written atomically (temp file + rename).  Existing
    outputs with the same content are left alone; different ones are
    refused unless ``force``.

    Args:
        ann_file: The image list (``<path> <label>`` lines; validated).
        seed: Seed of the permutation.
        out_a: First half (default :func:`default_split_paths`).
        out_b: Second half.
        stratify: Split every class in halves.
        force: Overwrite outputs that differ.

    Returns:
        dict: ``out_a``, ``out_b``, ``num_a``, ``num_b``, ``written``
        (False when both were up to date).

    Raises:
        FileNotFoundError: If ``ann_file`` does not exist.
        ValueError: For a malformed list, an output that is the input, or
            outputs that exist with other content (without ``force``).
    """
    entries = parse_image_list(ann_file)
    lines = _read_lines(ann_file)
    rows = [lines[e.lineno - 1].strip() for e in entries]
    da, db = default_split_paths(ann_file, seed)
    out_a, out_b = out_a or da, out_b or db
    same = {osp.abspath(ann_file)} & {osp.abspath(out_a), osp.abspath(out_b)}
    if same or osp.abspath(out_a) == osp.abspath(out_b):
        raise ValueError(f'split_image_list: outputs {out_a!r}, {out_b!r} '
                         f'must differ from each other and from {ann_file!r}')
    rng = np.random.default_rng(int(seed))
    n = len(rows)
    if stratify:
        labels = np.asarray([e.label for e in entries])
        first = []
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            perm = members[rng.permutation(members.size)]
            first.extend(perm[:(members.size + 1) // 2].tolist())
        in_a = np.zeros(n, bool)
        in_a[first] = True
    else:
        perm = rng.permutation(n)
        in_a = np.zeros(n, bool)
        in_a[perm[:(n + 1) // 2]] = True
    text_a = ''.join(r + '\n' for r, a in zip(rows, in_a) if a)
    text_b = ''.join(r + '\n' for r, a in zip(rows, in_a) if not a)
    up_to_date = True
    for path, text in ((out_a, text_a), (out_b, text_b)):
        if osp.exists(path):
            with open(path, encoding='utf-8') as f:
                old = f.read()
            if old == text:
                continue
            if not force:
                raise ValueError(
                    f'split_image_list: {path} exists with other content '
                    '(another seed or list?); remove it or use force=True')
        up_to_date = False
    if not up_to_date:
        for path, text in ((out_a, text_a), (out_b, text_b)):
            atomic_write_bytes(path, text.encode('utf-8'))
    return dict(
        out_a=out_a,
        out_b=out_b,
        num_a=int(in_a.sum()),
        num_b=int(n - in_a.sum()),
        written=not up_to_date)
