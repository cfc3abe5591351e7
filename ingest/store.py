"""The library on disk: documents, chunks and duplicate groups in ``HOME/library.sqlite3``.

Crash safety comes from SQLite: WAL mode, and each file's rows (document, chunk inserts,
updates and deletes) written in one ``BEGIN IMMEDIATE`` transaction, so ``kill -9`` at any
moment leaves every document either at its old or at its new version. ``documents.chunk_count``
is written in the same transaction, which lets ``consistency_problems`` prove it. Duplicate
groups are derived data: a file's transaction marks them stale, and ``regroup_duplicates``
(end of a batch, or the next writer after a crash) recomputes them in one transaction.

Writers also hold ``HOME/write.lock`` (see ``lock.py``); readers never wait for it.

A new library file is made under a temporary name and renamed into place once its schema is
written, so ``library.sqlite3`` is never legitimately empty: a 0-byte file is a destroyed
library (a failed copy or sync), refused with a pointer to ``study doctor --repair``, never
silently taken for a new empty one.

Chunk ids are stable: rewriting a document keeps the id of every chunk whose ``content_hash``
(hash of the embedded text) is unchanged, and ids are never reused (``AUTOINCREMENT``), so an
index keyed by chunk id stays valid and only new chunks need embedding.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ground.database import BUSY_TIMEOUT_MS, LIBRARY_FILE_NAME, readonly_uri, transaction
from ground.errors import DocumentNotFoundError, LibraryStateError
from ground.lock import DEFAULT_LOCK_TIMEOUT, WriteLock
from ground.question_key import question_key
from ground.records import Chunk, Location
from ground.schema import migrate
from ingest.chunker import ChunkDraft
from ingest.discovery import stored_path
from ingest.duplicates import Candidate, Fingerprint, fingerprint, group_duplicates

DESTROYED_HINT = ("'study doctor --repair' moves it aside and ingests your notes again "
                  "from their files")
_ID_BATCH = 500

_CHUNK_COLUMNS = (
    "c.id, c.doc_id, d.source, d.title, c.heading_path, c.start_line, c.end_line, c.start_char, "
    "c.end_char, c.text, c.content_hash, c.group_id, c.page"
)
_DOCUMENT_COLUMNS = (
    "id, source, title, format, encoding, sha256, size, mtime_ns, chunking, chunk_count, "
    "ingested_at"
)


@dataclass(frozen=True)
class Document:
    id: int
    source: str  # absolute path
    title: str
    format: str
    encoding: str | None
    sha256: str
    size: int
    mtime_ns: int
    chunking: str
    chunk_count: int
    ingested_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class DocumentVersion:
    """Everything about a file's current version except its chunks."""

    source: str
    title: str
    format: str
    encoding: str | None
    sha256: str
    size: int
    mtime_ns: int
    chunking: str


@dataclass(frozen=True)
class ChunkChanges:
    """What saving one document did, for the index to update incrementally."""

    doc_id: int
    added: tuple[int, ...]
    removed: tuple[int, ...]
    kept: int


@dataclass(frozen=True)
class RemovedDocument:
    document: Document
    chunk_ids: tuple[int, ...]


@dataclass(frozen=True)
class DuplicateGroupInfo:
    id: int  # the representative chunk's id
    kind: str
    member_ids: tuple[int, ...]  # representative first


class Store:
    """One open library. Safe to share between threads (calls are serialized)."""

    def __init__(self, db: sqlite3.Connection, home: Path, lock: WriteLock):
        self._db = db
        self.home = home
        self._lock = lock
        self._mutex = threading.RLock()

    @classmethod
    def open(cls, home: str | Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
        home = Path(home).expanduser()
        path = home / LIBRARY_FILE_NAME
        try:
            home.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                _create_library_file(path)
            elif path.is_file() and path.stat().st_size == 0:
                raise LibraryStateError(
                    f"{path}: empty file (0 bytes): the library was destroyed, not created "
                    f"empty; {DESTROYED_HINT}"
                )
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # in WAL mode a killed process loses nothing
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        except sqlite3.DatabaseError as error:
            message = f"{home / LIBRARY_FILE_NAME}: cannot open library ({error})"
            raise LibraryStateError(message) from None
        except OSError as error:
            message = f"{home}: cannot create library home ({error.strerror})"
            raise LibraryStateError(message) from None
        return cls(db, home, WriteLock(home, lock_timeout))

    def close(self) -> None:
        with self._mutex:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def writing(self) -> WriteLock:
        """``with store.writing():`` holds the write lock across several writes (re-entrant)."""
        return self._lock

    def snapshot(self) -> Store:
        """A read-only view of the library as it is now, unchanged by later commits.

        Its own connection holds a read transaction open (WAL mode keeps that state readable
        while writers commit), so search results resolved through it match the index snapshot
        built from the same state. Dropping the view ends the transaction; until then SQLite
        cannot checkpoint the write-ahead log past it, so views are replaced, not kept.
        """
        uri = readonly_uri(self.home / LIBRARY_FILE_NAME)
        db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("BEGIN")
        db.execute("SELECT COUNT(*) FROM documents").fetchone()  # the read transaction starts
        return Store(db, self.home, self._lock)

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        rows = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY id")
        return [Document(*row) for row in rows]

    def find_document(self, source: str) -> Document | None:
        rows = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE source = ?", source)
        return Document(*rows[0]) if rows else None

    def document(self, ref: str | int) -> Document:
        """A document by id, path (absolute or relative to the working directory) or file name."""
        text = str(ref).strip()
        if text.isascii() and text.isdigit():  # "²".isdigit() too, and int("²") raises
            rows = self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE id = ?", int(text))
            if rows:
                return Document(*rows[0])
        for source in {stored_path(os.path.abspath(text)), stored_path(os.path.realpath(text))}:
            found = self.find_document(source)
            if found:
                return found
        name = stored_path(text).lstrip(os.sep)
        matches = [d for d in self.documents() if d.source.endswith(os.sep + name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise DocumentNotFoundError(
                f"'{ref}' matches {len(matches)} documents; give the id or full path "
                "('study docs' lists them)"
            )
        raise DocumentNotFoundError(f"no document '{ref}' in the library ('study docs' lists them)")

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """Chunks in library order (document id, then position in the document)."""
        where = "" if doc_id is None else "WHERE c.doc_id = ?"
        params = () if doc_id is None else (doc_id,)
        rows = self._query(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.doc_id "
            f"{where} ORDER BY c.doc_id, c.ordinal",
            *params,
        )
        return [_chunk(row) for row in rows]

    def chunks_by_id(self, ids: Sequence[int]) -> list[Chunk]:
        """The chunks with these ids, in the order given; ids no longer stored are left out."""
        found: dict[int, Chunk] = {}
        for batch in _batches(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(batch))
            rows = self._query(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.doc_id "
                f"WHERE c.id IN ({marks})",
                *batch,
            )
            found.update((row[0], _chunk(row)) for row in rows)
        return [found[i] for i in ids if i in found]

    def duplicate_locations(self, group_id: int) -> list[Location]:
        """Where every member of a duplicate group stands, representative first."""
        rows = self._query(
            "SELECT d.source, c.start_line, c.end_line, c.page FROM chunks c "
            "JOIN documents d ON d.id = c.doc_id WHERE c.group_id = ? "
            "ORDER BY c.id != ?, c.doc_id, c.ordinal",
            group_id,
            group_id,
        )
        return [Location(*row) for row in rows]

    def duplicate_groups(self) -> list[DuplicateGroupInfo]:
        rows = self._query(
            "SELECT g.id, g.kind, c.id FROM duplicate_groups g JOIN chunks c ON c.group_id = g.id "
            "ORDER BY g.id, c.id != g.id, c.doc_id, c.ordinal"
        )
        members: dict[tuple[int, str], list[int]] = defaultdict(list)
        for group_id, kind, chunk_id in rows:
            members[(group_id, kind)].append(chunk_id)
        return [DuplicateGroupInfo(g, k, tuple(ids)) for (g, k), ids in members.items()]

    def chunk_stats(self) -> list[tuple[int, int]]:
        """(chunk id, token count) of every chunk: what a size distribution needs."""
        return [tuple(row) for row in self._query("SELECT id, token_count FROM chunks ORDER BY id")]

    @property
    def groups_stale(self) -> bool:
        rows = self._query("SELECT value FROM meta WHERE key = 'groups_stale'")
        return bool(rows) and rows[0][0] == "1"

    def consistency_problems(self) -> list[str]:
        """Empty when the file is intact and no document is missing chunks (or has extra)."""
        problems = [row[0] for row in self._query("PRAGMA integrity_check") if row[0] != "ok"]
        problems += [f"foreign key violation in {row[0]}"
                     for row in self._query("PRAGMA foreign_key_check")]
        for document, actual in self.miscounted_documents():
            problems.append(f"{document.source}: {actual} chunks stored, "
                            f"{document.chunk_count} expected")
        return problems

    def miscounted_documents(self) -> list[tuple[Document, int]]:
        """Documents whose stored chunks disagree with their ``chunk_count``, with the count."""
        columns = ", ".join(f"d.{name.strip()}" for name in _DOCUMENT_COLUMNS.split(","))
        rows = self._query(
            f"SELECT {columns}, COUNT(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.doc_id = d.id GROUP BY d.id "
            "HAVING COUNT(c.id) != d.chunk_count"
        )
        return [(Document(*row[:-1]), row[-1]) for row in rows]

    # -- writing (each call takes the write lock unless the caller holds it) ----------------

    def save_document(self, version: DocumentVersion, drafts: Sequence[ChunkDraft]) -> ChunkChanges:
        """Write one file's new version, keeping the ids of chunks whose content is unchanged."""
        with self._lock, self._transaction() as db:
            row = db.execute("SELECT id FROM documents WHERE source = ?", (version.source,))
            existing = row.fetchone()
            fields = (version.title, version.format, version.encoding, version.sha256,
                      version.size, version.mtime_ns, version.chunking, len(drafts), _now())
            if existing:
                doc_id = existing[0]
                db.execute(
                    "UPDATE documents SET title=?, format=?, encoding=?, sha256=?, size=?, "
                    "mtime_ns=?, chunking=?, chunk_count=?, ingested_at=? WHERE id=?",
                    (*fields, doc_id),
                )
            else:
                doc_id = db.execute(
                    "INSERT INTO documents (source, title, format, encoding, sha256, size, "
                    "mtime_ns, chunking, chunk_count, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (version.source, *fields),
                ).lastrowid
            return self._replace_chunks(db, doc_id, drafts)

    def touch_document(self, doc_id: int, size: int, mtime_ns: int) -> None:
        """Record a new mtime for a file whose bytes did not change (so the next run skips it)."""
        with self._lock, self._transaction() as db:
            db.execute("UPDATE documents SET size=?, mtime_ns=? WHERE id=?",
                       (size, mtime_ns, doc_id))

    def remove_document(self, ref: str | int, regroup: bool = True) -> RemovedDocument:
        """Remove a document and its chunks; ``regroup=False`` leaves that to a later call."""
        with self._lock:
            document = self.document(ref)
            with self._transaction() as db:
                ids = tuple(r[0] for r in db.execute(
                    "SELECT id FROM chunks WHERE doc_id = ? ORDER BY ordinal", (document.id,)))
                db.execute("DELETE FROM documents WHERE id = ?", (document.id,))
                _mark_groups_stale(db)
            if regroup:
                self.regroup_duplicates()
            return RemovedDocument(document, ids)

    def regroup_duplicates(self) -> int:
        """Recompute every duplicate group (one transaction); returns the number of groups."""
        with self._lock, self._transaction() as db:
            candidates = [
                Candidate(chunk_id, (doc_id, ordinal), question_key(tuple(json.loads(path))),
                          Fingerprint(norm_hash, sketch))
                for chunk_id, doc_id, ordinal, path, norm_hash, sketch in db.execute(
                    "SELECT id, doc_id, ordinal, heading_path, norm_hash, sketch FROM chunks")
            ]
            groups = group_duplicates(candidates, lambda ids: _texts(db, ids))
            db.execute("UPDATE chunks SET group_id = NULL WHERE group_id IS NOT NULL")
            db.execute("DELETE FROM duplicate_groups")
            for group in groups:
                db.execute("INSERT INTO duplicate_groups (id, kind, size) VALUES (?, ?, ?)",
                           (group.representative, group.kind, len(group.members)))
                db.executemany("UPDATE chunks SET group_id = ? WHERE id = ?",
                               [(group.representative, member) for member in group.members])
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('groups_stale', '0')")
            return len(groups)

    # -- internals -------------------------------------------------------------------------

    def _query(self, sql: str, *params: object) -> list[tuple]:
        with self._mutex:
            return self._db.execute(sql, params).fetchall()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._mutex)

    def _replace_chunks(self, db: sqlite3.Connection, doc_id: int,
                        drafts: Sequence[ChunkDraft]) -> ChunkChanges:
        old_ids_by_hash: dict[str, list[int]] = defaultdict(list)
        for chunk_id, content_hash in db.execute(
            "SELECT id, content_hash FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,)
        ):
            old_ids_by_hash[content_hash].append(chunk_id)
        added, kept = [], 0
        for draft in drafts:
            location = (draft.ordinal, draft.start_line, draft.end_line, draft.start_char,
                        draft.end_char, draft.page, draft.token_count)
            reusable = old_ids_by_hash.get(draft.content_hash)
            if reusable:
                db.execute(
                    "UPDATE chunks SET ordinal=?, start_line=?, end_line=?, start_char=?, "
                    "end_char=?, page=?, token_count=? WHERE id=?",
                    (*location, reusable.pop(0)),
                )
                kept += 1
                continue
            prints = fingerprint(draft.text)
            added.append(db.execute(
                "INSERT INTO chunks (doc_id, ordinal, start_line, end_line, start_char, end_char, "
                "page, token_count, heading_path, text, content_hash, norm_hash, sketch) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc_id, *location, json.dumps(list(draft.heading_path), ensure_ascii=False),
                 draft.text, draft.content_hash, prints.norm_hash, prints.sketch),
            ).lastrowid)
        removed = [chunk_id for ids in old_ids_by_hash.values() for chunk_id in ids]
        db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in removed])
        if added or removed:
            _mark_groups_stale(db)
        return ChunkChanges(doc_id, tuple(added), tuple(sorted(removed)), kept)


def _create_library_file(path: Path) -> None:
    """Make an empty library with its schema under a temporary name, then move it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(temporary, isolation_level=None)) as db:
            migrate(db)
        try:
            os.link(temporary, path)  # atomic, and never replaces another process's new file
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _chunk(row: tuple) -> Chunk:
    (chunk_id, doc_id, source, title, path, start_line, end_line, start_char, end_char, text,
     content_hash, group_id, page) = row
    return Chunk(chunk_id, doc_id, source, title, tuple(json.loads(path)), start_line, end_line,
                 start_char, end_char, text, content_hash, group_id, page)


def _texts(db: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    texts = {}
    for batch in _batches(ids):
        marks = ",".join("?" * len(batch))
        texts.update(db.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", batch))
    return texts


def _batches(items: list, size: int = _ID_BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mark_groups_stale(db: sqlite3.Connection) -> None:
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('groups_stale', '1')")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
