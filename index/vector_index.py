"""The ``VectorIndex`` seam, its factory, and opening/saving an index directory with a manifest.

A backend stores (chunk id, unit vector) pairs and answers inner-product top-k queries. Three
backends, one file each:

- ``flat`` (:mod:`index.vector_flat`): exact search, for libraries below
  :data:`APPROXIMATE_FROM` chunks, where scanning every vector is still fast.
- ``ivf`` (:mod:`index.vector_ivf`): approximate inverted-file search for larger libraries
  (the default there: fast to build, real deletes).
- ``hnsw`` (:mod:`index.vector_hnsw`): approximate graph search; slower to build, deletes by
  tombstone, kept as the alternative for vectors on which IVF loses recall.

``create_vector_index(choose_index_kind(n), dim)`` picks one; ``save_vector_index`` and
``open_vector_index`` wrap a backend's own ``save``/``load`` with the manifest checks of
:mod:`index.manifest`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

from ground.errors import LibraryStateError
from index.manifest import (
    REINDEX_HINT,
    FileEntry,
    IndexManifest,
    check_manifest,
    read_manifest,
    verify_files,
    write_manifest,
)
from index.scored import ScoredId

WHAT = "vector index"

#: From this many chunks on, ``choose_index_kind`` picks the approximate backend. Measured in
#: benchmarks/results/search.md (one thread per query, busy 2-core Zen 3): IVF is faster than
#: exact search from 1e4 chunks on (0.2 vs 4.5 ms p95), but exact search stays within budget
#: longer -- 9-17 ms p95 at 1e5, 44 ms at 3e5 -- so below 2e5 exactness is kept for free; past
#: it, exact search alone would eat most of the 50 ms budget.
APPROXIMATE_FROM = 200_000

_BACKENDS = {
    "flat": ("index.vector_flat", "FlatIndex"),
    "hnsw": ("index.vector_hnsw", "HNSWIndex"),
    "ivf": ("index.vector_ivf", "IVFIndex"),
}

#: Queries at most this many at a time run on one thread: OpenMP threads spin-wait, and on a
#: busy 2-core machine a 2-thread single query was measured 8x slower than a 1-thread one.
SINGLE_THREAD_BELOW = 8


class VectorIndex(ABC):
    """Chunk ids and their unit vectors; search returns the highest inner products."""

    kind: ClassVar[str]
    file_names: ClassVar[frozenset[str]]

    def __init__(self, dim: int) -> None:
        self.dim = dim

    @abstractmethod
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert ``vectors`` under ``ids``; an id already present is replaced (an update)."""

    @abstractmethod
    def search(self, query_vectors: np.ndarray, k: int) -> list[list[ScoredId]]:
        """For each query row, up to ``k`` (id, inner product) pairs, best first."""

    @abstractmethod
    def remove(self, ids: np.ndarray) -> int:
        """Remove ``ids`` (unknown ids are ignored); returns how many were removed."""

    @abstractmethod
    def save(self, directory: Path) -> tuple[FileEntry, ...]:
        """Write the data files atomically into ``directory``; the manifest is the caller's."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, dim: int) -> VectorIndex:
        """Read the files ``save`` wrote (already verified by ``open_vector_index``)."""

    @abstractmethod
    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """All live (ids, vectors), to rebuild as another kind without re-embedding."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of live ids."""

    def search_one(self, query_vector: np.ndarray, k: int) -> list[ScoredId]:
        return self.search(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), k)[0]

    def _check_vectors(self, ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(ids):
            raise ValueError(
                f"expected {len(ids)} vectors of dimension {self.dim}, got shape {vectors.shape}"
            )
        return _last_occurrence(ids, vectors)


def _last_occurrence(ids: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated ids within one batch, keeping the last (the newest vector wins)."""
    reversed_ids = ids[::-1]
    _, first_in_reversed = np.unique(reversed_ids, return_index=True)
    if len(first_in_reversed) == len(ids):
        return ids, vectors
    keep = np.sort(len(ids) - 1 - first_in_reversed)
    return ids[keep], vectors[keep]


@contextmanager
def search_threads(n_queries: int) -> Iterator[None]:
    """Run faiss on one thread for a handful of queries (the ICV is per calling thread)."""
    if n_queries >= SINGLE_THREAD_BELOW:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def to_scored(scores: np.ndarray, labels: np.ndarray) -> list[list[ScoredId]]:
    """faiss (distances, labels) rows to ScoredId lists, dropping the -1 padding."""
    return [
        [
            ScoredId(int(label), float(score))
            for score, label in zip(row_scores, row_labels, strict=True)
            if label >= 0
        ]
        for row_scores, row_labels in zip(scores, labels, strict=True)
    ]


def backend_class(kind: str) -> type[VectorIndex]:
    try:
        module_name, class_name = _BACKENDS[kind]
        return getattr(importlib.import_module(module_name), class_name)
    except (KeyError, ImportError, AttributeError) as error:
        raise ImportError(f"Unable to resolve ann backend: '{kind}'") from error


def create_vector_index(kind: str, dim: int) -> VectorIndex:
    """An empty index of ``kind`` ("flat", "ivf" or "hnsw").

    >>> create_vector_index("flat", 4).kind
    'flat'
    """
    return backend_class(kind)(dim)


def choose_index_kind(n_chunks: int) -> str:
    """Exact search below :data:`APPROXIMATE_FROM` chunks, IVF from there on.

    >>> choose_index_kind(50_000), choose_index_kind(1_000_000)
    ('flat', 'ivf')
    """
    return "flat" if n_chunks < APPROXIMATE_FROM else "ivf"


def rebuild_as(index: VectorIndex, kind: str) -> VectorIndex:
    """The same ids and vectors in a backend of another kind (when the library outgrows one)."""
    ids, vectors = index.items()
    rebuilt = create_vector_index(kind, index.dim)
    if len(ids):
        rebuilt.add(ids, vectors)
    return rebuilt


def save_vector_index(
    index: VectorIndex, directory: Path, model_id: str, content_digest: str = ""
) -> IndexManifest:
    """Write the index's files, then the manifest naming ``model_id`` and the chunk set
    (``content_digest``) it was built from, into ``directory``."""
    directory = Path(directory)
    files = index.save(directory)
    manifest = IndexManifest(index.kind, model_id, index.dim, len(index), files,
                             content_digest=content_digest)
    write_manifest(directory, manifest)
    return manifest


def open_vector_index(
    directory: Path, model_id: str, dim: int, expected_count: int | None = None
) -> VectorIndex:
    """Load the index in ``directory`` after checking it matches the model and chunk count.

    Raises :class:`LibraryStateError` (one line ending in "run 'study reindex'") when the
    manifest is missing, names another model or dimension, disagrees with ``expected_count``
    (the chunk store's count), or when a file is truncated, corrupt or unreadable.
    """
    directory = Path(directory)
    manifest = read_manifest(directory, WHAT)
    check_manifest(manifest, directory, WHAT, model_id, dim, expected_count)
    try:
        cls = backend_class(manifest.index_type)
    except ImportError:
        raise LibraryStateError(
            f"{directory}: unknown {WHAT} type '{manifest.index_type}'; {REINDEX_HINT}"
        ) from None
    verify_files(directory, manifest, WHAT, set(cls.file_names))
    try:
        index = cls.load(directory, dim)
    except (RuntimeError, ValueError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LibraryStateError(
            f"{directory}: {WHAT} unreadable ({reason}); {REINDEX_HINT}"
        ) from None
    if len(index) != manifest.count:
        raise LibraryStateError(
            f"{directory}: {WHAT} holds {len(index)} vectors, its manifest says "
            f"{manifest.count}; {REINDEX_HINT}"
        )
    return index
