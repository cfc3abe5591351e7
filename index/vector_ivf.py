"""Approximate inner-product search: an inverted file of exact vectors (``IVF{nlist},Flat``).

k-means splits the vectors into ``nlist`` cells; a query scans only the ``nprobe`` cells whose
centroids are closest. Vectors are stored unquantized, so the only error is a neighbour sitting
in an unscanned cell.

Chosen as the approximate backend by measurement (benchmarks/results/search.md): on
vectors shaped like e5 embeddings it matched or beat HNSW's recall@10 (1.000 at 1e5 and 1e6)
at a fraction of the build time (209 s for 1e6 chunks on a busy 2-core machine; HNSW took
350 s for 3e5), and unlike faiss HNSW it deletes for real (a hash-table direct map finds an
id's cell), so updates are remove-then-add with no tombstones. Its weak spot: vectors without
cluster structure (the benchmark's high-dimensional set: recall@10 0.881 at 1e5, HNSW 0.985).

The first ``add`` trains the cells on that batch, so build with the whole library (as
``rebuild_as`` does). When the library outgrows its cells (4 sqrt(n) is twice ``nlist``),
``add`` retrains from the stored vectors.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from index.manifest import FileEntry, write_data_file
from index.scored import ScoredId
from index.vector_index import VectorIndex, search_threads, to_scored

INDEX_FILE = "vectors.ivf.faiss"
CELLS_PER_SQRT_N = 4  # nlist = 4 sqrt(n): the usual faiss guidance for 1e5-1e7 vectors
TRAIN_POINTS_PER_CELL = 40  # faiss warns below 39
KMEANS_ITERATIONS = 10
PROBED_FRACTION = 1 / 32  # nprobe = nlist / 32, at least MIN_PROBES
MIN_PROBES = 16
SEED = 1234


def cells_for(n: int) -> int:
    """``nlist`` for ``n`` vectors: 4 sqrt(n), but at least 40 training points per cell.

    >>> cells_for(10), cells_for(100_000), cells_for(1_000_000)
    (1, 1264, 4000)
    """
    return max(1, min(int(CELLS_PER_SQRT_N * math.sqrt(n)), n // TRAIN_POINTS_PER_CELL))


def probes_for(nlist: int) -> int:
    return min(nlist, max(MIN_PROBES, int(nlist * PROBED_FRACTION)))


class IVFIndex(VectorIndex):
    kind = "ivf"
    file_names = frozenset({INDEX_FILE})

    def __init__(
        self, dim: int, faiss_index: faiss.IndexIVFFlat | None = None, nprobe: int | None = None
    ) -> None:
        super().__init__(dim)
        self._index = faiss_index
        self.nprobe = nprobe

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids, vectors = self._check_vectors(ids, vectors)
        if not len(ids):
            return
        if self._index is None:
            self._index = _trained(vectors, self.dim)
        else:
            self.remove(ids)
        self._index.add_with_ids(vectors, ids)
        if cells_for(len(self)) >= 2 * self._index.nlist:
            self._retrain()

    def search(self, query_vectors: np.ndarray, k: int) -> list[list[ScoredId]]:
        queries = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(-1, self.dim)
        if not len(self) or k <= 0:
            return [[] for _ in queries]
        params = faiss.SearchParametersIVF()
        params.nprobe = self.nprobe or probes_for(self._index.nlist)
        with search_threads(len(queries)):
            scores, labels = self._index.search(queries, min(k, len(self)), params=params)
        return to_scored(scores, labels)

    def remove(self, ids: np.ndarray) -> int:
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if not len(ids) or not len(self):
            return 0
        selector = faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))
        return int(self._index.remove_ids(selector))

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        if not len(self):
            return np.empty(0, np.int64), np.empty((0, self.dim), np.float32)
        invlists = self._index.invlists
        ids, vectors = [], []
        for cell in range(self._index.nlist):
            size = invlists.list_size(cell)
            if not size:
                continue
            cell_ids = np.empty(size, np.int64)
            faiss.memcpy(faiss.swig_ptr(cell_ids), invlists.get_ids(cell), cell_ids.nbytes)
            cell_vectors = np.empty((size, self.dim), np.float32)
            faiss.memcpy(
                faiss.swig_ptr(cell_vectors), invlists.get_codes(cell), cell_vectors.nbytes
            )
            ids.append(cell_ids)
            vectors.append(cell_vectors)
        return np.concatenate(ids), np.concatenate(vectors)

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def save(self, directory: Path) -> tuple[FileEntry, ...]:
        index = (
            self._index if self._index is not None else _trained(np.empty((0, self.dim)), self.dim)
        )
        return (
            write_data_file(
                Path(directory), INDEX_FILE, lambda p: faiss.write_index(index, str(p))
            ),
        )

    @classmethod
    def load(cls, directory: Path, dim: int) -> IVFIndex:
        loaded = faiss.read_index(str(Path(directory) / INDEX_FILE))
        if (
            not isinstance(loaded, faiss.IndexIVFFlat)
            or loaded.d != dim
            or loaded.metric_type != faiss.METRIC_INNER_PRODUCT
        ):
            raise ValueError(f"{INDEX_FILE} is not a {dim}-d inner-product IndexIVFFlat")
        if loaded.direct_map.type != faiss.DirectMap.Hashtable:
            loaded.set_direct_map_type(faiss.DirectMap.Hashtable)
        return cls(dim, loaded)

    def _retrain(self) -> None:
        ids, vectors = self.items()
        self._index = _trained(vectors, self.dim)
        self._index.add_with_ids(vectors, ids)


def _trained(vectors: np.ndarray, dim: int) -> faiss.IndexIVFFlat:
    """An empty IVF index whose cells are spherical k-means centroids of (a sample of) vectors."""
    nlist = cells_for(len(vectors))
    index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = KMEANS_ITERATIONS
    index.cp.spherical = True
    index.cp.seed = SEED
    index.cp.max_points_per_centroid = TRAIN_POINTS_PER_CELL
    sample = vectors
    if len(vectors) > nlist * TRAIN_POINTS_PER_CELL:
        rows = np.random.default_rng(SEED).choice(
            len(vectors), nlist * TRAIN_POINTS_PER_CELL, False
        )
        sample = vectors[np.sort(rows)]
    if len(sample):
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
    else:
        index.train(np.zeros((1, dim), np.float32))  # an empty library: one dummy cell
    index.set_direct_map_type(faiss.DirectMap.Hashtable)
    return index
