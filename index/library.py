"""``Library``: the one API the CLI, the UI, the assistant and the tests use.

It joins the chunk store (``ingest``) with the embedder and the search indexes::

    library = Library.open(settings)
    library.ingest(["examples/notes"])          # chunks into SQLite, then the indexes in step
    hits = library.search("什么是梯度裁剪？", k=5)   # best first, duplicates collapsed

The embedding model loads lazily, so listing documents never pays for it. An open library is
safe to share between threads (the Streamlit app shares one across sessions): searches read an
immutable snapshot of the indexes, and writers build a new snapshot and swap it in.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index import hybrid
from index.embedding_cache import EmbeddingCache, embed_passages_cached
from index.embedding_files import resolve_embedding_model
from index.index_state import SearchIndexes, load_indexes, sync_indexes
from ingest.errors import LibraryStateError
from ingest.pipeline import ingest_paths
from ingest.records import Chunk, Hit
from ingest.report import IngestReport
from ingest.settings import Settings
from ingest.store import Document, RemovedDocument, Store
from ingest.token_count import TokenCounter, load_token_counter

Progress = Callable[[int, int], None]
MAX_QUERY_CHARS = 2000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(query: str) -> str:
    """A query as searched: control characters removed, whitespace trimmed, length capped.

    >>> clean_query("  what is\\x00 dropout?\\n")
    'what is dropout?'
    """
    return _CONTROL_CHARS.sub("", query).strip()[:MAX_QUERY_CHARS]


class Library:
    """An open study library in ``settings.home``."""

    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self._embedder = None
        self._token_counter: TokenCounter | None = None
        self._indexes: SearchIndexes | None = None
        self._group_of: dict[int, int | None] = {}
        self._load_lock = threading.RLock()

    @classmethod
    def open(cls, settings: Settings) -> Library:
        return cls(settings, Store.open(settings.home, lock_timeout=settings.lock_timeout))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- models (loaded once, on first use) ------------------------------------------------

    @property
    def embedder(self):
        with self._load_lock:
            if self._embedder is None:
                from index.embedder import create_embedder

                self._embedder = create_embedder(self.settings)
            return self._embedder

    @property
    def token_counter(self) -> TokenCounter:
        with self._load_lock:
            if self._token_counter is None:
                self._token_counter = load_token_counter(
                    resolve_embedding_model(self.settings)
                )
            return self._token_counter

    # -- writing ---------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path],
        progress: Progress | None = None,
        prune: bool = False,
        embed_progress: Progress | None = None,
    ) -> IngestReport:
        """Chunk ``paths`` into the store (one transaction per file), then update the indexes."""
        counter = self.token_counter
        with self.store.writing():
            report = ingest_paths(self.store, list(paths), self.settings, counter,
                                  progress=progress, prune=prune, max_tokens=counter.window)
            self._sync(embed_progress)
        return report

    def remove(self, ref: str | int) -> RemovedDocument:
        with self.store.writing():
            removed = self.store.remove_document(ref)
            self._sync(None)
        return removed

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the indexes from SQLite (vectors come from the embedding cache)."""
        with self.store.writing():
            self._indexes = None
            self._sync(progress, reuse=False)
        return len(self._group_of)

    def _sync(self, progress: Progress | None, reuse: bool = True) -> None:
        chunks = self.store.chunks()
        embedder = self.embedder
        indexes = sync_indexes(
            self.settings.home, embedder.model_id, embedder.dim, chunks,
            lambda missing: self._vectors_for(missing, progress),
            previous=self._indexes if reuse else None, reuse_saved=reuse,
        )
        self._install(indexes, chunks)

    def _vectors_for(self, chunks: Sequence[Chunk], progress: Progress | None) -> np.ndarray:
        embedder = self.embedder
        with EmbeddingCache.open(self.settings.home, embedder.model_id, embedder.dim) as cache:
            return embed_passages_cached(embedder, cache, [c.embed_text for c in chunks],
                                         [c.content_hash for c in chunks], progress)

    def _install(self, indexes: SearchIndexes, chunks: list[Chunk]) -> None:
        group_of = {chunk.id: chunk.group_id for chunk in chunks}
        with self._load_lock:
            self._indexes, self._group_of = indexes, group_of

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return self.store.documents()

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        return self.store.chunks(doc_id)

    def indexes(self) -> SearchIndexes:
        """The current index snapshot, loading it (or bringing it in step) on first use."""
        with self._load_lock:
            if self._indexes is None:
                chunks = self.store.chunks()
                embedder = self.embedder
                try:
                    self._install(
                        load_indexes(self.settings.home, embedder.model_id, embedder.dim, chunks),
                        chunks,
                    )
                except LibraryStateError:
                    with self.store.writing():  # derived data: rebuild it from SQLite
                        self._sync(None)
            return self._indexes

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: str | None = None,
        doc_ids: Sequence[int] | None = None,
    ) -> list[Hit]:
        """Up to ``k`` passages for ``query``, best first; one hit per duplicate group."""
        query = clean_query(query)
        k = k or self.settings.top_k
        mode = mode or self.settings.search_mode
        if mode not in hybrid.MODES:
            raise ValueError(f"unknown search mode '{mode}' (one of {', '.join(hybrid.MODES)})")
        if not query or k <= 0:
            return []
        indexes = self.indexes()
        group_of = self._group_of
        query_vector = self.embedder.embed_query(query) if mode != "lexical" else None
        keep = None
        if doc_ids is not None:
            wanted_docs = set(doc_ids)
            doc_of = {c.id: c.doc_id for c in self.store.chunks()}
            keep = lambda chunk_id: doc_of.get(chunk_id) in wanted_docs  # noqa: E731
        ranked = hybrid.rank(indexes, query, query_vector, k, mode, group_of, keep)
        return self._hits(ranked)

    def _hits(self, ranked: hybrid.RankedIds) -> list[Hit]:
        chunks = {c.id: c for c in self.store.chunks_by_id([h.id for h in ranked.kept])}
        hits = []
        for scored in ranked.kept:
            chunk = chunks.get(scored.id)
            if chunk is None:  # removed by a writer since this snapshot: skip, never guess
                continue
            also_in = ()
            if chunk.group_id is not None:
                also_in = tuple(
                    location for location in self.store.duplicate_locations(chunk.group_id)
                    if location != chunk.location
                )
            hits.append(Hit(chunk, scored.score, also_in, ranked.similarity.get(scored.id)))
        return hits
