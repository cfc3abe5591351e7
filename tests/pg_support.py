"""A PostgreSQL server of the tests' own, and the study-memory backend fixture.

``postgres_server`` (session) finds Debian's PostgreSQL programs (``initdb``, ``pg_ctl``;
``make postgres`` installs them), makes a cluster in a fresh temporary directory, starts it on
a free loopback port with its unix socket in that directory, creates a database, and stops and
deletes it all at the end. PostgreSQL refuses to run as root, so under root it runs as the
``postgres`` user (``runuser``), created if missing. Each study home gets a schema of its own
(``fresh_url``: the URL's ``search_path``), so one server serves every test, each starting empty.

``study_backend`` runs a test once on SQLite and once on PostgreSQL. When PostgreSQL cannot be
started, the postgres cases FAIL with the reason (they never skip: a CI machine without it must
say so). They are marked ``postgres``; ``make test-fast`` runs them too (about 10 s).

    from pg_support import postgres_server_fixture, study_backend_fixture  # noqa: F401
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_support import free_port

PG_USER = "postgres"  # the system user the server runs as under root
DB_USER = "study"  # the cluster's superuser (trust authentication, loopback only)
DB_NAME = "study"
START_TIMEOUT_S = 60
_BIN_PLACES = (
    *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True),
    "/usr/local/bin",
    "/usr/bin",
)


class PostgresUnavailable(Exception):
    """PostgreSQL could not be found or started here (the message says why)."""


@dataclass
class PostgresServer:
    port: int
    directory: Path  # cluster, log and unix socket
    bin_dir: Path
    _schemas = itertools.count(1)

    @property
    def url(self) -> str:
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{DB_NAME}"

    def fresh_url(self) -> str:
        """The URL of a new, empty schema (a study home of its own on this server)."""
        import psycopg

        schema = f"home_{os.getpid()}_{next(self._schemas)}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"CREATE SCHEMA {schema}")
        return f"{self.url}?options=-csearch_path%3D{schema}"


def find_pg_bin() -> Path:
    for place in (*_BIN_PLACES, *os.environ.get("PATH", "").split(os.pathsep)):
        if place and all(os.access(Path(place) / name, os.X_OK) for name in ("initdb", "pg_ctl")):
            return Path(place)
    raise PostgresUnavailable(
        "initdb/pg_ctl not found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install them with `make postgres` (apt-get install postgresql)"
    )


def start_postgres() -> PostgresServer:
    """A running server in a fresh temporary directory (``stop_postgres`` ends it)."""
    bin_dir = find_pg_bin()
    directory = Path(tempfile.mkdtemp(prefix="study-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        _ensure_user(PG_USER)
        shutil.chown(directory, PG_USER)
        as_user = ["runuser", "-u", PG_USER, "--"]
    server = PostgresServer(free_port(), directory, bin_dir)
    _run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(directory / "data"),
            "-U",
            DB_USER,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        "initdb",
    )
    options = (
        f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        _run(
            [
                *as_user,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(directory / "data"),
                "-l",
                str(directory / "server.log"),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                options,
                "start",
            ],
            "pg_ctl start",
        )
    except PostgresUnavailable as error:
        log = directory / "server.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        shutil.rmtree(directory, ignore_errors=True)
        raise PostgresUnavailable(f"{error} {' '.join(tail)}".strip()) from None
    import psycopg

    with psycopg.connect(
        f"postgresql://{DB_USER}@127.0.0.1:{server.port}/postgres", autocommit=True
    ) as db:
        db.execute(f"CREATE DATABASE {DB_NAME}")
    return server


def stop_postgres(server: PostgresServer) -> None:
    as_user = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            *as_user,
            str(server.bin_dir / "pg_ctl"),
            "-D",
            str(server.directory / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="session", name="postgres_server")
def postgres_server_fixture():
    reason = ""
    try:
        server = start_postgres()
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as error:
        reason = str(error)
    if reason:  # fails every postgres case at setup, with the reason in one line
        pytest.fail(
            f"PostgreSQL could not be started for the postgres cases: {reason}", pytrace=False
        )
    yield server
    stop_postgres(server)


@dataclass(frozen=True)
class StudyBackend:
    """Where a test's study memory lives: ``env()`` holds its ``STUDY_DATABASE_URL`` (on
    PostgreSQL ``url``, shared by whoever uses it, else a fresh schema each time)."""

    name: str
    server: PostgresServer | None = None
    url: str = ""

    def database_url(self) -> str:
        """The ``database_url`` setting of a study home here ("" on SQLite)."""
        if self.server is None:
            return ""
        return self.url or self.server.fresh_url()

    def env(self) -> dict[str, str]:
        url = self.database_url()
        return {"STUDY_DATABASE_URL": url} if url else {}


@pytest.fixture(
    name="study_backend", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def study_backend_fixture(request) -> StudyBackend:
    if request.param == "sqlite":
        return StudyBackend("sqlite")
    return StudyBackend("postgres", request.getfixturevalue("postgres_server"))


def _ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        _run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            f"useradd {name}",
        )


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False
        )
    except FileNotFoundError as error:
        raise PostgresUnavailable(f"{what}: {error}") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PostgresUnavailable(f"{what} failed (exit {done.returncode}): {last[0]}")
