"""The search indexes of one library, kept in step with the chunk store.

SQLite is the source of truth; the FAISS and BM25 files under ``HOME/index`` are derived data.
``state.json`` (written last, atomically) records which chunk set and which embedding model the
files reflect, as a fingerprint of every ``(chunk id, content hash)``. An ingest killed after a
file's transaction but before the index was saved leaves a fingerprint that no longer matches:
the next open notices and brings the index up to date from SQLite, re-embedding nothing that
the embedding cache already holds. A mismatched index is never searched. A write killed midway
also leaves its temporary file (as big as the index); the next sync removes such leftovers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ground.atomic_files import atomic_write_bytes
from ground.errors import LibraryStateError
from ground.records import Chunk
from index.lexical import LexicalIndex
from index.manifest import check_content, read_manifest
from index.passage_windows import Windows, open_windows, pool_size, save_windows
from index.scored import ScoredId
from index.vector_index import (
    VectorIndex,
    choose_index_kind,
    create_vector_index,
    open_vector_index,
    rebuild_as,
    save_vector_index,
)

INDEX_DIR_NAME = "index"
STATE_FILE_NAME = "state.json"
LEFTOVER_PATTERNS = (".*.tmp", ".staging.*")
"""Names our atomic writers give files and folders before renaming them into place."""

_REUSE_CHECKS = 8
VectorsFor = Callable[[Sequence[Chunk]], tuple[np.ndarray, Windows]]
"""Returns the passage embeddings of the given chunks and of their windows
(``index.passage_windows``), from the cache or freshly computed."""


def chunk_fingerprint(chunks: Sequence[Chunk]) -> str:
    """A digest of the chunk set: changes whenever a chunk is added, removed or rewritten."""
    digest = hashlib.sha256()
    for chunk in sorted(chunks, key=lambda c: c.id):
        digest.update(f"{chunk.id}:{chunk.content_hash}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class IndexState:
    """What the index files on disk reflect."""

    model_id: str
    fingerprint: str
    count: int


@dataclass
class SearchIndexes:
    """The in-memory indexes plus the state they reflect; replaced whole, never mutated while
    a search may be reading it."""

    vectors: VectorIndex
    lexical: LexicalIndex
    state: IndexState
    windows: Windows

    def dense(self, query_vector: np.ndarray, k: int) -> list[ScoredId]:
        """The ``k`` passages nearest ``query_vector``: found by their whole vectors, ranked
        with their windows (``index.passage_windows``)."""
        hits = self.vectors.search_one(query_vector, pool_size(k))
        return self.windows.rescore(hits, query_vector, k)


def index_dir(home: Path) -> Path:
    return Path(home) / INDEX_DIR_NAME


def leftover_files(home: Path) -> list[Path]:
    """Temporary files of index writes that were killed midway (no manifest names them)."""
    root = index_dir(home)
    found: set[Path] = set()
    for folder in (root, root / "vectors", root / "lexical", root / "windows"):
        if folder.is_dir():
            for pattern in LEFTOVER_PATTERNS:
                found.update(folder.glob(pattern))
    return sorted(found)


def remove_leftovers(home: Path) -> list[Path]:
    """Delete ``leftover_files``; only safe for the holder of the library's write lock."""
    leftovers = leftover_files(home)
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return leftovers


def read_state(home: Path) -> IndexState | None:
    try:
        raw = json.loads((index_dir(home) / STATE_FILE_NAME).read_text(encoding="utf-8"))
        return IndexState(raw["model_id"], raw["fingerprint"], int(raw["count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_indexes(home: Path, model_id: str, dim: int, chunks: Sequence[Chunk]) -> SearchIndexes:
    """The saved indexes if they reflect exactly ``chunks`` with ``model_id``; else raises
    ``LibraryStateError`` saying why (the caller then syncs)."""
    state = read_state(home)
    if state is None:
        raise LibraryStateError(f"{index_dir(home)}: no search index yet; run 'study reindex'")
    if state.model_id != model_id:
        raise LibraryStateError(
            f"{index_dir(home)}: built with embedding model '{state.model_id}', "
            f"now '{model_id}'; run 'study reindex'"
        )
    fingerprint = chunk_fingerprint(chunks)
    if state.fingerprint != fingerprint:
        raise LibraryStateError(
            f"{index_dir(home)}: out of step with the library's chunks; run 'study reindex'"
        )
    root = index_dir(home)
    vectors = open_vector_index(root / "vectors", model_id, dim, expected_count=len(chunks))
    lexical = LexicalIndex.open(root / "lexical", expected_count=len(chunks))
    check_contents(root, fingerprint)
    windows = open_windows(root / "windows", model_id, dim, fingerprint)
    return SearchIndexes(vectors, lexical, state, windows)


def check_contents(root: Path, fingerprint: str) -> None:
    """Raise unless both index directories were built from the chunk set ``fingerprint``."""
    for name, what in (("vectors", "vector index"), ("lexical", "keyword index")):
        check_content(read_manifest(root / name, what), root / name, what, fingerprint)


def sync_indexes(
    home: Path,
    model_id: str,
    dim: int,
    chunks: Sequence[Chunk],
    vectors_for: VectorsFor,
    previous: SearchIndexes | None = None,
    reuse_saved: bool = True,
) -> SearchIndexes:
    """Bring the indexes to exactly ``chunks`` and save them; embeds only chunks not indexed.

    Vectors already indexed are reused: from ``previous`` (the indexes in memory), else from
    the saved files when ``reuse_saved``. ``previous`` is copied, not modified, so a concurrent
    search keeps a consistent view until the new pair is returned. The caller holds the
    library's write lock, so any temporary file found is a killed writer's, and is removed.
    """
    root = index_dir(home)
    remove_leftovers(home)
    base = previous.vectors if previous is not None else None
    base_windows = previous.windows if previous is not None else None
    if base is None and reuse_saved:
        base, base_windows = _try_open_saved(root, model_id, dim)
        if base is not None and not _same_vectors(base, chunks, vectors_for):
            base = None  # another library's index (same ids, other passages): embed afresh
    vectors = create_vector_index(choose_index_kind(len(chunks)), dim)
    wanted = {chunk.id: chunk for chunk in chunks}
    reused_ids = np.zeros(0, dtype=np.int64)
    if base is not None:
        old_ids, old_vectors = base.items()
        keep = np.isin(old_ids, np.fromiter(wanted, dtype=np.int64, count=len(wanted)))
        reused_ids = old_ids[keep]
        if len(reused_ids):
            vectors.add(reused_ids, old_vectors[keep])
    reused = set(reused_ids.tolist())
    windows = base_windows.only(reused_ids) if base_windows is not None else Windows.empty(dim)
    missing = [chunk for chunk in chunks if chunk.id not in reused]
    if missing:
        fresh, fresh_windows = vectors_for(missing)
        vectors.add(np.array([c.id for c in missing], dtype=np.int64), fresh)
        windows = windows.joined(fresh_windows)
    if vectors.kind != choose_index_kind(len(vectors)):
        vectors = rebuild_as(vectors, choose_index_kind(len(vectors)))
    ordered = sorted(chunks, key=lambda c: c.id)
    lexical = LexicalIndex.build([c.id for c in ordered], [c.embed_text for c in ordered])

    fingerprint = chunk_fingerprint(chunks)
    save_vector_index(vectors, root / "vectors", model_id, fingerprint)
    lexical.save(root / "lexical", fingerprint)
    save_windows(windows, root / "windows", model_id, fingerprint)
    state = IndexState(model_id, fingerprint, len(chunks))
    atomic_write_bytes(root / STATE_FILE_NAME, json.dumps(state.__dict__).encode())
    return SearchIndexes(vectors, lexical, state, windows)


def _same_vectors(base: VectorIndex, chunks: Sequence[Chunk], vectors_for: VectorsFor) -> bool:
    """Whether saved vectors belong to these chunks: a few shared ids, spread over the index,
    must carry the vectors their passages have (from the embedding cache, or embedded)."""
    old_ids, old_vectors = base.items()
    row_of = {int(chunk_id): row for row, chunk_id in enumerate(old_ids)}
    shared = [chunk for chunk in sorted(chunks, key=lambda c: c.id) if chunk.id in row_of]
    sample = shared[:: max(1, len(shared) // _REUSE_CHECKS)][:_REUSE_CHECKS]
    if not sample:
        return True
    expected, _ = vectors_for(sample)
    saved = old_vectors[[row_of[chunk.id] for chunk in sample]]
    return bool(np.all(np.sum(expected * saved, axis=1) > 0.99))


def _try_open_saved(root: Path, model_id: str, dim: int
                    ) -> tuple[VectorIndex | None, Windows | None]:
    """The saved vectors and windows, if both are readable, from the same model and saved by
    the same sync (a kill between the two saves leaves older windows beside newer vectors):
    reused to avoid re-embedding. Otherwise both come from the embedding cache afresh, as for
    an index saved before windows existed."""
    try:
        content_digest = read_manifest(root / "vectors", "vector index").content_digest
        return (open_vector_index(root / "vectors", model_id, dim),
                open_windows(root / "windows", model_id, dim, content_digest))
    except LibraryStateError:
        return None, None
