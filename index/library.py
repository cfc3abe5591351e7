"""``Library``: the one API the CLI, the UI, the assistant and the tests use.

It joins the chunk store (``ingest``) with the embedder and the search indexes::

    library = Library.open(settings)
    library.ingest(["examples/notes"])          # chunks into SQLite, then the indexes in step
    hits = library.search("什么是梯度裁剪？", k=5)   # best first, duplicates collapsed

The embedding model loads lazily, so listing documents never pays for it. An open library is
safe to share between threads (the Streamlit app shares one across sessions): searches read an
immutable snapshot -- the indexes plus a read view of SQLite pinned at the state they reflect --
and writers build a new snapshot and swap it in, so a search running while an ingest commits
answers from the old library or the new one, never a mix (nor, as before the view, with the
passages just replaced missing). A snapshot saved by another process (``study ingest`` while
the app runs) is adopted on the next search once it matches the stored chunks; until then the
current one keeps serving.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ground.errors import LibraryStateError
from ground.records import Chunk, Hit
from ground.settings import Settings
from ground.storage_errors import storage_errors
from index import evaluation, evidence, hybrid
from index.chunk_shape import prior_of
from index.cross_language import passage_language
from index.embedding_cache import EmbeddingCache, content_hash, embed_passages_counted
from index.hubness import Hubs, measure_hubs, probe_vectors
from index.index_state import (
    STATE_FILE_NAME,
    SearchIndexes,
    chunk_fingerprint,
    index_dir,
    load_indexes,
    sync_indexes,
)
from index.passage_windows import Windows, window_texts
from index.self_eval import save_self_eval
from ingest.pipeline import ingest_paths
from ingest.report import IngestReport
from ingest.store import Document, RemovedDocument, Store
from ingest.token_count import TokenCounter, load_token_counter
from models.embedding_files import resolve_embedding_model

Progress = Callable[[int, int], None]
MAX_QUERY_CHARS = 2000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class _Snapshot:
    """What one search reads: indexes, duplicate groups and SQLite, all of one library state."""

    indexes: SearchIndexes
    group_of: dict[int, int | None]
    view: Store  # read-only, pinned at the state the indexes reflect (``Store.snapshot``)
    background: np.ndarray  # a sample of passage vectors (``index.evidence``)
    weak_level: float | None  # stand-out of a content-free query's best hit
    hubs: Hubs  # passages near every question of a language (``index.hubness``)
    priors: dict[int, float]  # shape prior of each chunk id seen so far (an id's text never
    # changes: an edited passage gets a new id), filled lazily by searches

    def priors_of(self, ids: list[int]) -> dict[int, float]:
        missing = [i for i in ids if i not in self.priors]
        for chunk in self.view.chunks_by_id(missing) if missing else ():
            self.priors[chunk.id] = prior_of(chunk.heading_path, chunk.text)
        return {i: self.priors.get(i, 1.0) for i in ids}


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
        self._snapshot: _Snapshot | None = None
        self._saved_stamp: tuple[int, int, int] | None = None  # of the state.json in memory
        self._load_lock = threading.RLock()
        self._embedding_counts = (0, 0, 0)  # (embedded, from the cache, windows) by the last sync
        self._listeners: list[Callable[[Library], None]] = []

    def on_change(self, listener: Callable[[Library], None]) -> None:
        """Call ``listener(library)`` after every successful ingest or removal (layers above
        keep derived data in step this way, e.g. the question bank extracts its cards)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener(self)

    @classmethod
    def open(cls, settings: Settings) -> Library:
        return cls(settings, Store.open(settings.home, lock_timeout=settings.lock_timeout))

    def close(self) -> None:
        with self._load_lock:
            if self._snapshot is not None:
                self._snapshot.view.close()
                self._snapshot = None
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
        """Chunk ``paths`` into the store (one transaction per file), then update the indexes;
        the report's ``seconds`` count all of it (embedding and card extraction too)."""
        started = time.perf_counter()
        counter = self.token_counter
        home = self.settings.home
        with self.store.writing():
            with storage_errors(home, "saving the notes"):
                report = ingest_paths(self.store, list(paths), self.settings, counter,
                                      progress=progress, prune=prune, max_tokens=counter.window)
            with storage_errors(home, "updating the search index", "run 'study reindex'"):
                self._embedding_counts = (0, 0, 0)
                self._sync(embed_progress)
        self._changed()
        embedded, from_cache, windows = self._embedding_counts
        return replace(report, embedded=embedded, from_cache=from_cache, windows=windows,
                       seconds=time.perf_counter() - started)

    def remove(self, ref: str | int) -> RemovedDocument:
        with self.store.writing(), storage_errors(self.settings.home, "removing a document"):
            removed = self.store.remove_document(ref)
            self._sync(None)
        self._changed()
        return removed

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the indexes from SQLite (vectors come from the embedding cache)."""
        home = self.settings.home
        with self.store.writing(), storage_errors(home, "rebuilding the search index"):
            self._sync(progress, reuse=False)
            return len(self._snapshot.group_of)

    def _sync(self, progress: Progress | None, reuse: bool = True) -> None:
        view = self.store.snapshot()  # the caller holds the write lock: nothing commits now
        chunks = view.chunks()
        embedder = self.embedder
        previous = self._snapshot.indexes if reuse and self._snapshot is not None else None
        indexes = sync_indexes(
            self.settings.home, embedder.model_id, embedder.dim, chunks,
            lambda missing: self._vectors_for(missing, progress),
            previous=previous, reuse_saved=reuse,
        )
        self._install(indexes, chunks, view)
        self._saved_stamp = self._state_stamp()  # our own save: nothing to adopt

    def _vectors_for(self, chunks: Sequence[Chunk], progress: Progress | None
                     ) -> tuple[np.ndarray, Windows]:
        """The chunks' vectors and their windows' (``index.passage_windows``), embedded in one
        pass so that one progress bar counts both."""
        embedder = self.embedder
        owners: list[int] = []
        window_texts_all: list[str] = []
        for chunk in chunks:
            texts = window_texts(chunk, lambda texts: embedder.token_counts(texts, "passage"))
            owners += [chunk.id] * len(texts)
            window_texts_all += texts
        with EmbeddingCache.open(self.settings.home, embedder.model_id, embedder.dim) as cache:
            vectors, embedded, cached = embed_passages_counted(
                embedder, cache, [c.embed_text for c in chunks] + window_texts_all,
                [c.content_hash for c in chunks] + [content_hash(t) for t in window_texts_all],
                progress)
        done, reused, windows = self._embedding_counts
        self._embedding_counts = (done + embedded, reused + cached,
                                  windows + len(window_texts_all))
        return vectors[:len(chunks)], Windows.of(owners, vectors[len(chunks):])

    def _install(self, indexes: SearchIndexes, chunks: list[Chunk], view: Store) -> None:
        """Swap in a new snapshot; the old view closes when its last search lets go of it."""
        group_of = {chunk.id: chunk.group_id for chunk in chunks}
        embedder = self.embedder
        background = evidence.background_vectors(self.settings.home, indexes.state.model_id,
                                                 embedder.dim, chunks)
        level = evidence.content_free_level(
            lambda queries: embedder.embed_batch(queries, "query"),
            lambda vector: next((h.score for h in indexes.dense(vector, 1)), None),
            background)
        ids, vectors = indexes.vectors.items()
        hubs = measure_hubs(ids, vectors, {c.id: passage_language(c.text) for c in chunks},
                            probe_vectors(lambda queries: embedder.embed_batch(queries, "query")))
        with self._load_lock:
            self._snapshot = _Snapshot(indexes, group_of, view, background, level, hubs, {})

    # -- reading ---------------------------------------------------------------------------

    def documents(self) -> list[Document]:
        return self.store.documents()

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        return self.store.chunks(doc_id)

    def self_test(self) -> evaluation.Scores:
        """How well each question heading finds its own passage (``study eval --self``); the
        figures are saved in the home, where ``study ingest`` shows them next time."""
        embedder = self.embedder
        scores, _ = evaluation.self_test(
            self.chunks(), embedder.embed_passages,
            lambda queries: embedder.embed_batch(queries, "query"), embedder.dim,
        )
        save_self_eval(self.settings.home, scores)
        return scores

    def indexes(self, progress: Progress | None = None) -> SearchIndexes:
        """The current index snapshot, loading it (or bringing it in step, reporting the
        embedding to ``progress``) on first use, and adopting one another process saved since."""
        return self._current(progress).indexes

    def _current(self, progress: Progress | None = None) -> _Snapshot:
        with self._load_lock:
            if self._snapshot is None:
                if not self._load_saved():
                    home = self.settings.home
                    with self.store.writing(), storage_errors(home, "rebuilding the search index"):
                        self._sync(progress)  # derived data: rebuild it from SQLite
            elif not self.store.writing().held and self._saved_stamp != self._state_stamp():
                self._load_saved()  # if it fails, the current snapshot keeps serving
            return self._snapshot

    def _state_stamp(self) -> tuple[int, int, int] | None:
        """Identity of the saved ``state.json`` (replaced by rename, so a new inode per save)."""
        try:
            info = os.stat(index_dir(self.settings.home) / STATE_FILE_NAME)
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def _load_saved(self) -> bool:
        """Install the saved indexes if they reflect the stored chunks; False if they do not.

        A writer (another process) may be mid-way or the files damaged: a search never waits
        for the write lock to find out. The chunks are read again after loading, since a
        writer may commit and rewrite files while they are being read.
        """
        self._saved_stamp = self._state_stamp()
        view = self.store.snapshot()
        chunks = view.chunks()
        embedder = self.embedder
        try:
            indexes = load_indexes(self.settings.home, embedder.model_id, embedder.dim, chunks)
        except LibraryStateError:
            view.close()
            return False
        if chunk_fingerprint(self.store.chunks()) != indexes.state.fingerprint:
            view.close()
            return False
        self._install(indexes, chunks, view)
        return True

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
        snapshot = self._current()
        query_vector = self.embedder.embed_query(query) if mode != "lexical" else None
        keep = None
        if doc_ids is not None:
            wanted_docs = set(doc_ids)
            doc_of = {c.id: c.doc_id for c in snapshot.view.chunks()}
            keep = lambda chunk_id: doc_of.get(chunk_id) in wanted_docs  # noqa: E731
        to_z = None
        if query_vector is not None:
            to_z = evidence.z_scale(query_vector, snapshot.background)
        dense_is_weak = None
        if to_z is not None and snapshot.weak_level is not None:
            dense_is_weak = lambda cosine: evidence.is_weak(to_z(cosine), snapshot.weak_level)  # noqa: E731
        ranked = hybrid.rank(snapshot.indexes, query, query_vector, k, mode, snapshot.group_of,
                             keep, snapshot.priors_of, dense_is_weak,
                             lambda dense: snapshot.hubs.demote(dense, query))
        z_scores = {}
        if to_z is not None:
            z_scores = {chunk_id: to_z(cosine) for chunk_id, cosine in ranked.similarity.items()}
        return self._hits(ranked, snapshot.view, z_scores, snapshot.weak_level)

    def _hits(self, ranked: hybrid.RankedIds, view: Store, z_scores: dict[int, float],
              weak_level: float | None) -> list[Hit]:
        """A hit the dense search did not return (found by keywords alone) has no stand-out of
        its own, but no more than the least of the dense candidates: weak when that is."""
        chunks = {c.id: c for c in view.chunks_by_id([h.id for h in ranked.kept])}
        below_dense = min(z_scores.values(), default=None)
        hits = []
        for scored in ranked.kept:
            chunk = chunks.get(scored.id)
            if chunk is None:  # the view matches the index: only a damaged file gets here
                continue
            also_in = ()
            if chunk.group_id is not None:
                also_in = tuple(
                    location for location in view.duplicate_locations(chunk.group_id)
                    if location != chunk.location
                )
            z = z_scores.get(scored.id)
            weak = evidence.is_weak(z if z is not None else below_dense, weak_level)
            hits.append(Hit(chunk, scored.score, also_in, ranked.similarity.get(scored.id), z,
                            weak))
        return hits
