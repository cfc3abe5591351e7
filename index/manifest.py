"""What an index directory holds, checked before anything in it is read.

Every index (vector or lexical) lives in its own directory with a ``manifest.json`` naming the
embedding model (or tokenizer) it was built with, its dimension, how many chunks it holds, its
type, the size and sha256 of each data file, and the digest of the chunk set it was built from
(every chunk id and content hash, ``index_state.chunk_fingerprint``). That digest binds the
index to *this* library: index files copied from another library of the same size, whose ids
even coincide, are detected (:func:`check_content`) and rebuilt, never searched.

Opening checks all of that first, so a library
built with another model, a half-written or corrupt file, or an index out of step with the chunk
store is reported as one line telling the user to run ``study reindex`` -- never loaded silently.
Only files the manifest names are ever opened; anything else in the directory is ignored.

Data files are written with :func:`write_data_file`: to a temporary name in the same directory,
fsynced, hashed, then ``os.replace``d, so a crash leaves the old file or the new one, never half.
The manifest is written last; a crash in between leaves a sha256 mismatch, reported as above.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ground.atomic_files import atomic_write_bytes, fsync_dir, sha256_of
from ground.errors import LibraryStateError

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
REINDEX_HINT = "run 'study reindex'"


@dataclass(frozen=True)
class FileEntry:
    """One data file of an index: its name inside the index directory, size and sha256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class IndexManifest:
    """What was built: index type, model (or tokenizer) id and dimension, chunk count, files."""

    index_type: str
    model_id: str
    dim: int
    count: int
    files: tuple[FileEntry, ...]
    schema_version: int = SCHEMA_VERSION
    content_digest: str = ""  # of the chunk set it reflects; "" in manifests written before


def write_data_file(directory: Path, name: str, write: Callable[[Path], None]) -> FileEntry:
    """Let ``write(temporary_path)`` produce the file, then fsync, hash and move it into place.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> write_data_file(d, "x.bin", lambda p: p.write_bytes(b"abc")).size
    3
    """
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{name}.{os.getpid()}.tmp"
    try:
        write(temporary)
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        entry = FileEntry(name, temporary.stat().st_size, sha256_of(temporary))
        os.replace(temporary, directory / name)
        fsync_dir(directory)
    finally:
        temporary.unlink(missing_ok=True)
    return entry


def write_manifest(directory: Path, manifest: IndexManifest) -> None:
    payload = asdict(manifest)
    payload["files"] = [asdict(entry) for entry in manifest.files]
    atomic_write_bytes(directory / MANIFEST_NAME, json.dumps(payload, indent=1).encode())


def read_manifest(directory: Path, what: str) -> IndexManifest:
    """The manifest of ``directory``; ``what`` ("vector index", ...) names it in errors."""
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise LibraryStateError(f"{directory}: {what} missing (no {MANIFEST_NAME}); {REINDEX_HINT}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("schema_version") != SCHEMA_VERSION:
            raise LibraryStateError(
                f"{path}: {what} has format version {payload.get('schema_version')}, "
                f"this program reads {SCHEMA_VERSION}; {REINDEX_HINT}"
            )
        files = tuple(
            FileEntry(str(f["name"]), int(f["size"]), str(f["sha256"])) for f in payload["files"]
        )
        return IndexManifest(
            index_type=str(payload["index_type"]),
            model_id=str(payload["model_id"]),
            dim=int(payload["dim"]),
            count=int(payload["count"]),
            files=files,
            content_digest=str(payload.get("content_digest", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise LibraryStateError(f"{path}: {what} manifest is corrupt; {REINDEX_HINT}") from None


def check_manifest(
    manifest: IndexManifest,
    directory: Path,
    what: str,
    model_id: str,
    dim: int,
    expected_count: int | None = None,
) -> None:
    """Raise unless the manifest matches the model, dimension and chunk count the caller has."""
    if manifest.model_id != model_id or manifest.dim != dim:
        raise LibraryStateError(
            f"{directory}: {what} was built with '{manifest.model_id}' (dim {manifest.dim}), "
            f"not '{model_id}' (dim {dim}); {REINDEX_HINT}"
        )
    if expected_count is not None and manifest.count != expected_count:
        raise LibraryStateError(
            f"{directory}: {what} holds {manifest.count} chunks but the library has "
            f"{expected_count}; {REINDEX_HINT}"
        )


def check_content(manifest: IndexManifest, directory: Path, what: str, content_digest: str) -> None:
    """Raise unless the index was built from exactly the chunk set with ``content_digest``."""
    if manifest.content_digest != content_digest:
        raise LibraryStateError(
            f"{directory}: {what} was built from other chunks than this library's (copied from "
            f"another library, or left by an interrupted write); {REINDEX_HINT}"
        )


def verify_files(
    directory: Path, manifest: IndexManifest, what: str, expected_names: set[str]
) -> None:
    """Check each listed file is exactly the one written: expected name, size, then sha256.

    The full hash costs about 0.1 s per 150 MB (one 1e5-chunk flat index); it is the only
    check that catches a same-size corruption, so it always runs.
    """
    names = {entry.name for entry in manifest.files}
    if names != expected_names:
        raise LibraryStateError(
            f"{directory}: {what} lists files {sorted(names)}, expected {sorted(expected_names)}; "
            f"{REINDEX_HINT}"
        )
    for entry in manifest.files:
        path = directory / entry.name
        size = path.stat().st_size if path.is_file() else -1
        if size != entry.size:
            raise LibraryStateError(f"{path}: {what} file missing or truncated; {REINDEX_HINT}")
        if sha256_of(path) != entry.sha256:
            raise LibraryStateError(f"{path}: {what} file is corrupt (checksum); {REINDEX_HINT}")
