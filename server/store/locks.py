"""Lock files: :class:`FileLock`, the cross-process :class:`~server.store.interface.RenewalLock`.

:meth:`SQLiteConnectionStore.renewal_lock <server.store.sqlite.SQLiteConnectionStore.renewal_lock>`
hands out one per connection, in ``<home>/callforce.db.locks/`` (0700, files 0600): an OS file
lock (``flock``; ``msvcrt.locking`` on Windows). The OS drops it when its holder exits, so a
crashed process never leaves a connection locked.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """A :class:`~server.store.interface.RenewalLock` on a lock file: between processes, and
    between stores.

    ``flock`` belongs to the open file, so two stores (or two processes) exclude each other,
    and the lock ends with the process that holds it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"FileLock({self.path.name})"

    def acquire(self) -> bool:
        """Take the lock if no one holds it; whether it is held now."""
        if self._fd is not None:
            raise RuntimeError("the renewal lock is not re-entrant")
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _try_lock(fd)
        except OSError:  # held elsewhere (BlockingIOError, or PermissionError on Windows)
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)
