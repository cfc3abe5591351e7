"""Approximate inner-product search: an HNSW graph (``IndexHNSWFlat``) with our own id map.

faiss HNSW cannot delete a node, so deletes are tombstones: the label's id becomes -1 in the
label -> chunk id array, and searches pass a bitmap ``IDSelector`` of live labels, so the graph
still routes through dead nodes but never returns them (always ``k`` live results, no
over-fetch guessing). An update is a tombstone plus an append. Once more than
:data:`COMPACT_AT` of the nodes are dead, the graph is rebuilt from the live vectors (stored
exactly, ``HNSWFlat``), which keeps recall and memory from drifting.

Not the default (``choose_index_kind`` picks IVF), by measurement (benchmarks/results/search.md):
at 1e5 e5-like vectors it built in 48 s against IVF's 19 s for recall@10 0.982 against 1.000,
and 3e5 vectors took 350 s on the busy 2-core machine, which puts 1e6 beyond the benchmark's
budget. It is kept, behind the same contract tests, for vectors on which IVF's cells lose
recall: on the harder high-intrinsic-dimension set, recall@10 0.985 against IVF's 0.881.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from index.manifest import FileEntry, write_data_file
from index.scored import ScoredId
from index.vector_index import VectorIndex, search_threads

INDEX_FILE = "vectors.hnsw.faiss"
IDS_FILE = "vectors.hnsw.ids.npy"
NEIGHBORS = 32  # M: links per node; M=16 lost ~15 points of recall on the benchmark data
EF_CONSTRUCTION = 64
EF_SEARCH = 128
COMPACT_AT = 0.3  # fraction of dead nodes that triggers a rebuild
DEAD = -1


class HNSWIndex(VectorIndex):
    kind = "hnsw"
    file_names = frozenset({INDEX_FILE, IDS_FILE})

    def __init__(
        self,
        dim: int,
        faiss_index: faiss.IndexHNSWFlat | None = None,
        ids_by_label: np.ndarray | None = None,
        ef_search: int = EF_SEARCH,
    ) -> None:
        super().__init__(dim)
        self._index = faiss_index or _empty_graph(dim)
        self._ids = ids_by_label if ids_by_label is not None else np.empty(0, np.int64)
        self.ef_search = ef_search
        self._labels: dict[int, int] | None = None  # chunk id -> live label, built lazily
        self._live_bits: np.ndarray | None = None  # packed bitmap for the search selector
        self._n_dead = int(np.count_nonzero(self._ids == DEAD))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = self._check_vectors(ids, vectors)
        if not len(ids):
            return
        self._kill(ids)
        labels = self._label_map()
        first = len(self._ids)
        self._index.add(vectors)
        self._ids = np.concatenate([self._ids, ids])
        labels.update(zip(ids.tolist(), range(first, first + len(ids)), strict=True))
        self._live_bits = None

    def remove(self, ids: np.ndarray) -> int:
        removed = self._kill(np.ascontiguousarray(ids, dtype=np.int64).reshape(-1))
        if self._n_dead and self._n_dead > COMPACT_AT * len(self._ids):
            self._compact()
        return removed

    def search(self, query_vectors: np.ndarray, k: int) -> list[list[ScoredId]]:
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, len(self))
        if k <= 0:
            return [[] for _ in queries]
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(self.ef_search, k)
        if self._n_dead:
            params.sel = self._selector()
        with search_threads(len(queries)):
            scores, labels = self._index.search(queries, k, params=params)
        return [
            [
                ScoredId(int(self._ids[label]), float(score))
                for score, label in zip(row_scores, row_labels, strict=True)
                if label >= 0
            ]
            for row_scores, row_labels in zip(scores, labels, strict=True)
        ]

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        live = np.flatnonzero(self._ids != DEAD)
        if not len(live):
            return np.empty(0, np.int64), np.empty((0, self.dim), np.float32)
        vectors = self._index.storage.reconstruct_n(0, self._index.ntotal)[live]
        return self._ids[live].copy(), vectors

    def __len__(self) -> int:
        return len(self._ids) - self._n_dead

    def save(self, directory: Path) -> tuple[FileEntry, ...]:
        directory = Path(directory)

        def write_ids(path: Path) -> None:
            with open(path, "wb") as stream:
                np.save(stream, self._ids, allow_pickle=False)

        return (
            write_data_file(
                directory, INDEX_FILE, lambda p: faiss.write_index(self._index, str(p))
            ),
            write_data_file(directory, IDS_FILE, write_ids),
        )

    @classmethod
    def load(cls, directory: Path, dim: int) -> HNSWIndex:
        directory = Path(directory)
        graph = faiss.read_index(str(directory / INDEX_FILE))
        if (
            not isinstance(graph, faiss.IndexHNSWFlat)
            or graph.d != dim
            or graph.metric_type != faiss.METRIC_INNER_PRODUCT
        ):
            raise ValueError(f"{INDEX_FILE} is not a {dim}-d inner-product IndexHNSWFlat")
        with open(directory / IDS_FILE, "rb") as stream:
            ids = np.load(stream, allow_pickle=False)
        if ids.dtype != np.int64 or ids.ndim != 1 or len(ids) != graph.ntotal:
            raise ValueError(f"{IDS_FILE} does not match the graph ({graph.ntotal} nodes)")
        return cls(dim, graph, ids)

    def _label_map(self) -> dict[int, int]:
        if self._labels is None:
            live = np.flatnonzero(self._ids != DEAD)
            self._labels = dict(zip(self._ids[live].tolist(), live.tolist(), strict=True))
        return self._labels

    def _kill(self, ids: np.ndarray) -> int:
        labels = self._label_map()
        dead = [label for label in (labels.pop(i, None) for i in ids.tolist()) if label is not None]
        if dead:
            self._ids[dead] = DEAD
            self._n_dead += len(dead)
            self._live_bits = None
        return len(dead)

    def _selector(self) -> faiss.IDSelector:
        if self._live_bits is None:
            self._live_bits = np.packbits(self._ids != DEAD, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(self._ids), faiss.swig_ptr(self._live_bits))
        selector.referenced_bits = self._live_bits  # keep the buffer alive with the selector
        return selector

    def _compact(self) -> None:
        ids, vectors = self.items()
        self._index = _empty_graph(self.dim)
        self._ids = np.empty(0, np.int64)
        self._labels, self._live_bits, self._n_dead = {}, None, 0
        if len(ids):
            self.add(ids, vectors)


def _empty_graph(dim: int) -> faiss.IndexHNSWFlat:
    graph = faiss.IndexHNSWFlat(dim, NEIGHBORS, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = EF_CONSTRUCTION
    return graph
