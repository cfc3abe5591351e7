"""Turn "the disk refused the write" into one line a user can act on.

A full disk surfaces in three costumes: ``OSError`` (ENOSPC, EDQUOT, or EFBIG under a file size
limit) from Python writes, ``sqlite3.OperationalError`` ("database or disk is full", or "disk
I/O error" when the write itself fails), and faiss's ``RuntimeError`` quoting the C library's
``strerror``. Without this, each escaped as a traceback. Every writer in the library is
transactional (SQLite transactions, files written aside then renamed), so the message can
promise the last complete state is kept.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ground.errors import StorageFullError

_NO_SPACE_ERRNOS = {
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file size limit reached",
}
_NO_SPACE_TEXTS = {
    "no space left on device": "no space left on the disk",
    "disk quota exceeded": "disk quota exceeded",
    "file too large": "file size limit reached",
    "database or disk is full": "no space left on the disk",
    "disk i/o error": "disk I/O error (disk full?)",
}


def out_of_space_reason(error: BaseException) -> str | None:
    """Why ``error`` means the disk refused a write, or None when it means something else.

    >>> out_of_space_reason(OSError(errno.ENOSPC, "No space left on device"))
    'no space left on the disk'
    >>> out_of_space_reason(sqlite3.OperationalError("database or disk is full"))
    'no space left on the disk'
    >>> out_of_space_reason(ValueError("bad")) is None
    True
    """
    if isinstance(error, OSError) and error.errno in _NO_SPACE_ERRNOS:
        return _NO_SPACE_ERRNOS[error.errno]
    if isinstance(error, sqlite3.Error | RuntimeError | OSError):
        text = str(error).lower()
        for needle, reason in _NO_SPACE_TEXTS.items():
            if needle in text:
                return reason
    return None


@contextmanager
def storage_errors(home: Path, doing: str, then: str = "run the command again") -> Iterator[None]:
    """Re-raise a refused write inside the block as one ``StorageFullError`` line."""
    try:
        yield
    except (OSError, sqlite3.Error, RuntimeError) as error:
        reason = out_of_space_reason(error)
        if reason is None:
            raise
        raise StorageFullError(
            f"{home}: {reason} while {doing}; free some space, then {then} "
            "(the library keeps its last complete state)"
        ) from None
