"""How much a dense hit stands out from the library, so that scores carry meaning.

A cosine from e5 means little on its own: every passage scores 0.7-0.9 against almost any query
(English queries lower than Chinese ones against Chinese notes), and min-max fusion turns the
best of a bad lot into a confident-looking 0.70. Two library-relative measures replace it:

- **stand-out**: each search compares the query with a fixed random sample of the library's
  own passages (the *background*) and reports a hit's cosine as a z-score against it --
  standard deviations above the query's similarity to an ordinary passage of these notes.
  Dividing by the query's own spread cancels the language shift.
- **the content-free level**: what the best hit of a query that asks nothing (``？？？``,
  ``the``, ``你好``: ``CONTENT_FREE_QUERIES``) stands out by, in this same library. A hit that
  stands out no more than that is marked *weak*: the notes hold nothing more specific to the
  query than they hold for no question at all.

Nothing is fitted: the level is measured per library, from queries chosen for having no content.
Measured: on the five sample notes (152 passages) the level is 3.11; the best hits of on-topic
questions stand out 3.7-6.1 sd, off-topic ones (weather, a recipe, geography, Python) 2.0-2.9 and
are marked weak. On a more uniform library (the samples plus 25 public deep-learning notes, 847
passages) the level is 3.15, on-topic best hits 3.1-4.7 (one of five, 3.12, is marked weak) and
off-topic ones stay below 2.9. ``tests/test_reliability_scores.py`` checks both kinds.

>>> background = np.eye(16, dtype=np.float32)
>>> stand_out(np.eye(16, dtype=np.float32)[0], background, {7: 1.0})[7] > 3
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

BACKGROUND_SIZE = 1024
CONTENT_FREE_QUERIES = ("？？？", "...", "!!!", "the", "what", "你好", "嗯", "hello", "test", "一")
_MIN_BACKGROUND = 8


def background_ids(chunk_ids: Sequence[int], size: int = BACKGROUND_SIZE) -> list[int]:
    """A fixed pseudo-random sample of chunk ids (the same library gives the same sample)."""
    ordered = sorted(chunk_ids)
    if len(ordered) <= size:
        return ordered
    picks = np.random.default_rng(len(ordered)).choice(len(ordered), size, replace=False)
    return [ordered[i] for i in sorted(picks)]


def stand_out(
    query_vector: np.ndarray, background: np.ndarray, similarity: Mapping[int, float]
) -> dict[int, float]:
    """Each dense hit's cosine in standard deviations above the query's background mean.

    Empty when the background is too small to say anything (a library of a few passages).
    """
    to_z = z_scale(query_vector, background) if similarity else None
    if to_z is None:
        return {}
    return {chunk_id: to_z(cosine) for chunk_id, cosine in similarity.items()}


def z_scale(query_vector: np.ndarray, background: np.ndarray) -> Callable[[float], float] | None:
    """Turns the query's cosine to a passage into standard deviations above the query's mean
    cosine to the background; None when the background is too small to say anything.

    >>> to_z = z_scale(np.array([1.0, 0.0]), np.array([[1.0, 0.0], [0.0, 1.0]] * 4))
    >>> to_z(1.0), to_z(0.5)
    (1.0, 0.0)
    """
    if len(background) < _MIN_BACKGROUND:
        return None
    cosines = background @ np.asarray(query_vector, dtype=np.float32)
    spread = float(cosines.std())
    if spread <= 1e-6:
        return None
    mean = float(cosines.mean())
    return lambda cosine: (cosine - mean) / spread


def content_free_level(
    embed_queries: Callable[[list[str]], np.ndarray],
    best_cosine: Callable[[np.ndarray], float | None],
    background: np.ndarray,
) -> float | None:
    """The highest stand-out the best hit of a content-free query reaches in this library;
    None when it cannot be measured (too few passages)."""
    if len(background) < _MIN_BACKGROUND:
        return None
    levels = []
    for vector in embed_queries(list(CONTENT_FREE_QUERIES)):
        best = best_cosine(vector)
        if best is not None:
            levels += stand_out(vector, background, {0: best}).values()
    return max(levels) if levels else None


def is_weak(z_score: float | None, level: float | None) -> bool:
    """Whether a hit stands out no more than a content-free query's best hit does."""
    return z_score is not None and level is not None and z_score <= level


def background_vectors(home, model_id: str, dim: int, chunks: Sequence) -> np.ndarray:
    """The background sample's vectors, read from the embedding cache (no embedding runs);
    empty when the cache cannot be read."""
    from ground.errors import StudyError
    from index.embedding_cache import EmbeddingCache

    by_id = {chunk.id: chunk for chunk in chunks}
    hashes = [by_id[i].content_hash for i in background_ids(list(by_id))]
    try:
        with EmbeddingCache.open(home, model_id, dim) as cache:
            found = cache.get(hashes)
    except (StudyError, OSError):
        return np.zeros((0, dim), dtype=np.float32)
    rows = [found[h] for h in hashes if h in found]
    return np.array(rows, dtype=np.float32).reshape(-1, dim)
