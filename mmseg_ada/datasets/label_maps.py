"""Label-id conversions from GTA5 / SYNTHIA to the 19 Cityscapes trainIds.

Constants and pure functions only (no registry, no file I/O).

**GTA5** labels are palette PNGs whose pixel values (palette indices) are
Cityscapes *label ids* 0..33 (the ``id`` column of cityscapesScripts'
``labels.py``); 255 is tolerated and stays ignored.
:data:`CITYSCAPES_ID_TO_TRAINID` maps them to the 19 trainIds.

**SYNTHIA RAND-CITYSCAPES** labels (``GT/LABELS/*.png``) are 16-bit
3-channel PNGs; the class id is in the R channel (the G channel holds
instance ids).  Read with ``cv2.IMREAD_UNCHANGED`` (BGR order) the class id
is ``label[..., 2]`` (== ``label[..., -1]``).  Class ids, from the dataset's
README::

    0 void        6 vegetation     12 motorcycle     18 truck
    1 sky         7 pole           13 parking-slot   19 bus
    2 building    8 car            14 road-work      20 train
    3 road        9 traffic sign   15 traffic light  21 wall
    4 sidewalk   10 pedestrian     16 terrain        22 lanemarking
    5 fence      11 bicycle        17 rider

:data:`SYNTHIA_ID_TO_TRAINID` maps the 16 classes of the standard
SYNTHIA->Cityscapes protocol to their Cityscapes trainIds.  Decisions:

* terrain (16), truck (18) and train (20) are **255**: the 16-class protocol
  does not train or evaluate them (they are practically absent from SYNTHIA).
* parking-slot (13), road-work (14) and void (0) are 255.
* lanemarking (22) is **255 by default**.  This is what the converters of the
  widely used DA code bases (AdaptSegNet/ADVENT/FDA/DAFormer family) do, so
  numbers stay comparable.  Cityscapes itself labels lane markings as road,
  so :func:`synthia_to_train_ids` offers ``lanemarking_as_road=True`` (and
  the converter ``--lanemarking-as-road``) to map it to road (trainId 0).

:data:`SYNTHIA_16_CLASSES` / :data:`SYNTHIA_13_CLASSES` list the trainIds
over which SYNTHIA->Cityscapes results are averaged (mIoU and mIoU*; the
13-class subset drops wall, fence and pole, as in AdaptSegNet and ADeADA).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

__all__ = [
    'IGNORE_INDEX', 'NUM_CITYSCAPES_CLASSES', 'CITYSCAPES_ID_TO_TRAINID',
    'SYNTHIA_ID_TO_TRAINID', 'SYNTHIA_LANEMARKING_ID', 'SYNTHIA_16_CLASSES',
    'SYNTHIA_13_CLASSES', 'gta5_to_train_ids', 'synthia_to_train_ids'
]

IGNORE_INDEX = 255
NUM_CITYSCAPES_CLASSES = 19
GTA5_MAX_LABEL_ID = 33
SYNTHIA_MAX_LABEL_ID = 22
SYNTHIA_LANEMARKING_ID = 22

# Cityscapes label id -> trainId (cityscapesScripts labels.py, 19 classes).
_CITYSCAPES_PAIRS = {
    7: 0,  # road
    8: 1,  # sidewalk
    11: 2,  # building
    12: 3,  # wall
    13: 4,  # fence
    17: 5,  # pole
    19: 6,  # traffic light
    20: 7,  # traffic sign
    21: 8,  # vegetation
    22: 9,  # terrain
    23: 10,  # sky
    24: 11,  # person
    25: 12,  # rider
    26: 13,  # car
    27: 14,  # truck
    28: 15,  # bus
    31: 16,  # train
    32: 17,  # motorcycle
    33: 18,  # bicycle
}

# SYNTHIA RAND-CITYSCAPES class id -> Cityscapes trainId (16 classes).
_SYNTHIA_PAIRS = {
    1: 10,  # sky
    2: 2,  # building
    3: 0,  # road
    4: 1,  # sidewalk
    5: 4,  # fence
    6: 8,  # vegetation
    7: 5,  # pole
    8: 13,  # car
    9: 7,  # traffic sign
    10: 11,  # pedestrian -> person
    11: 18,  # bicycle
    12: 17,  # motorcycle
    15: 6,  # traffic light
    17: 12,  # rider
    19: 15,  # bus
    21: 3,  # wall
}


def _make_lut(pairs: dict) -> np.ndarray:
    lut = np.full(256, IGNORE_INDEX, dtype=np.uint8)
    for src, dst in pairs.items():
        lut[src] = dst
    lut.setflags(write=False)
    return lut


#: 256-entry uint8 LUT: Cityscapes/GTA5 label id -> trainId (255 = ignore).
CITYSCAPES_ID_TO_TRAINID: np.ndarray = _make_lut(_CITYSCAPES_PAIRS)
#: 256-entry uint8 LUT: SYNTHIA class id -> trainId (lanemarking -> 255).
SYNTHIA_ID_TO_TRAINID: np.ndarray = _make_lut(_SYNTHIA_PAIRS)

#: trainIds of the 16 SYNTHIA->Cityscapes classes (no terrain, truck, train).
SYNTHIA_16_CLASSES: Tuple[int, ...] = tuple(sorted(_SYNTHIA_PAIRS.values()))
#: The 13-class subset (mIoU*): the 16 minus wall (3), fence (4), pole (5).
SYNTHIA_13_CLASSES: Tuple[int, ...] = tuple(
    c for c in SYNTHIA_16_CLASSES if c not in (3, 4, 5))


def _where(path: Optional[str]) -> str:
    return f'label file {path!r}' if path is not None else 'label array'


def _check_range(ids: np.ndarray, max_id: int, allowed_extra: Tuple[int, ...],
                 path: Optional[str], what: str) -> None:
    """Raise if ``ids`` holds a value > ``max_id`` not in ``allowed_extra``."""
    bad = ids > max_id
    for extra in allowed_extra:
        bad &= ids != extra
    if bad.any():
        values = np.unique(ids[bad])
        shown = ', '.join(str(int(v)) for v in values[:10])
        raise ValueError(
            f'{_where(path)}: {what} id(s) {shown} outside the label map '
            f'(expected 0..{max_id}' +
            (f' or {allowed_extra}' if allowed_extra else '') + ')')


def gta5_to_train_ids(label: np.ndarray,
                      path: Optional[str] = None) -> np.ndarray:
    """Convert a GTA5 label (Cityscapes label ids) to 19-class trainIds.

    Args:
        label (np.ndarray): HxW integer array of palette indices, i.e. the
            Cityscapes label ids 0..33 (255 is accepted as ignore).  Read the
            PNG with PIL (``np.asarray(Image.open(p))``), not with cv2, which
            would expand the palette to colours.
        path (str, optional): Source file, used in error messages.

    Returns:
        np.ndarray: HxW uint8 trainIds (0..18, 255 = ignore).

    Raises:
        ValueError: If ``label`` is not a 2-D integer array or holds an id
            that is neither 0..33 nor 255.
    """
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(
            f'{_where(path)}: expected a single-channel palette PNG of '
            f'Cityscapes label ids (HxW), got an array of shape '
            f'{label.shape} (an RGB colour label cannot be converted)')
    if not np.issubdtype(label.dtype, np.integer):
        raise ValueError(f'{_where(path)}: expected integer label ids, got '
                         f'dtype {label.dtype}')
    if label.size and int(label.min()) < 0:
        raise ValueError(f'{_where(path)}: negative label id '
                         f'{int(label.min())}')
    _check_range(label, GTA5_MAX_LABEL_ID, (IGNORE_INDEX, ), path,
                 'GTA5 (Cityscapes) label')
    return CITYSCAPES_ID_TO_TRAINID[label.astype(np.intp)]


def synthia_to_train_ids(label: np.ndarray,
                         path: Optional[str] = None,
                         lanemarking_as_road: bool = False) -> np.ndarray:
    """Convert a SYNTHIA RAND-CITYSCAPES label to 19-class trainIds.

    Args:
        label (np.ndarray): The label as ``cv2.imread(p,
            cv2.IMREAD_UNCHANGED)`` returns it: HxWx3 ``uint16`` in BGR order
            (class id in R, i.e. ``[..., 2]``), or an HxW ``uint16`` array of
            class ids already taken from the R channel.
        path (str, optional): Source file, used in error messages.
        lanemarking_as_road (bool): Map lanemarking (22) to road (trainId 0)
            instead of 255. Defaults to False (see module docstring).

    Returns:
        np.ndarray: HxW uint8 trainIds (16 classes used, 255 = ignore).

    Raises:
        ValueError: If the array is 8-bit (e.g. the colour PNG or a re-saved
            label), has the wrong shape, or holds a class id > 22.
    """
    label = np.asarray(label)
    if label.dtype != np.uint16:
        raise ValueError(
            f'{_where(path)}: expected a 16-bit 3-channel PNG (class id in '
            f'the R channel), got {label.dtype} with shape {label.shape}; '
            'use the files from SYNTHIA RAND-CITYSCAPES GT/LABELS, not '
            'GT/COLOR or a re-saved 8-bit copy')
    if label.ndim == 3 and label.shape[2] == 3:
        ids = label[..., 2]
    elif label.ndim == 2:
        ids = label
    else:
        raise ValueError(
            f'{_where(path)}: expected a 16-bit 3-channel PNG (class id in '
            f'the R channel), got shape {label.shape}')
    _check_range(ids, SYNTHIA_MAX_LABEL_ID, (), path, 'SYNTHIA class')
    lut = SYNTHIA_ID_TO_TRAINID
    if lanemarking_as_road:
        lut = lut.copy()
        lut[SYNTHIA_LANEMARKING_ID] = _SYNTHIA_PAIRS[3]
    return lut[ids.astype(np.intp)]
