"""One writer at a time per library home: an advisory ``flock`` on ``HOME/write.lock``.

SQLite serializes single transactions, but an ingest is many transactions plus a re-grouping
step, and two interleaved ingests would each prune or re-group against the other's half-done
batch. The kernel drops a ``flock`` when its holder dies (even by ``kill -9``), so a crash never
leaves a stale lock behind. The holder writes its pid and command into the file so the waiting
side can say who is busy.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

from ground.errors import LibraryBusyError, LibraryReadOnlyError

LOCK_FILE_NAME = "write.lock"
DEFAULT_LOCK_TIMEOUT = 30.0
_POLL_SECONDS = 0.05


class WriteLock:
    """Re-entrant within one object: nested ``with lock:`` blocks take the lock once."""

    def __init__(self, home: Path, timeout: float = DEFAULT_LOCK_TIMEOUT):
        self.path = Path(home) / LOCK_FILE_NAME
        self.timeout = timeout
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> WriteLock:
        if self._depth == 0:
            self._fd = self._acquire()
        self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._depth > 0

    def _acquire(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise LibraryReadOnlyError(
                f"{self.path.parent}: cannot write to the library home ({error.strerror}); "
                "check its permissions or pick another with --home"
            ) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(self.path)
                    os.close(fd)
                    raise LibraryBusyError(
                        f"library {self.path.parent} is busy: {holder} is writing to it "
                        f"(waited {self.timeout:g} s); try again when it has finished"
                    ) from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        command = " ".join(sys.argv)[:200]  # a file name argument may hold undecodable bytes
        os.pwrite(fd, f"pid {os.getpid()}: {command}\n".encode("utf-8", "backslashreplace"), 0)
        return fd


def _holder(path: Path) -> str:
    try:
        described = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        described = ""
    return f"another process ({described})" if described else "another process"
