"""Listing the image/label pairs of an offline-converted source dataset.

MMSegmentation's ``LoadAnnotations`` casts every label to ``uint8`` and
cannot read GTA5's palette ids nor SYNTHIA's 16-bit R channel, so the
labels of both are converted once, offline, to 19-class Cityscapes trainIds
by ``tools/dataset_converters/{gta5,synthia}.py`` (implemented in
``tools/dataset_converters/_convert.py``).  Each converted label is written
as ``<stem>_labelTrainIds.png`` (single-channel uint8) next to its original
label, the convention of mmseg's Cityscapes converter, and unusable pairs
are listed in ``ROOT/broken_pairs.txt``, one ``<stem>\\t<reason>`` per line
(lines starting with ``#`` are comments).

This module is the runtime side that the datasets use: the folder and file
name conventions shared with the converter, :func:`read_broken_list` and
:func:`list_converted_pairs`, which leaves out the listed broken pairs and
raises a clear error naming the converter command for anything else that is
missing.
"""
from __future__ import annotations

import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

__all__ = [
    'BROKEN_LIST_NAME', 'TRAIN_ID_SUFFIX', 'GTA5_IMG_DIR', 'GTA5_LABEL_DIR',
    'SYNTHIA_IMG_DIR', 'SYNTHIA_LABEL_DIR', 'GTA5_CONVERT_CMD',
    'SYNTHIA_CONVERT_CMD', 'find_stems', 'read_broken_list',
    'list_converted_pairs'
]

#: Broken-pair list written by the converter, relative to the dataset root.
BROKEN_LIST_NAME = 'broken_pairs.txt'
#: Suffix of the converted labels (replaces ``.png`` of the original label).
TRAIN_ID_SUFFIX = '_labelTrainIds.png'
GTA5_IMG_DIR = 'images'
GTA5_LABEL_DIR = 'labels'
SYNTHIA_IMG_DIR = 'RGB'
SYNTHIA_LABEL_DIR = osp.join('GT', 'LABELS')
#: Converter commands suggested by error messages (``{root}`` is filled in).
GTA5_CONVERT_CMD = 'python tools/dataset_converters/gta5.py {root} --nproc 8'
SYNTHIA_CONVERT_CMD = ('python tools/dataset_converters/synthia.py {root} '
                       '--nproc 8')


def find_stems(folder: str, suffix: str,
               exclude: Sequence[str] = ()) -> Dict[str, str]:
    """Find the files of ``folder`` (recursively) that end with ``suffix``.

    Hidden files (temporaries of an atomic write) are skipped.

    Args:
        folder (str): Folder to walk.
        suffix (str): File name suffix, e.g. ``'.png'``.
        exclude (Sequence[str]): Files ending with any of these suffixes
            are skipped (e.g. the converted labels next to the originals).

    Returns:
        dict[str, str]: stem (path relative to ``folder`` without the
        suffix) -> file path.
    """
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if (not name.endswith(suffix) or name.startswith('.')
                    or any(name.endswith(x) for x in exclude)):
                continue
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, folder)
            out[rel[:-len(suffix)]] = path
    return out


def read_broken_list(path: Optional[str]) -> Dict[str, str]:
    """Read a broken-pair list written by the converters.

    Args:
        path (str, optional): ``broken_pairs.txt``; None or a missing file
            means no broken pairs.

    Returns:
        dict[str, str]: stem -> reason.
    """
    out: Dict[str, str] = {}
    if not path or not osp.isfile(path):
        return out
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            stem, _, why = line.partition('\t')
            out[stem.strip()] = why.strip()
    return out


def list_converted_pairs(
        img_dir: str,
        seg_dir: str,
        img_suffix: str,
        seg_map_suffix: str,
        broken_list: Optional[str],
        convert_cmd: str,
        stems: Optional[Sequence[str]] = None,
        dataset_name: str = 'dataset'
) -> Tuple[List[Tuple[str, str]], List[str]]:
    """List (image, converted label) pairs, leaving out listed broken pairs.

    Args:
        img_dir (str): Image folder.
        seg_dir (str): Label folder holding the converted labels.
        img_suffix (str): Image suffix, e.g. ``'.png'``.
        seg_map_suffix (str): Converted label suffix, e.g.
            ``'_labelTrainIds.png'``.
        broken_list (str, optional): Broken-pair list of the converter.
        convert_cmd (str): Command to suggest when labels are missing.
        stems (Sequence[str], optional): Split list (stems relative to
            ``img_dir``); None lists every image in ``img_dir``.
        dataset_name (str): Name used in messages.

    Returns:
        tuple[list[tuple[str, str]], list[str]]: The pairs, sorted by image
        path, and the stems left out because they are listed as broken.

    Raises:
        FileNotFoundError: If a folder, a listed image or a converted label
            is missing (the message names the paths and the converter
            command), or if no pair is left.
    """
    for what, folder in (('image', img_dir), ('label', seg_dir)):
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{dataset_name}: {what} folder {folder!r} not found. '
                f'Check data_root/data_prefix; labels are converted with: '
                f'{convert_cmd}')
    broken = read_broken_list(broken_list)
    if stems is None:
        found = find_stems(img_dir, img_suffix, (seg_map_suffix, ))
        stems = sorted(found)
    pairs: List[Tuple[str, str]] = []
    excluded: List[str] = []
    missing_img: List[str] = []
    missing_seg: List[str] = []
    for stem in stems:
        if stem in broken:
            excluded.append(stem)
            continue
        img = osp.join(img_dir, stem + img_suffix)
        seg = osp.join(seg_dir, stem + seg_map_suffix)
        if not osp.isfile(img):
            missing_img.append(img)
        elif not osp.isfile(seg):
            missing_seg.append(seg)
        else:
            pairs.append((img, seg))
    if missing_img:
        raise FileNotFoundError(
            f'{dataset_name}: {len(missing_img)} image(s) of the split list '
            f'not found, e.g. {missing_img[:3]}')
    if missing_seg:
        raise FileNotFoundError(
            f'{dataset_name}: {len(missing_seg)} converted label(s) not '
            f'found, e.g. {missing_seg[:3]}. Convert the labels with: '
            f'{convert_cmd}')
    if not pairs:
        raise FileNotFoundError(
            f'{dataset_name}: no image/label pairs in {img_dir!r} '
            f'(suffix {img_suffix!r}) and {seg_dir!r} (suffix '
            f'{seg_map_suffix!r})' +
            (f'; {len(excluded)} listed as broken in {broken_list!r}'
             if excluded else ''))
    pairs.sort()
    return pairs, excluded
