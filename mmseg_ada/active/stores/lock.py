"""An exclusive, process-lifetime lock on a label store (one writer)."""
from __future__ import annotations

import datetime
import fcntl
import json
import os
import os.path as osp
import socket
from typing import Optional

__all__ = ['StoreLock', 'StoreLockedError']


class StoreLockedError(RuntimeError):
    """Another process holds the store's write lock."""


class StoreLock:
    """An OS file lock (``flock``) held while a writer has the store open.

    The lock belongs to the open file description, so it is released by the
    operating system when the holder exits or is killed - no stale lock
    survives a crash.  The file names the holder (host, pid, start time) so
    that a refused second writer can say who holds it.

    Args:
        path: the lock file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def holder(self) -> str:
        """A description of the process named in the lock file."""
        try:
            with open(self.path, encoding='utf-8') as f:
                info = json.loads(f.read() or '{}')
        except (OSError, ValueError):
            return 'an unknown process'
        return (f"pid {info.get('pid', '?')} on host {info.get('host', '?')}"
                f" (since {info.get('since', '?')})")

    def held_by_other(self) -> Optional[str]:
        """The holder's description if another open of the lock holds it
        now (a run still going), else ``None``.

        Takes a shared lock for an instant (never blocks) and creates
        nothing.
        """
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return self.holder()
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def acquire(self) -> 'StoreLock':
        """Take the lock or raise :class:`StoreLockedError` at once."""
        if self._fd is not None:
            return self
        os.makedirs(osp.dirname(self.path) or '.', exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreLockedError(
                f'label store {osp.dirname(self.path)} is in use by '
                f'{self.holder()}: a second run may not write the same '
                'store. Wait for it to end, or use another work_dir.'
            ) from None
        info = dict(
            host=socket.gethostname(),
            pid=os.getpid(),
            since=datetime.datetime.now().isoformat(timespec='seconds'))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(info).encode('utf-8'))
        self._fd = fd
        return self

    def release(self) -> None:
        """Give the lock back (the OS does it too when the process ends)."""
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __del__(self) -> None:  # pragma: no cover - interpreter shutdown
        try:
            self.release()
        except Exception:
            pass
