"""The library's SQLite file: its name, how connections wait for a writer, how study history
and the question bank open it (``open_library_file``), and the one write-transaction helper
every store of that file (documents and chunks, study history, the question bank, the doctor's
salvage) writes through.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ground.errors import LibraryStateError
from ground.schema import migrate

LIBRARY_FILE_NAME = "library.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def readonly_uri(path: Path) -> str:
    """A SQLite URI opening ``path`` read-only, whatever its name holds (``#``, ``?``, ``%``,
    spaces, non-UTF-8 bytes): ``as_uri`` percent-encodes them all.

    >>> readonly_uri(Path("/tmp/a#b?c/library.sqlite3"))
    'file:///tmp/a%23b%3Fc/library.sqlite3?mode=ro'
    """
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def open_library_file(home: str | Path, what: str, foreign_keys: bool = True
                      ) -> sqlite3.Connection:
    """A connection to the library's SQLite file (autocommit; transactions are explicit),
    migrated; ``what`` names the reader in the one-line error. The question bank's connection
    opens without foreign-key enforcement (``foreign_keys=False``), as it always has."""
    path = Path(home).expanduser() / LIBRARY_FILE_NAME
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if foreign_keys:
            db.execute("PRAGMA foreign_keys = ON")
        migrate(db)
    except sqlite3.DatabaseError as error:
        raise LibraryStateError(f"{path}: cannot open {what} ({error})") from None
    return db


@contextmanager
def transaction(
    db: sqlite3.Connection, mutex: threading.RLock | None = None
) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE``, ``COMMIT``, and ``ROLLBACK`` on any failure,
    a failed ``COMMIT`` included. ``mutex`` serializes the threads sharing a long-lived
    connection; a short-lived one (the doctor's) needs none."""
    with mutex if mutex is not None else nullcontext():
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error:
            # a failed COMMIT (disk full, I/O error) may leave the transaction open, and the
            # next call on this long-lived connection would then fail with a confusing error
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
