"""Batching of multi-stream items."""
from __future__ import annotations

from typing import Any, Dict, Sequence

from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS

__all__ = ['multi_stream_collate']


@FUNCTIONS.register_module()
def multi_stream_collate(data_batch: Sequence[dict]) -> Dict[str, Any]:
    """Collate :class:`MultiStreamDataset` items (mmengine ``collate_fn``).

    Each stream is collated with mmengine's ``pseudo_collate`` over the items
    that carry it; a stream no item carries is left out (the labelled target
    can become non-empty while a batch is being assembled).

    Args:
        data_batch: items ``dict(<stream>=<sample>, ...)``.

    Returns:
        ``dict(<stream>=<collated batch>, ...)``.
    """
    if not all(isinstance(d, dict) for d in data_batch):
        raise TypeError('multi_stream_collate expects items of a '
                        'MultiStreamDataset: dict(<stream>=<sample>, ...)')
    names = []
    for d in data_batch:
        for k in d:
            if k not in names:
                names.append(k)
    return {
        name: pseudo_collate([d[name] for d in data_batch if name in d])
        for name in names
    }
