"""``study doctor``: is the library on disk consistent, and rebuild what can be rebuilt.

SQLite (``library.sqlite3``) is the source of truth; the FAISS and BM25 files under
``HOME/index`` and the embedding cache are derived from it. ``check`` looks at everything
without changing it; ``repair`` fixes what it finds, from the most precious data outwards:

- a damaged SQLite file is never deleted: it is moved aside with a timestamp, a fresh library
  is made, every document whose file still exists is ingested again, and every row the damaged
  file still yields from tables that cannot be re-derived (the study history) is copied over.
  Documents whose files are gone are listed, not silently dropped;
- a document whose stored chunks disagree with its chunk count is ingested again;
- stale duplicate groups are recomputed; leftovers of interrupted writes are removed;
- the search indexes are rebuilt from SQLite (vectors come from the embedding cache).

Files named ``*.pkl``/``*.pickle`` are reported as ignored: nothing here ever unpickles
(LangChain's ``FAISS.load_local`` executed a planted ``index.pkl``, CVE-2024-5998).

>>> report = check(Settings.load(home="/nonexistent/study-home", env={}))
>>> report.consistent, report.checks[0].detail.startswith("no library yet")
(True, True)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ground.database import LIBRARY_FILE_NAME, readonly_uri, transaction
from ground.errors import ConfigError, LibraryReadOnlyError, LibraryStateError, ModelError
from ground.lock import WriteLock
from ground.records import Chunk
from ground.settings import Settings
from index.embedding_cache import CACHE_FILE_NAME
from index.index_state import chunk_fingerprint, index_dir, leftover_files, read_state
from index.lexical import LexicalIndex
from index.manifest import check_content, read_manifest
from index.vector_index import open_vector_index
from ingest.discovery import os_path
from ingest.store import DESTROYED_HINT, Store

Progress = Callable[[int, int], None]
OK, NOTE, PROBLEM = "ok", "note", "problem"
REPAIR_HINT = "run 'study doctor --repair'"
DERIVED_TABLES = frozenset({"documents", "chunks", "duplicate_groups", "meta", "sqlite_sequence"})
"""Tables a fresh ingest rebuilds; every other table holds what only the user made."""
PICKLE_SUFFIXES = (".pkl", ".pickle")
_MAX_LISTED = 3


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, ``ok``/``note``/``problem``, and the detail."""

    name: str
    status: str
    detail: str

    @property
    def ok(self) -> bool:
        return self.status != PROBLEM


@dataclass(frozen=True)
class DoctorReport:
    home: Path
    checks: tuple[Check, ...]
    actions: tuple[str, ...] = ()  # what ``repair`` did, in order

    @property
    def consistent(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)

    def check_named(self, name: str) -> Check | None:
        return next((check for check in self.checks if check.name == name), None)


@dataclass(frozen=True)
class _Database:
    """What the SQLite checks found; ``damaged`` means only ``repair``'s salvage can help."""

    checks: tuple[Check, ...]
    damaged: bool
    chunks: tuple[Chunk, ...] | None  # None when the chunks could not be read


# -- checking ------------------------------------------------------------------------------


def check(settings: Settings, model_id: str | None = None) -> DoctorReport:
    """Inspect the library in ``settings.home`` without changing it (waits for any writer).

    ``model_id`` is the embedding model's id when the caller has the model loaded; otherwise
    the configured model is loaded to learn it.
    """
    home = settings.home
    if not (home / LIBRARY_FILE_NAME).is_file():
        detail = f"no library yet in {home}; add notes with 'study ingest PATH'"
        return DoctorReport(home, (Check("library database", OK, detail),) + _file_notes(home))
    try:
        lock = WriteLock(home, settings.lock_timeout).__enter__()
    except LibraryReadOnlyError as error:  # nothing can write here: checking is still safe
        report = _inspect(settings, model_id)
        note = Check("write access", NOTE, f"{error}; checked without the write lock")
        return replace(report, checks=(note, *report.checks))
    try:
        return _inspect(settings, model_id)
    finally:
        lock.__exit__(None, None, None)


def _inspect(settings: Settings, model_id: str | None) -> DoctorReport:
    home = settings.home
    database = _check_database(home)
    checks = list(database.checks)
    model_check, expected = _check_model(settings, model_id)
    checks.append(model_check)
    if database.chunks is not None:
        checks += _check_indexes(home, list(database.chunks), expected)
    checks.append(_check_cache(home))
    return DoctorReport(home, tuple(checks) + _file_notes(home))


def _check_database(home: Path) -> _Database:
    path = home / LIBRARY_FILE_NAME
    if path.stat().st_size == 0:  # never made by us (new libraries are renamed into place)
        detail = f"{path}: empty file (0 bytes): the library was destroyed; {DESTROYED_HINT}"
        return _Database((Check("library database", PROBLEM, detail),), True, None)
    damage = _quick_check(path)
    if damage and not _is_damage(damage):  # unreadable (permissions, locks): not ours to move
        return _Database((Check("library database", PROBLEM, f"{path}: {damage}"),), False, None)
    if damage:
        detail = (
            f"{path}: damaged ({damage}); 'study doctor --repair' moves it aside and "
            "ingests your notes again from their files"
        )
        return _Database((Check("library database", PROBLEM, detail),), True, None)
    try:
        with Store.open(home) as store:
            problems = store.consistency_problems()
            documents, chunks, stale = store.documents(), store.chunks(), store.groups_stale
    except LibraryStateError as error:  # e.g. a schema newer than this program
        return _Database((Check("library database", PROBLEM, str(error)),), False, None)
    except sqlite3.DatabaseError as error:
        detail = f"{path}: damaged ({error}); {REPAIR_HINT}"
        return _Database((Check("library database", PROBLEM, detail),), True, None)
    if problems:
        detail = f"{path}: {_listed(problems)}; {REPAIR_HINT}"
        database = Check("library database", PROBLEM, detail)
    else:
        detail = f"{len(documents)} documents, {len(chunks)} chunks, integrity ok"
        database = Check("library database", OK, detail)
    groups = (
        Check(
            "duplicate groups",
            NOTE,
            "out of date after an interrupted ingest; "
            "recomputed by the next ingest or 'study doctor --repair'",
        )
        if stale
        else Check("duplicate groups", OK, "up to date")
    )
    return _Database((database, groups), False, tuple(chunks))


def _quick_check(path: Path) -> str:
    """Empty when SQLite finds ``path`` sound, else its first complaint (read-only)."""
    try:
        with closing(sqlite3.connect(readonly_uri(path), uri=True, timeout=10)) as db:
            rows = [row[0] for row in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        return str(error)
    return "" if rows == ["ok"] else _listed(rows)


def _is_damage(complaint: str) -> bool:
    """Whether a ``_quick_check`` complaint is about the file's content (not access to it)."""
    return not any(text in complaint for text in ("unable to open", "locked", "readonly"))


def _check_model(settings: Settings, model_id: str | None) -> tuple[Check, str | None]:
    if model_id is None:
        try:
            from index.embedder import create_embedder

            model_id = create_embedder(settings).model_id
        except (ModelError, ConfigError) as error:
            return Check("embedding model", PROBLEM, str(error)), None
    return Check("embedding model", OK, model_id), model_id


def _check_indexes(home: Path, chunks: list[Chunk], model_id: str | None) -> list[Check]:
    root = index_dir(home)
    state = read_state(home)
    if state is None:
        status = NOTE if not chunks else PROBLEM
        detail = (
            f"{root}: no search index yet"
            if not chunks
            else f"{root}: no readable state.json; rebuilt by the next search or {REPAIR_HINT}"
        )
        return [Check("search index", status, detail)]
    wanted_ids = {chunk.id for chunk in chunks}
    problems = []
    if model_id is not None and state.model_id != model_id:
        problems.append(f"built with '{state.model_id}', the library uses '{model_id}'")
    if state.fingerprint != chunk_fingerprint(chunks):
        problems.append(
            f"reflects {state.count} chunks that are not the {len(chunks)} stored "
            "(an interrupted write)"
        )
    if problems:
        detail = f"{root}: {'; '.join(problems)}; rebuilt by the next search or {REPAIR_HINT}"
        index_check = Check("search index", PROBLEM, detail)
    else:
        index_check = Check("search index", OK, f"in step with the {len(chunks)} chunks")
    fingerprint = chunk_fingerprint(chunks)
    return [
        index_check,
        _check_vectors(root / "vectors", wanted_ids, model_id, fingerprint),
        _check_lexical(root / "lexical", wanted_ids, fingerprint),
    ]


def _check_vectors(directory: Path, wanted_ids: set[int], model_id: str | None,
                   fingerprint: str) -> Check:
    try:
        manifest = read_manifest(directory, "vector index")
        vectors = open_vector_index(
            directory, model_id or manifest.model_id, manifest.dim, expected_count=len(wanted_ids)
        )
        check_content(manifest, directory, "vector index", fingerprint)
    except LibraryStateError as error:
        return Check("vector index", PROBLEM, _with_repair_hint(error))
    ids = set(vectors.items()[0].tolist())
    if ids != wanted_ids:
        return Check("vector index", PROBLEM, _id_mismatch(directory, ids, wanted_ids))
    return Check(
        "vector index",
        OK,
        f"{vectors.kind}, {len(vectors)} vectors for {len(wanted_ids)} chunks, checksums ok",
    )


def _check_lexical(directory: Path, wanted_ids: set[int], fingerprint: str) -> Check:
    try:
        lexical = LexicalIndex.open(directory, expected_count=len(wanted_ids))
        check_content(read_manifest(directory, "keyword index"), directory, "keyword index",
                      fingerprint)
    except LibraryStateError as error:
        return Check("keyword index", PROBLEM, _with_repair_hint(error))
    ids = set(lexical.chunk_ids.tolist())
    if ids != wanted_ids:
        return Check("keyword index", PROBLEM, _id_mismatch(directory, ids, wanted_ids))
    return Check("keyword index", OK, f"{len(lexical)} chunks, checksums ok")


def _id_mismatch(directory: Path, ids: set[int], wanted_ids: set[int]) -> str:
    return (
        f"{directory}: {len(ids - wanted_ids)} indexed ids are not stored chunks and "
        f"{len(wanted_ids - ids)} chunks are not indexed; {REPAIR_HINT}"
    )


def _check_cache(home: Path) -> Check:
    path = home / CACHE_FILE_NAME
    if not path.is_file():
        return Check("embedding cache", NOTE, "empty: passages are embedded again when needed")
    damage = _quick_check(path)
    if damage:
        return Check("embedding cache", PROBLEM, f"{path}: damaged ({damage}); {REPAIR_HINT}")
    try:
        with closing(sqlite3.connect(readonly_uri(path), uri=True, timeout=10)) as db:
            (count,) = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()
    except sqlite3.DatabaseError as error:
        return Check("embedding cache", PROBLEM, f"{path}: unreadable ({error}); {REPAIR_HINT}")
    return Check("embedding cache", OK, f"{count} vectors")


def _file_notes(home: Path) -> tuple[Check, ...]:
    notes = []
    if leftovers := temporary_files(home):
        names = _listed([str(p.relative_to(home)) for p in leftovers])
        notes.append(
            Check(
                "temporary files",
                NOTE,
                f"{len(leftovers)} left by an interrupted "
                f"write ({names}); removed by 'study doctor --repair'",
            )
        )
    if pickles := pickle_files(home):
        names = _listed([str(p.relative_to(home)) for p in pickles])
        notes.append(Check("pickle files", NOTE, f"ignored, never read: {names}"))
    return tuple(notes)


def temporary_files(home: Path) -> list[Path]:
    """Files and folders our atomic writers leave behind only when killed mid-write."""
    in_home = list(home.glob(".*.tmp")) if home.is_dir() else []
    return sorted({*in_home, *leftover_files(home)})


def pickle_files(home: Path) -> list[Path]:
    if not home.is_dir():
        return []
    return sorted(p for p in home.rglob("*") if p.suffix.lower() in PICKLE_SUFFIXES)


def _with_repair_hint(error: Exception) -> str:
    return str(error).replace("run 'study reindex'", REPAIR_HINT)


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:_MAX_LISTED])
    return shown + (f" (+{len(items) - _MAX_LISTED} more)" if len(items) > _MAX_LISTED else "")


# -- repairing -----------------------------------------------------------------------------


def repair(settings: Settings, progress: Progress | None = None) -> DoctorReport:
    """Fix what ``check`` finds; returns a fresh check of the result, with the actions taken."""
    from index.library import Library

    home = settings.home
    if not (home / LIBRARY_FILE_NAME).is_file():
        return check(settings)
    actions: list[str] = []
    sources: list[str] = []
    with WriteLock(home, settings.lock_timeout):
        before = _check_database(home)
        if before.damaged:
            sources = _salvage(home, actions)
        for leftover in temporary_files(home):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            actions.append(f"removed {leftover.relative_to(home)} (left by an interrupted write)")
        cache = home / CACHE_FILE_NAME
        if cache.is_file() and _is_damage(_quick_check(cache) or "unable to open"):
            aside = _move_aside(cache)
            actions.append(
                f"moved the damaged embedding cache to {aside.name} (safe to delete; "
                "passages are embedded again)"
            )
    with Library.open(settings) as library, library.store.writing():
        sources += _reingest_miscounted(library, actions)
        if sources:
            present = [s for s in sources if os.path.isfile(os_path(s))]
            for gone in sorted(set(sources) - set(present)):
                actions.append(f"{gone}: not ingested again, the file no longer exists")
            if present:
                report = library.ingest([os_path(s) for s in present], progress=progress)
                actions.append(
                    f"ingested {len(report.outcomes) - len(report.skipped)} of "
                    f"{len(set(sources))} documents again from their files"
                )
                actions += [f"{o.path}: {o.reason}" for o in report.skipped]
        if library.store.groups_stale:
            groups = library.store.regroup_duplicates()
            actions.append(f"recomputed the duplicate groups ({groups})")
        model_id = library.embedder.model_id
        indexes = _check_indexes(home, library.chunks(), model_id)
        if not all(c.ok for c in indexes) or not (index_dir(home) / "state.json").is_file():
            count = library.reindex(progress)
            actions.append(f"rebuilt the search indexes from the library ({count} chunks)")
        after = _inspect(settings, model_id)
    return replace(after, actions=tuple(actions))


def _reingest_miscounted(library, actions: list[str]) -> list[str]:
    """Remove documents whose chunks are incomplete and whose files exist (to be ingested
    again); returns those files."""
    sources = []
    for document, stored in library.store.miscounted_documents():
        if not os.path.isfile(os_path(document.source)):
            actions.append(
                f"{document.source}: {stored} of {document.chunk_count} chunks "
                "stored and the file is gone; kept as it is"
            )
            continue
        library.store.remove_document(document.id, regroup=False)
        actions.append(
            f"{document.source}: {stored} of {document.chunk_count} chunks stored; "
            "removed to be ingested again"
        )
        sources.append(document.source)
    return sources


def _salvage(home: Path, actions: list[str]) -> list[str]:
    """Move the damaged library aside, start a fresh one, copy what only the user made.

    Returns the document sources the damaged file still lists (to be ingested again).
    """
    path = home / LIBRARY_FILE_NAME
    aside = _move_aside(path)
    actions.append(f"moved the damaged library to {aside} (kept: nothing is deleted)")
    sources, rows_by_table = _read_salvageable(aside)
    if sources is None:
        actions.append(
            "the damaged file no longer lists its documents: ingest your notes "
            "folders again with 'study ingest PATH'"
        )
    with Store.open(home):  # creates the fresh library with the current schema
        pass
    with closing(sqlite3.connect(path, isolation_level=None)) as db, transaction(db):
        for table, (columns, rows) in rows_by_table.items():
            copied = _copy_rows(db, table, columns, rows)
            if copied:
                actions.append(f"restored {copied} rows of {table} from the damaged file")
    return sources or []


def _move_aside(path: Path) -> Path:
    """Rename ``path`` (and its WAL and shared-memory files) to ``NAME.corrupt-TIMESTAMP``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("-wal", "-shm", ""):  # the main file last: it names the others
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def _read_salvageable(aside: Path) -> tuple[list[str] | None, dict[str, tuple[list, list]]]:
    """Document sources and the rows of every non-derived table, as far as they read."""
    sources: list[str] | None = None
    tables: dict[str, tuple[list, list]] = {}
    try:
        db = sqlite3.connect(readonly_uri(aside), uri=True, timeout=10)
    except sqlite3.DatabaseError:
        return None, {}
    with closing(db):
        try:
            names = [
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
        except sqlite3.DatabaseError:
            return None, {}
        if "documents" in names:
            rows = _readable_rows(db, "SELECT source FROM documents")[1]
            sources = [row[0] for row in rows] if rows else None
        for name in names:
            if name not in DERIVED_TABLES and not name.startswith("sqlite_"):
                columns, rows = _readable_rows(db, f'SELECT * FROM "{name}"')
                if rows:
                    tables[name] = (columns, rows)
    return sources, tables


def _readable_rows(db: sqlite3.Connection, sql: str) -> tuple[list[str], list[tuple]]:
    """The rows ``sql`` yields before the first damaged page."""
    rows: list[tuple] = []
    columns: list[str] = []
    try:
        cursor = db.execute(sql)
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            rows.append(row)
    except sqlite3.DatabaseError:
        pass
    return columns, rows


def _copy_rows(db: sqlite3.Connection, table: str, columns: list[str], rows: list) -> int:
    """Insert ``rows`` into ``table`` of the fresh library, by the columns both share.

    Links to chunks and documents are cleared: their ids are assigned afresh by the new
    ingest, and such links are nullable by design (items outlive their chunks).
    """
    present = {row[1]: row for row in db.execute(f'PRAGMA table_info("{table}")')}
    if not present:
        return 0
    links = {
        row[3]
        for row in db.execute(f'PRAGMA foreign_key_list("{table}")')
        if row[2] in ("chunks", "documents")
    }
    shared = [i for i, name in enumerate(columns) if name in present]
    names = [columns[i] for i in shared]
    marks = ",".join("?" * len(names))
    quoted = ",".join(f'"{name}"' for name in names)
    copied = 0
    for row in rows:
        values = [None if columns[i] in links else row[i] for i in shared]
        cursor = db.execute(f'INSERT OR IGNORE INTO "{table}" ({quoted}) VALUES ({marks})', values)
        copied += cursor.rowcount
    return copied
