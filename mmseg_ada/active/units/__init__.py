"""Kinds of unit a strategy buys: regions, pixels, images."""
from .base import BaseUnits, PoolItem, Purchase
from .image_units import ImageUnits
from .pixel_units import PixelUnits
from .region_units import RegionUnits

__all__ = [
    'BaseUnits', 'PoolItem', 'Purchase', 'ImageUnits', 'PixelUnits',
    'RegionUnits'
]
