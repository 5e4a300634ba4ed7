"""``repr`` of objects from the attributes their constructor sets."""
from __future__ import annotations

from typing import Any

__all__ = ['attrs_repr']


def attrs_repr(obj: Any, *names: str) -> str:
    """``Type(name=value, ...)`` with the ``repr`` of each attribute.

    Args:
        obj: the object.
        *names: its attributes to show, in order.

    Returns:
        str: e.g. ``'RandAugment(num_ops=2, magnitude=9.0)'``.
    """
    args = ', '.join(f'{n}={getattr(obj, n)!r}' for n in names)
    return f'{type(obj).__name__}({args})'
