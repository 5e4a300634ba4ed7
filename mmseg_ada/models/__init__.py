"""Models: decode heads with features, segmentors, classifiers, heads,
regularisers and data preprocessors."""
from . import (classifiers, data_preprocessors, decode_heads,  # noqa: F401
               discriminators, heads, regularizers, segmentors)

__all__ = []
