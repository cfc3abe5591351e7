"""``ingest_paths``: files and folders -> documents and chunks in the store, one file at a time.

Each file is read, hashed, parsed and chunked entirely in memory, then written in a single
transaction, so a bad file or a crash never leaves partial rows. Any failure while reading or
parsing a file becomes a ``SKIPPED`` outcome and the batch goes on; only library-level errors
(busy, corrupt, disk full) stop it, since every later file would fail the same way.

An unchanged file costs one ``stat`` (same size, mtime and chunker settings) or, if touched,
one hash. A changed file's chunks are replaced, keeping the ids of chunks whose embedded text
did not change, so the index re-embeds only the new ones.

Files are opened non-blocking and checked to be regular files *after* opening: a FIFO or device
swapped in since discovery is skipped instead of blocking the ingest (and its write lock)
forever. Embedded images and giant lines are left out before chunking, and a file stops at
``MAX_CHUNKS_PER_FILE`` passages; the file's outcome carries a notice saying so. ``prune``
removes only documents under the paths given.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ground.errors import IngestError
from ground.settings import Settings
from ingest.chunker import (
    CHUNKER_VERSION,
    EMBEDDING_WINDOW,
    MAX_CHUNKS_PER_FILE,
    ChunkedDocument,
    TokenCounter,
    chunk_document,
)
from ingest.discovery import discover, is_under, os_path, os_reason, readable_name, stored_path
from ingest.oversized import drop_oversized
from ingest.readers import FORMATS, ExtractedText, extract, format_of
from ingest.report import FileOutcome, IngestReport, Status
from ingest.store import ChunkChanges, Document, DocumentVersion, Store

ProgressCallback = Callable[[int, int], None]
"""Called with (files done, files total)."""


@dataclass(frozen=True)
class _Touch:
    """Same bytes under a new mtime: record the mtime, rewrite nothing."""

    doc_id: int
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class _Prepared:
    """A file read and chunked, ready to be written in one transaction."""

    version: DocumentVersion
    chunked: ChunkedDocument
    notice: str = ""


def ingest_paths(
    store: Store,
    paths: list[str | Path],
    settings: Settings,
    token_counter: TokenCounter,
    progress: ProgressCallback | None = None,
    prune: bool = False,
    max_tokens: int = EMBEDDING_WINDOW,
) -> IngestReport:
    """Ingest files and folders (recursively); with ``prune``, drop documents whose file is gone."""
    started = time.monotonic()
    outcomes: list[FileOutcome] = []
    added: list[int] = []
    removed: list[int] = []
    kept = 0
    with store.writing():
        found = discover(paths)
        outcomes += [FileOutcome(stored_path(path), Status.SKIPPED, reason)
                     for path, reason in found.skipped]
        chunking = f"chunker v{CHUNKER_VERSION}, window {max_tokens}"
        for done, path in enumerate(found.files, start=1):
            outcome, changes = _ingest_file(store, path, settings, token_counter, max_tokens,
                                            chunking)
            outcomes.append(outcome)
            if changes is not None:
                added += changes.added
                removed += changes.removed
                kept += changes.kept
            if progress:
                progress(done, len(found.files))
        if prune:
            roots = [stored_path(os.path.realpath(os.path.abspath(p))) for p in paths]
            for document in store.documents():
                if is_under(document.source, roots) and not os.path.lexists(
                        os_path(document.source)):
                    gone = store.remove_document(document.id, regroup=False)
                    removed += gone.chunk_ids
                    outcomes.append(FileOutcome(document.source, Status.REMOVED, "",
                                                document.id, len(gone.chunk_ids)))
        if store.groups_stale:
            store.regroup_duplicates()
    return IngestReport(tuple(outcomes), tuple(added), tuple(sorted(removed)), kept,
                        time.monotonic() - started)


def _ingest_file(
    store: Store, path: Path, settings: Settings, token_counter: TokenCounter, max_tokens: int,
    chunking: str,
) -> tuple[FileOutcome, ChunkChanges | None]:
    source = stored_path(os.path.realpath(path))
    shown = stored_path(path)
    existing = store.find_document(source)
    try:
        prepared = _prepare(path, source, existing, settings, token_counter, max_tokens,
                            chunking)
    except IngestError as error:
        return FileOutcome(shown, Status.SKIPPED, str(error)), None
    except OSError as error:
        return FileOutcome(shown, Status.SKIPPED, os_reason(error)), None
    except (RecursionError, MemoryError, ValueError, LookupError) as error:
        reason = f"could not be parsed ({type(error).__name__}: {error})"[:300]
        return FileOutcome(shown, Status.SKIPPED, reason), None
    if prepared is None or isinstance(prepared, _Touch):
        if prepared is not None:
            store.touch_document(prepared.doc_id, prepared.size, prepared.mtime_ns)
        return FileOutcome(shown, Status.UNCHANGED, "", existing.id, existing.chunk_count), None
    changes = store.save_document(prepared.version, prepared.chunked.chunks)
    status = Status.UPDATED if existing else Status.ADDED
    outcome = FileOutcome(shown, status, "", changes.doc_id, len(prepared.chunked.chunks),
                          prepared.notice)
    return outcome, changes


def _prepare(path: Path, source: str, existing: Document | None, settings: Settings,
             token_counter: TokenCounter, max_tokens: int,
             chunking: str) -> _Prepared | _Touch | None:
    """Read and chunk one file; None (or a new mtime) when the stored version is current."""
    fmt = format_of(path)
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        raise IngestError(f"unsupported file type '{path.suffix or path.name}' "
                          f"(supported: {supported})")
    limit = int(settings.max_file_mb * 1024 * 1024)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for a FIFO or device since discovery
            raise IngestError("not a regular file (changed while ingesting)")
        if info.st_size > limit:
            raise IngestError(_too_large(info.st_size, settings))
        current = existing is not None and existing.chunking == chunking
        if current and (existing.size, existing.mtime_ns) == (info.st_size, info.st_mtime_ns):
            return None
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise IngestError(_too_large(len(data), settings))
    if not data:
        raise IngestError("empty file")
    digest = hashlib.sha256(data).hexdigest()
    if current and existing.sha256 == digest:
        return _Touch(existing.id, len(data), info.st_mtime_ns)
    extracted: ExtractedText = extract(data, fmt)
    cleaned = drop_oversized(extracted.text)
    chunked = chunk_document(cleaned.text, readable_name(path.stem), token_counter, max_tokens,
                             extracted.title, extracted.page_starts,
                             max_chunks=MAX_CHUNKS_PER_FILE)
    notices = list(cleaned.notices)
    if not chunked.chunks:
        raise IngestError("; ".join([*notices, "no text to index"]))
    if chunked.truncated_at_line is not None:
        notices.append(
            f"only the first {len(chunked.chunks)} passages kept (up to line "
            f"{chunked.truncated_at_line - 1}; at most {MAX_CHUNKS_PER_FILE} per file): "
            "split the file to index the rest"
        )
    version = DocumentVersion(source, chunked.title, fmt, extracted.encoding, digest, len(data),
                              info.st_mtime_ns, chunking)
    return _Prepared(version, chunked, "; ".join(notices))


def _too_large(size: int, settings: Settings) -> str:
    return (f"file too large ({size / 2**20:.1f} MB > {settings.max_file_mb:g} MB; "
            "setting max_file_mb)")
