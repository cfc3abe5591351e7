"""Passage embeddings cached by chunk content hash, so re-ingest embeds only what changed.

Embedding is the slow step of ingest (tens of milliseconds a passage); an edited note usually
changes one or two of its chunks. Vectors are keyed by ``(model_id, content_hash)``: the model
id names the numerics too (``.../onnx-int8`` vs ``.../torch-fp32``), so switching backend or
model never mixes vectors, it just misses.

The cache is one SQLite file in the library home: every ``put`` is a transaction, so a crash
leaves the old rows or the new ones, never half a vector, and concurrent readers are safe.
Passages are embedded and committed ``COMMIT_BATCH`` at a time, so an interrupted ingest of a
big file loses at most one batch: the next command (ingest, search, reindex) finds the rest in
the cache and its progress bar starts where the last one stopped.
Vectors are raw little-endian float32 bytes (``np.frombuffer``): never pickled.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ground.errors import LibraryStateError
from index.embedder import Embedder, EmbedProgress

CACHE_FILE_NAME = "embedding-cache.sqlite"
_LOOKUP_BATCH = 500  # host parameters per SELECT, well under SQLite's limit
COMMIT_BATCH = 128
"""Passages embedded per cache commit: a few seconds of work on two cores."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, content_hash)
) WITHOUT ROWID
"""


def content_hash(text: str) -> str:
    """The cache key of a text that has none from the chunk store (sha256, like ``Chunk``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Float32 vectors of one model, by content hash, in ``HOME/embedding-cache.sqlite``."""

    def __init__(self, path: Path, model_id: str, dim: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model_id = model_id
        self.dim = dim
        try:
            self._db = sqlite3.connect(path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as error:
            raise LibraryStateError(
                f"{path}: unreadable embedding cache ({error}); delete it, it is rebuilt"
            ) from None

    @classmethod
    def open(cls, home: Path, model_id: str, dim: int) -> EmbeddingCache:
        return cls(Path(home) / CACHE_FILE_NAME, model_id, dim)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (self.model_id,)
        ).fetchone()
        return count

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes`` (missing ones are simply absent)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), _LOOKUP_BATCH):
            part = unique[start : start + _LOOKUP_BATCH]
            rows = self._db.execute(
                "SELECT content_hash, vector FROM embeddings WHERE model_id = ? "
                f"AND content_hash IN ({','.join('?' * len(part))})",
                (self.model_id, *part),
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype="<f4")
                if vector.shape == (self.dim,):  # a wrong-sized row is a miss, not a crash
                    found[key] = vector
        return found

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store rows of ``vectors`` under ``hashes`` in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"expected {(len(hashes), self.dim)} vectors, got {vectors.shape}")
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, content_hash, vector) "
                "VALUES (?, ?, ?)",
                [
                    (self.model_id, key, row.tobytes())
                    for key, row in zip(hashes, vectors, strict=True)
                ],
            )

    def retain(self, hashes: Sequence[str]) -> int:
        """Drop this model's vectors not in ``hashes`` (chunks gone from the library)."""
        keep = set(hashes)
        stale = [
            (self.model_id, key)
            for (key,) in self._db.execute(
                "SELECT content_hash FROM embeddings WHERE model_id = ?", (self.model_id,)
            )
            if key not in keep
        ]
        with self._db:
            self._db.executemany(
                "DELETE FROM embeddings WHERE model_id = ? AND content_hash = ?", stale
            )
        return len(stale)


def embed_passages_cached(
    embedder: Embedder,
    cache: EmbeddingCache,
    texts: Sequence[str],
    hashes: Sequence[str] | None = None,
    progress: EmbedProgress | None = None,
) -> np.ndarray:
    """Passage vectors for ``texts`` in order: cached rows reused, the rest embedded and stored
    ``COMMIT_BATCH`` at a time (each batch committed before the next starts).

    ``hashes`` are the chunks' ``content_hash`` (sha256 of the embedded text); computed when
    omitted. ``progress`` gets (passages with a vector, passages asked for): cached ones count
    as done from the start, so a resumed run shows how far the last one got.
    """
    return embed_passages_counted(embedder, cache, texts, hashes, progress)[0]


def embed_passages_counted(
    embedder: Embedder,
    cache: EmbeddingCache,
    texts: Sequence[str],
    hashes: Sequence[str] | None = None,
    progress: EmbedProgress | None = None,
) -> tuple[np.ndarray, int, int]:
    """``embed_passages_cached`` plus how many passages were embedded and how many came from
    the cache."""
    if cache.model_id != embedder.model_id or cache.dim != embedder.dim:
        raise ValueError(f"cache holds {cache.model_id}, embedder is {embedder.model_id}")
    hashes = list(hashes) if hashes is not None else [content_hash(text) for text in texts]
    if len(hashes) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(hashes)} hashes")
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    cached = cache.get(hashes)
    first_of: dict[str, int] = {}
    for index, key in enumerate(hashes):
        if key not in cached:
            first_of.setdefault(key, index)
    missing = list(first_of.values())
    total, done = len(texts), len(texts) - len(missing)
    if progress and missing:
        progress(done, total)
    # longest first, so each commit batch holds passages of similar length (cheap to pad)
    order = np.argsort([-n for n in embedder.token_counts([texts[i] for i in missing],
                                                           "passage")], kind="stable")
    missing = [missing[i] for i in order]
    for start in range(0, len(missing), COMMIT_BATCH):
        batch = missing[start : start + COMMIT_BATCH]
        fresh = embedder.embed_passages([texts[i] for i in batch])
        cache.put([hashes[i] for i in batch], fresh)
        cached.update(zip([hashes[i] for i in batch], fresh, strict=True))
        done += len(batch)
        if progress:
            progress(done, total)
    for index, key in enumerate(hashes):
        vectors[index] = cached[key]
    return vectors, len(missing), len(texts) - len(missing)
