"""Models: decode heads with features, segmentors, classifiers, heads,
regularisers, losses and data preprocessors."""
from . import (classifiers, data_preprocessors, decode_heads, discriminators,
               heads, losses, regularizers, segmentors, utils)

# the subpackages register their modules on import
__all__ = [
    'classifiers', 'data_preprocessors', 'decode_heads', 'discriminators',
    'heads', 'losses', 'regularizers', 'segmentors', 'utils'
]
