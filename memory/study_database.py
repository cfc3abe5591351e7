"""Where study history lives: the library's SQLite file (the default) or a PostgreSQL server
(the ``database_url`` setting, for a class whose app servers share one history).

The one seam between the two is ``StudyDatabase`` (SQLite) and its ``PostgresStudyDatabase``:
``execute`` takes SQLite's ``?`` placeholders on both (PostgreSQL's driver wants ``%s``), and
``transaction`` is one write transaction (``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL a
transaction whose card reads lock their row, ``for_update``). The queries in
``study_log`` are written once, in the SQL both speak (``RETURNING id`` instead of
``lastrowid``, no ``LIMIT -1``); the library's documents and chunks stay in its SQLite file, so
the one query that joined them (re-linking items to chunks) reads them from there.

    database = open_study_database(settings)   # SQLite unless settings.database_url is set
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ground.database import LIBRARY_FILE_NAME, open_library_file, transaction
from ground.errors import LibraryStateError
from ground.settings import Settings

CONNECT_TIMEOUT_S = 10


class StudyDatabase:
    """The study tables in the library's SQLite file; safe to share between threads (calls
    are serialized). ``where`` names it in messages: the file, or the URL without its
    password (``PostgresStudyDatabase``)."""

    postgres = False
    for_update = ""  # SQLite's BEGIN IMMEDIATE already holds the write lock

    def __init__(self, connection, where: str):
        self.connection = connection
        self.where = where
        self.mutex = threading.RLock()

    def execute(self, sql: str, params: Sequence = ()):
        """A cursor over ``sql`` run with ``params`` (``?`` placeholders on both databases)."""
        return self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self.connection.executemany(sql, rows)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with self.mutex:
            return self.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[StudyDatabase]:
        """One write transaction: all of it lands, or none (rolled back on any failure)."""
        with transaction(self.connection, self.mutex):
            yield self

    def close(self) -> None:
        with self.mutex:
            self.connection.close()


class PostgresStudyDatabase(StudyDatabase):
    """The study tables on a PostgreSQL server. A lost connection (the server restarted, the
    network dropped) fails the call in progress with one line naming the URL; the next call
    connects again."""

    postgres = True
    for_update = " FOR UPDATE"  # the card read in a write transaction locks its row

    def __init__(self, url: str):
        self._url = url
        super().__init__(_connect(url), masked_url(url))

    def execute(self, sql: str, params: Sequence = ()):
        if not params:
            return self.connection.execute(sql)
        return self.connection.execute(_pyformat(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        self.connection.cursor().executemany(_pyformat(sql), rows)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with self.mutex, self._lost_connection():
            return super().query(sql, *params)

    @contextmanager
    def transaction(self) -> Iterator[StudyDatabase]:
        with self.mutex, self._lost_connection(), self.connection.transaction():
            yield self

    @contextmanager
    def _lost_connection(self) -> Iterator[None]:
        import psycopg

        if self.connection.closed:
            self.connection = _connect(self._url)
        try:
            yield
        except psycopg.OperationalError as error:
            if not self.connection.closed:
                raise
            raise LibraryStateError(
                f"study database {self.where}: connection lost ({_first_line(error)}); try again"
            ) from None


def open_study_database(settings: Settings) -> StudyDatabase:
    """The study tables of ``settings``: in PostgreSQL at ``database_url`` when it is set,
    else in the library's SQLite file; either is brought up to its schema's version."""
    if settings.database_url:
        return _open_postgres(settings.database_url)
    return StudyDatabase(
        open_library_file(settings.home, "study history"),
        str(Path(settings.home).expanduser() / LIBRARY_FILE_NAME),
    )


def _open_postgres(url: str) -> StudyDatabase:
    from memory.study_schema_postgres import migrate_postgres

    database = PostgresStudyDatabase(url)
    import psycopg

    try:
        migrate_postgres(database)
    except psycopg.Error as error:
        database.close()
        raise LibraryStateError(
            f"study database {database.where}: cannot set up the study "
            f"tables ({_first_line(error)})"
        ) from None
    except LibraryStateError:
        database.close()
        raise
    return database


def _connect(url: str):
    """An autocommit psycopg connection to ``url`` (transactions are explicit)."""
    try:
        import psycopg
    except ImportError:
        raise LibraryStateError(
            "database_url is set but psycopg is not installed (pip install 'psycopg[binary]')"
        ) from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as error:
        raise LibraryStateError(
            f"study database {masked_url(url)}: cannot connect ({_first_line(error)})"
        ) from None


def masked_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, fit for a message.

    >>> masked_url("postgresql://ana:s3cret@db.example:5432/study")
    'postgresql://ana:***@db.example:5432/study'
    >>> masked_url("postgresql://ana@127.0.0.1/study?password=s3cret")
    'postgresql://ana@127.0.0.1/study?password=***'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = "&".join(
        f"{key}=***" if key == "password" else pair
        for pair in parts.query.split("&")
        if pair
        for key in [pair.partition("=")[0]]
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _pyformat(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
