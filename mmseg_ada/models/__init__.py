"""Models: decode heads with features, segmentors, data preprocessors."""
from . import data_preprocessors, decode_heads, segmentors  # noqa: F401

__all__ = []
