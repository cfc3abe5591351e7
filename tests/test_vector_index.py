"""One contract every vector backend runs (txtai's ``runTests(name)``), plus the recall oracle:
approximate search checked against exact search on the same vectors."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from ground.errors import LibraryStateError
from index.manifest import MANIFEST_NAME
from index.vector_flat import FlatIndex
from index.vector_hnsw import HNSWIndex
from index.vector_index import (
    APPROXIMATE_FROM,
    choose_index_kind,
    create_vector_index,
    open_vector_index,
    rebuild_as,
    save_vector_index,
)
from index.vector_ivf import IVFIndex

BACKENDS = ["flat", "hnsw", "ivf"]
DIM = 32
MODEL = "test/e5-small"


def unit_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def structured_unit_vectors(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vectors shaped like sentence embeddings: topics + a low-rank spread + a little noise.

    Uniform random 384-d vectors have no neighbourhoods (every point is almost equally far
    from every other), which no real embedding model produces and on which any graph index
    degrades; this gives neighbourhoods while staying hard (see benchmarks/bench_search.py).
    Returns (vectors, queries): queries are perturbed copies of random vectors.
    """
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((max(16, n // 100), dim)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    basis = rng.standard_normal((48, dim)).astype(np.float32)
    basis /= np.linalg.norm(basis, axis=1, keepdims=True)
    vectors = 0.5 * topics[rng.integers(0, len(topics), n)]
    vectors += 0.6 * (rng.standard_normal((n, 48)).astype(np.float32) / np.sqrt(48)) @ basis
    vectors += 0.3 * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.integers(0, n, 200)]
    queries = queries + 0.5 * rng.standard_normal(queries.shape).astype(np.float32) / np.sqrt(dim)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return vectors, queries.astype(np.float32)


@pytest.fixture(params=BACKENDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def filled(kind):
    """An index of 300 vectors under sparse, large ids (nothing like positions)."""
    vectors = unit_vectors(300)
    ids = 10**12 + np.arange(300, dtype=np.int64) * 7
    index = create_vector_index(kind, DIM)
    index.add(ids, vectors)
    return index, ids, vectors


def top_ids(index, vector, k=5) -> list[int]:
    return [hit.id for hit in index.search_one(vector, k)]


def test_search_finds_each_vector_under_its_id(filled):
    index, ids, vectors = filled
    assert len(index) == 300
    for row in (0, 17, 299):
        best = index.search_one(vectors[row], 3)[0]
        assert best.id == ids[row]
        assert best.score == pytest.approx(1.0, abs=1e-5)


def test_search_batches_and_orders_by_score(filled):
    index, ids, vectors = filled
    results = index.search(vectors[:4], 10)
    assert [hits[0].id for hits in results] == ids[:4].tolist()
    for hits in results:
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
        assert len(hits) == 10


def test_k_larger_than_index_returns_everything(kind):
    index = create_vector_index(kind, DIM)
    assert index.search_one(unit_vectors(1)[0], 5) == []
    index.add(np.array([3, 4]), unit_vectors(2))
    assert sorted(hit.id for hit in index.search_one(unit_vectors(1)[0], 50)) == [3, 4]


def test_add_with_existing_id_replaces_the_vector(filled):
    index, ids, vectors = filled
    index.add(ids[:1], vectors[1:2])
    assert len(index) == 300
    assert ids[0] not in top_ids(index, vectors[0], 3)
    assert set(top_ids(index, vectors[1], 2)) == {ids[0], ids[1]}


def test_repeated_id_in_one_batch_keeps_the_last(kind):
    index = create_vector_index(kind, DIM)
    vectors = unit_vectors(3)
    index.add(np.array([5, 6, 5]), vectors)
    assert len(index) == 2
    best = index.search_one(vectors[2], 1)[0]
    assert best.id == 5 and best.score == pytest.approx(1.0, abs=1e-5)
    stored_ids, stored_vectors = index.items()
    np.testing.assert_allclose(stored_vectors[stored_ids == 5][0], vectors[2], atol=1e-6)


def test_remove_drops_ids_and_ignores_unknown(filled):
    index, ids, vectors = filled
    assert index.remove(np.concatenate([ids[:10], [-5, 42]])) == 10
    assert len(index) == 290
    for row in range(10):
        assert ids[row] not in top_ids(index, vectors[row], 20)
    assert index.remove(ids[:10]) == 0
    index.add(ids[:1], vectors[:1])  # a removed id can come back
    assert index.search_one(vectors[0], 1)[0].id == ids[0]


def test_removing_most_of_the_index_keeps_answers_exact(filled):
    index, ids, vectors = filled
    index.remove(ids[:250])  # past the HNSW compaction threshold
    assert len(index) == 50
    for row in (250, 299):
        assert index.search_one(vectors[row], 1)[0].id == ids[row]
    returned = {hit.id for hit in index.search_one(vectors[0], 100)}
    assert returned == set(ids[250:].tolist())


def test_items_and_rebuild_as_other_kind(filled, kind):
    index, ids, vectors = filled
    index.remove(ids[:5])
    other = rebuild_as(index, {"flat": "hnsw", "hnsw": "ivf", "ivf": "flat"}[kind])
    assert len(other) == 295
    got_ids, got_vectors = other.items()
    order = np.argsort(got_ids)
    np.testing.assert_array_equal(got_ids[order], ids[5:])
    np.testing.assert_allclose(got_vectors[order], vectors[5:], atol=1e-6)


def test_wrong_dimension_is_rejected(kind):
    index = create_vector_index(kind, DIM)
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.array([1]), unit_vectors(1, DIM + 1))


def test_save_then_open_roundtrip(filled, tmp_path):
    index, ids, vectors = filled
    index.remove(ids[:3])
    index.add(ids[3:4], vectors[5:6])
    before = index.search(vectors[:20], 5)
    manifest = save_vector_index(index, tmp_path, MODEL)
    assert manifest.count == 297 and manifest.model_id == MODEL and manifest.dim == DIM
    reopened = open_vector_index(tmp_path, MODEL, DIM, expected_count=297)
    assert reopened.kind == index.kind and len(reopened) == 297
    assert reopened.search(vectors[:20], 5) == before
    reopened.add(ids[:1], vectors[:1])  # still updatable after loading
    assert reopened.search_one(vectors[0], 1)[0].id == ids[0]


def test_save_overwrites_atomically_and_leaves_no_temporaries(filled, tmp_path):
    index, ids, _ = filled
    save_vector_index(index, tmp_path, MODEL)
    index.remove(ids[:1])
    save_vector_index(index, tmp_path, MODEL)
    assert len(open_vector_index(tmp_path, MODEL, DIM)) == 299
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name != MANIFEST_NAME)


def assert_reindex_error(directory: Path, **kwargs) -> str:
    arguments = {"model_id": MODEL, "dim": DIM} | kwargs
    with pytest.raises(LibraryStateError) as caught:
        open_vector_index(directory, **arguments)
    message = str(caught.value)
    assert "study reindex" in message and "\n" not in message
    return message


def test_truncated_file_is_reported(filled, tmp_path):
    save_vector_index(filled[0], tmp_path, MODEL)
    for path in data_files(tmp_path):
        original = path.read_bytes()
        path.write_bytes(original[: len(original) // 2])
        assert "truncated" in assert_reindex_error(tmp_path)
        path.write_bytes(original)
    open_vector_index(tmp_path, MODEL, DIM)


def test_corrupt_file_of_the_same_size_is_reported(filled, tmp_path):
    save_vector_index(filled[0], tmp_path, MODEL)
    for path in data_files(tmp_path):
        original = path.read_bytes()
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
        assert "corrupt" in assert_reindex_error(tmp_path)
        path.write_bytes(original)


def test_other_model_dimension_or_count_is_reported(filled, tmp_path):
    save_vector_index(filled[0], tmp_path, MODEL)
    assert "test/e5-small" in assert_reindex_error(tmp_path, model_id="other/model")
    assert_reindex_error(tmp_path, dim=DIM * 2)
    assert "300" in assert_reindex_error(tmp_path, expected_count=299)


def test_missing_or_corrupt_manifest_is_reported(filled, tmp_path):
    assert "missing" in assert_reindex_error(tmp_path)
    save_vector_index(filled[0], tmp_path, MODEL)
    (tmp_path / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    assert "corrupt" in assert_reindex_error(tmp_path)


class _Tripwire:
    """Unpickling this creates a marker file: proof that something read the pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_planted_pickle_next_to_the_index_is_never_read(filled, tmp_path, monkeypatch):
    index, ids, vectors = filled
    save_vector_index(index, tmp_path, MODEL)
    marker = tmp_path.parent / f"{tmp_path.name}-unpickled"
    for name in ("index.pkl", "ids.pkl", "vectors.pkl"):
        (tmp_path / name).write_bytes(pickle.dumps(_Tripwire(marker)))

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading an index")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    reopened = open_vector_index(tmp_path, MODEL, DIM)
    assert reopened.search_one(vectors[7], 1)[0].id == ids[7]
    assert not marker.exists()


def test_unknown_backend_names_itself():
    with pytest.raises(ImportError, match="Unable to resolve ann backend: 'annoy'"):
        create_vector_index("annoy", DIM)


def test_choose_index_kind_threshold():
    assert choose_index_kind(0) == "flat"
    assert choose_index_kind(APPROXIMATE_FROM - 1) == "flat"
    assert choose_index_kind(APPROXIMATE_FROM) == "ivf"
    assert isinstance(create_vector_index("flat", 4), FlatIndex)
    assert isinstance(create_vector_index("hnsw", 4), HNSWIndex)
    assert isinstance(create_vector_index("ivf", 4), IVFIndex)


def recall_at(k: int, approximate, exact) -> float:
    found = [
        len({h.id for h in a} & {h.id for h in e}) / k
        for a, e in zip(approximate, exact, strict=True)
    ]
    return float(np.mean(found))


@pytest.mark.parametrize("approximate_kind", ["ivf", "hnsw"])
def test_approximate_recall_against_exact_search(approximate_kind):
    """The oracle: an approximate top 10 against exact search on 10k structured 384-d vectors."""
    vectors, queries = structured_unit_vectors(10_000, 384)
    ids = np.arange(len(vectors), dtype=np.int64) * 3 + 1
    exact = create_vector_index("flat", 384)
    approximate = create_vector_index(approximate_kind, 384)
    exact.add(ids, vectors)
    approximate.add(ids, vectors)
    assert recall_at(10, approximate.search(queries, 10), exact.search(queries, 10)) >= 0.95
    approximate.remove(ids[::4])  # deletes (HNSW: tombstones) must not cost recall either
    exact.remove(ids[::4])
    assert recall_at(10, approximate.search(queries, 10), exact.search(queries, 10)) >= 0.95
