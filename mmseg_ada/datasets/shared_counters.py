"""Named integer counters in shared memory, read and written consistently.

:class:`SharedCounters` keeps a few ``int64`` fields in one shared-memory
tensor, created before dataloader workers start, so every process reads
what the training process writes.  A subclass names its fields with
:class:`Counter` attributes.  Writers bracket their changes with
:meth:`SharedCounters.writing` (a version counter, odd while writing);
readers call :meth:`SharedCounters.read`, which retries until it has read
under one even version (a sequence lock: readers never block the writer).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch

__all__ = ['Counter', 'SharedCounters']


class Counter:
    """An ``int64`` field of a :class:`SharedCounters`, read and written
    by attribute (``counters.epoch += 1``).

    Args:
        default: the value a new set of counters starts with.
    """

    def __init__(self, default: int = 0) -> None:
        self.default = int(default)
        self.index = -1
        self.name = ''

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self,
                obj: Optional['SharedCounters'],
                owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        return int(obj.array[self.index])

    def __set__(self, obj: 'SharedCounters', value: int) -> None:
        obj.array[self.index] = int(value)


class SharedCounters:
    """``int64`` counters in one shared-memory tensor (see the module
    docstring); subclasses declare them as :class:`Counter` attributes."""

    #: The version of the seqlock: odd while a writer is inside
    #: :meth:`writing`.
    version = Counter()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        fields = []
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Counter) and attr not in fields:
                    fields.append(attr)
        for index, field in enumerate(fields):
            field.index = index
        cls._fields = tuple(fields)

    def __init__(self) -> None:
        self.tensor = torch.tensor([f.default for f in self._fields],
                                   dtype=torch.int64).share_memory_()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop('_array', None)
        return state

    @property
    def array(self) -> np.ndarray:
        """A numpy view of the shared tensor (made once per process)."""
        array = self.__dict__.get('_array')
        if array is None:
            array = self.__dict__['_array'] = self.tensor.numpy()
        return array

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Bracket a change of the shared state (one writer at a time)."""
        self.version += 1
        try:
            yield
        finally:
            self.version += 1

    def read(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on one consistent version of the shared state.

        Args:
            fn: reads the shared state; called again until no writer
                changed it meanwhile (the version was even and unchanged).

        Returns:
            Any: what ``fn`` returned.
        """
        while True:
            v = self.version
            if v % 2:
                continue
            out = fn()
            if self.version == v:
                return out
