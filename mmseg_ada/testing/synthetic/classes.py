"""What the synthetic scenes draw: classes, label ids and palettes."""
from __future__ import annotations

from typing import Dict, Tuple

__all__ = [
    'SYNTHETIC_CLASSES', 'CITYSCAPES_ID_PALETTE',
    'SYNTHIA_ID_OF_CITYSCAPES_ID', 'ROAD', 'SIDEWALK', 'BUILDING', 'POLE',
    'LIGHT', 'SIGN', 'VEG', 'SKY', 'PERSON', 'CAR', 'EGO'
]

# yapf: disable  (tables)
#: The classes drawn, as (name, Cityscapes label id).
SYNTHETIC_CLASSES: Tuple[Tuple[str, int], ...] = (
    ('road', 7), ('sidewalk', 8), ('building', 11), ('pole', 17),
    ('traffic light', 19), ('traffic sign', 20), ('vegetation', 21),
    ('sky', 23), ('person', 24), ('car', 26))
#: The Cityscapes label ids of the classes drawn, one name each.
ROAD, SIDEWALK, BUILDING, POLE, LIGHT, SIGN, VEG, SKY, PERSON, \
    CAR = (cid for _, cid in SYNTHETIC_CLASSES)
#: 'ego vehicle' (trainId 255), target only.
EGO = 1

#: Cityscapes label id -> RGB colour (the GTA5 / Cityscapes label palette).
CITYSCAPES_ID_PALETTE: Tuple[Tuple[int, int, int], ...] = (
    (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (111, 74, 0),
    (81, 0, 81), (128, 64, 128), (244, 35, 232), (250, 170, 160),
    (230, 150, 140), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (180, 165, 180), (150, 100, 100), (150, 120, 90), (153, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35),
    (152, 251, 152), (70, 130, 180), (220, 20, 60), (255, 0, 0),
    (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 0, 90), (0, 0, 110),
    (0, 80, 100), (0, 0, 230), (119, 11, 32))

#: Cityscapes label id -> SYNTHIA RAND-CITYSCAPES class id, for the classes
#: drawn here (ego vehicle -> 0 void).
SYNTHIA_ID_OF_CITYSCAPES_ID: Dict[int, int] = {
    EGO: 0, ROAD: 3, SIDEWALK: 4, BUILDING: 2, POLE: 7, LIGHT: 15,
    SIGN: 9, VEG: 6, SKY: 1, PERSON: 10, CAR: 8}
# yapf: enable
