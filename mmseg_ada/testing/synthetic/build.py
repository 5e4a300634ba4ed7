"""The build cache: a complete dataset is built once per parameters.

:func:`make_synthetic_da` renders every image (:mod:`.render`), writes it in
its dataset's layout (:mod:`.formats`) into a temporary directory renamed
into place when complete, and marks it with ``synthetic_meta.json``; a root
that already holds a complete dataset of the same parameters is kept.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Sequence, Tuple

import numpy as np

from .classes import SYNTHETIC_CLASSES
from .formats import (SOURCE_FORMATS, colourise, source_dirs, write_preview,
                      write_source, write_target)
from .render import render_scene

__all__ = ['GENERATOR_VERSION', 'META_FILE', 'make_synthetic_da']

#: Bumped whenever the pictures change, so stale datasets get rebuilt.
GENERATOR_VERSION = 2
META_FILE = 'synthetic_meta.json'

_DOMAIN_CODE = {'source': 0, 'target': 1}
_SPLIT_CODE = {'train': 0, 'val': 1}


def _rng(seed: int, domain: str, split: str,
         index: int) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence(
            [seed, _DOMAIN_CODE[domain], _SPLIT_CODE[split], index]))


def _params(num_source: int, num_target_train: int, num_target_val: int,
            size: Tuple[int, int], seed: int, source_format: str) -> dict:
    return dict(
        version=GENERATOR_VERSION,
        num_source=num_source,
        num_target_train=num_target_train,
        num_target_val=num_target_val,
        size=[int(size[0]), int(size[1])],
        seed=seed,
        source_format=source_format)


def _count(path: str, suffix: str) -> int:
    n = 0
    for _, _, files in os.walk(path):
        n += sum(1 for f in files if f.endswith(suffix))
    return n


def _state(root: str, params: dict) -> str:
    """'missing', 'empty', 'complete', 'stale' (ours) or 'foreign'."""
    if not osp.exists(root):
        return 'missing'
    if not osp.isdir(root):
        return 'foreign'
    if not os.listdir(root):
        return 'empty'
    meta_path = osp.join(root, META_FILE)
    if not osp.isfile(meta_path):
        return 'foreign'
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return 'stale'
    if not isinstance(meta, dict) or meta.get('params') != params:
        return 'stale'
    img_dir, ann_dir = source_dirs(root, params['source_format'])
    city = osp.join(root, 'cityscapes')
    counts = ((_count(img_dir, '.png'), params['num_source']), (_count(
        osp.join(city, 'leftImg8bit', 'train'),
        '_leftImg8bit.png'), params['num_target_train']), (_count(
            osp.join(city, 'leftImg8bit', 'val'),
            '_leftImg8bit.png'), params['num_target_val']),
              (_count(osp.join(city, 'gtFine'), '_gtFine_labelTrainIds.png'),
               params['num_target_train'] + params['num_target_val']))
    if any(found != expected for found, expected in counts):
        return 'stale'
    return 'complete'


def _check_args(num_source: int, num_target_train: int, num_target_val: int,
                size: Sequence[int], seed: int, source_format: str) -> None:
    for name, value in (('num_source', num_source), ('num_target_train',
                                                     num_target_train),
                        ('num_target_val', num_target_val)):
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                or value < 1):
            raise ValueError(f'{name} must be an integer >= 1, got {value!r}')
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(s, (int, np.integer)) for s in size)
            or size[0] < 32 or size[1] < 32):
        raise ValueError('size must be (height, width) with integers >= 32, '
                         f'got {size!r}')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or seed < 0:
        raise ValueError(f'seed must be an integer >= 0, got {seed!r}')
    if source_format not in SOURCE_FORMATS:
        raise ValueError(f'source_format must be one of {SOURCE_FORMATS}, '
                         f'got {source_format!r}')


def _info(root: str, params: dict, created: bool) -> dict:
    img_dir, ann_dir = source_dirs(root, params['source_format'])
    return dict(
        root=root,
        created=created,
        source_format=params['source_format'],
        source_root=osp.join(root, params['source_format']),
        source_img_dir=img_dir,
        source_ann_dir=ann_dir,
        target_root=osp.join(root, 'cityscapes'),
        num_source=params['num_source'],
        num_target_train=params['num_target_train'],
        num_target_val=params['num_target_val'],
        size=tuple(params['size']),
        seed=params['seed'],
        preview=osp.join(root, 'preview.png'),
        meta=osp.join(root, META_FILE),
        classes=[name for name, _ in SYNTHETIC_CLASSES])


def _build(tmp: str, params: dict, show_progress: bool) -> None:
    fmt = params['source_format']
    shape = tuple(params['size'])
    seed = params['seed']
    for d in source_dirs(tmp, fmt):
        os.makedirs(d, exist_ok=True)
    jobs = [('source', 'train', i) for i in range(params['num_source'])]
    jobs += [('target', 'train', i) for i in range(params['num_target_train'])]
    jobs += [('target', 'val', i) for i in range(params['num_target_val'])]
    bar = None
    if show_progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(jobs))
    preview = {'source': [], 'target': []}
    n_preview = 4
    for domain, split, index in jobs:
        image, label, inst = render_scene(shape, domain,
                                          _rng(seed, domain, split, index))
        if domain == 'source':
            write_source(tmp, fmt, index, image, label, inst)
        else:
            write_target(tmp, split, index, image, label)
        if split == 'train' and len(preview[domain]) < n_preview:
            preview[domain].append((image, colourise(label)))
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    target_name = 'cityscapes'
    write_preview(
        osp.join(tmp, 'preview.png'),
        [(f'source\n({fmt})', [p[0] for p in preview['source']]),
         ('source\nlabels', [p[1] for p in preview['source']]),
         (f'target\n({target_name})', [p[0] for p in preview['target']]),
         ('target\nlabels', [p[1] for p in preview['target']])], shape)
    img_dir, ann_dir = source_dirs(tmp, fmt)
    meta = dict(
        params=params,
        classes={
            name: cid
            for name, cid in SYNTHETIC_CLASSES
        },
        layout=dict(
            source_img_dir=osp.relpath(img_dir, tmp),
            source_ann_dir=osp.relpath(ann_dir, tmp),
            target_root='cityscapes'))
    meta_tmp = osp.join(tmp, META_FILE + '.tmp')
    with open(meta_tmp, 'w') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
    os.replace(meta_tmp, osp.join(tmp, META_FILE))


def make_synthetic_da(root: str,
                      num_source: int = 60,
                      num_target_train: int = 40,
                      num_target_val: int = 80,
                      size: Tuple[int, int] = (128, 256),
                      seed: int = 0,
                      source_format: str = 'gta5',
                      overwrite: bool = False,
                      show_progress: bool = False) -> dict:
    """Write a synthetic source/target pair in the real on-disk formats.

    The dataset is built in a hidden temporary directory next to ``root``
    and renamed into place when complete; ``root/synthetic_meta.json`` marks
    a complete dataset.  If ``root`` already holds a complete dataset made
    with the same parameters nothing is written (unless ``overwrite``); a
    dataset of ours with other parameters is rebuilt.  A non-empty ``root``
    without ``synthetic_meta.json`` is never deleted.

    Args:
        root (str): Output directory (created; its parent must be writable).
        num_source (int): Number of source images. Defaults to 60.
        num_target_train (int): Number of target training images (the
            unlabelled pool of active DA). Defaults to 40.
        num_target_val (int): Number of target validation images (enough
            for a stable mIoU). Defaults to 80.
        size (tuple[int, int]): ``(height, width)`` of all images.
            Defaults to (128, 256).
        seed (int): Random seed; equal parameters give identical bytes.
            Defaults to 0.
        source_format (str): ``'gta5'`` or ``'synthia'``. Defaults to
            ``'gta5'``.
        overwrite (bool): Rebuild even if a complete dataset with the same
            parameters exists. Defaults to False.
        show_progress (bool): Show a progress bar. Defaults to False.

    Returns:
        dict: ``root``, ``created`` (False when an existing dataset was
        kept), ``source_format``, ``source_root``, ``source_img_dir``,
        ``source_ann_dir``, ``target_root`` (the Cityscapes root),
        ``num_source``, ``num_target_train``, ``num_target_val``, ``size``,
        ``seed``, ``preview``, ``meta`` (paths) and ``classes`` (names of
        the classes drawn).

    Raises:
        ValueError: If an argument is out of range.
        FileExistsError: If ``root`` exists and is not a dataset written by
            this function (no ``synthetic_meta.json``) and is not empty.
    """
    _check_args(num_source, num_target_train, num_target_val, size, seed,
                source_format)
    params = _params(
        int(num_source), int(num_target_train), int(num_target_val),
        (int(size[0]), int(size[1])), int(seed), source_format)
    root = osp.abspath(root)
    state = _state(root, params)
    if state == 'foreign':
        raise FileExistsError(
            f'{root!r} exists and is not a synthetic dataset (no {META_FILE} '
            'inside); refusing to overwrite it. Choose another root or '
            'remove it yourself.')
    if state == 'complete' and not overwrite:
        return _info(root, params, created=False)

    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=parent)
    old = tmp + '.old'
    try:
        _build(tmp, params, show_progress)
        if osp.exists(root):
            os.rename(root, old)
        try:
            os.rename(tmp, root)
        except OSError:
            # another process finished the same dataset in the meantime
            if _state(root, params) != 'complete':
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return _info(root, params, created=True)
