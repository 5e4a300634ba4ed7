"""Models: decode heads with features, segmentors, data preprocessors."""
from . import (data_preprocessors, decode_heads, discriminators,  # noqa: F401
               losses, segmentors, utils)

__all__ = []
