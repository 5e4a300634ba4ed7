"""Label stores: a crash-safe record of what was bought, per backend."""
from .base import (ROUND_KEYS, BaseLabelStore, StoreIntegrityError,
                   cumulative_counts)
from .check import StoreProblem, check_store, summarize_store
from .image_store import ImageLabelStore
from .lock import StoreLock, StoreLockedError
from .mask_store import MaskLabelStore
from .readonly import open_store

__all__ = [
    'BaseLabelStore', 'ImageLabelStore', 'MaskLabelStore', 'ROUND_KEYS',
    'StoreIntegrityError', 'StoreLock', 'StoreLockedError', 'StoreProblem',
    'check_store', 'summarize_store', 'open_store', 'cumulative_counts'
]
