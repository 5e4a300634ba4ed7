"""Models: decode heads with features, segmentors, classifiers, heads,
regularisers, losses and data preprocessors."""
from . import (classifiers, data_preprocessors, decode_heads,  # noqa: F401
               discriminators, heads, losses, regularizers, segmentors)

__all__ = []
