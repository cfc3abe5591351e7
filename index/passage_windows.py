"""Windows of long passages: a second, closer look for the dense search.

One vector for a 500-token textbook section blurs its parts: a question about one paragraph
scores no nearer to it than to the neighbouring sections. So each passage longer than
``LONG_PASSAGE_TOKENS`` is also embedded as half-overlapping windows of about ``WINDOW_TOKENS``
tokens of whole lines, each under the passage's heading path. A search still finds passages by
their whole vector; among those candidates a passage whose best window lies nearer the question
than the whole does moves part of the way up to that window's cosine (:meth:`Windows.rescore`).

Measured on both dev sets (``benchmarks/results/retrieval_dev2.md``, session 14): dev2 hybrid +
translation Hit@5 0.878 -> 0.919, MRR@10 0.733 -> 0.747 (Hit@1 0.635 either way), the sample
set unchanged (0.919 / 0.986 / 0.945). The price is ingest time: dev2's 691 passages gain 2,344
windows, and a cold ingest takes 108.6 s instead of 49.0 s on 2 cores.

The windows are derived data like the vector index: saved beside it under ``HOME/index/windows``
(two ``.npy`` files read with ``allow_pickle=False``), bound to the chunk set by the manifest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ground.errors import LibraryStateError
from ground.records import Chunk, embed_text_of
from index.manifest import (
    REINDEX_HINT,
    IndexManifest,
    check_content,
    check_manifest,
    read_manifest,
    verify_files,
    write_data_file,
    write_manifest,
)
from index.scored import ScoredId

LONG_PASSAGE_TOKENS = 208
"""Passages longer than this (embedder tokens, heading path included) also get windows."""
WINDOW_TOKENS = 160
"""About this many tokens of whole lines per window; the next window starts halfway in."""
WINDOW_WEIGHT = 0.3
"""How far a nearer window lifts its passage: whole + 0.3 x (best window - whole). Hybrid +
translation Hit@1 for weights 0.2 / 0.3 / 0.4 / 0.5 / 0.7 / 1.0: sample 0.919 / 0.919 / 0.905 /
0.905 / 0.919 / 0.905, dev2 0.622 / 0.635 / 0.635 / 0.649 / 0.635 / 0.649 (one question flips
with the int8 model's batch noise); 0.3 is the smallest that gains dev2 Hit@5 0.878 -> 0.919."""
POOL_FACTOR = 2
"""Whole-vector candidates looked at per wanted hit (at least ``MIN_POOL``), then rescored."""
MIN_POOL = 40

WHAT = "window vectors"
OWNERS_FILE = "owners.npy"
VECTORS_FILE = "vectors.npy"
TokenCounts = Callable[[Sequence[str]], list[int]]


def window_texts(chunk: Chunk, token_counts: TokenCounts) -> list[str]:
    """The texts to embed for ``chunk``'s windows (each with the heading path); none when the
    passage is short. ``token_counts`` gives embedder tokens per text.

    >>> lines = [f"第{i}行" + "字" * 60 for i in range(8)]
    >>> chunk = Chunk(1, 1, "/n.md", "n", ("n", "节"), 1, 8, 0, 1, "\\n".join(lines), "h")
    >>> texts = window_texts(chunk, lambda texts: [len(t) for t in texts])
    >>> [text.count("\\n") for text in texts]   # heading line + 2 lines each, overlapping by one
    [2, 2, 2, 2, 2, 2, 2]
    >>> texts[1].splitlines()[1][:3], texts[1].splitlines()[2][:3]
    ('第1行', '第2行')
    >>> window_texts(chunk, lambda texts: [1 for t in texts])
    []
    """
    if token_counts([chunk.embed_text])[0] <= LONG_PASSAGE_TOKENS:
        return []
    lines = chunk.text.split("\n")
    overhead = token_counts([""])[0]
    sizes = [max(1, n - overhead) for n in token_counts(lines)]
    texts: list[str] = []
    start = 0
    while start < len(lines):
        end, total = start, 0
        while end < len(lines) and (end == start or total + sizes[end] <= WINDOW_TOKENS):
            total += sizes[end]
            end += 1
        texts.append(embed_text_of(chunk.heading_path, "\n".join(lines[start:end])))
        if end >= len(lines):
            break
        half, next_start = 0, start
        while next_start < end and half + sizes[next_start] <= total / 2:
            half += sizes[next_start]
            next_start += 1
        start = max(next_start, start + 1)
    return texts


@dataclass(frozen=True)
class Windows:
    """Window vectors and the chunk id each belongs to, rows grouped by owner."""

    owners: np.ndarray  # int64, one per window, ascending
    vectors: np.ndarray  # float32, (windows, dim), unit rows

    @classmethod
    def of(cls, owners: Sequence[int] | np.ndarray, vectors: np.ndarray) -> Windows:
        owners = np.asarray(owners, dtype=np.int64).reshape(-1)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        vectors = vectors.reshape(len(owners), vectors.shape[-1])
        order = np.argsort(owners, kind="stable")
        return cls(owners[order], vectors[order])

    @classmethod
    def empty(cls, dim: int) -> Windows:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.owners)

    def only(self, chunk_ids: Sequence[int] | np.ndarray) -> Windows:
        """The windows of ``chunk_ids`` only."""
        keep = np.isin(self.owners, np.asarray(chunk_ids, dtype=np.int64))
        return Windows(self.owners[keep], self.vectors[keep])

    def joined(self, other: Windows) -> Windows:
        return Windows.of(np.concatenate([self.owners, other.owners]),
                          np.concatenate([self.vectors, other.vectors]))

    @cached_property
    def _groups(self) -> tuple[list[int], np.ndarray]:
        """Each owner once, and the row where its windows start (rows are grouped by owner)."""
        owners, starts = np.unique(self.owners, return_index=True)
        return owners.tolist(), starts

    def rescore(self, hits: list[ScoredId], query_vector: np.ndarray, k: int) -> list[ScoredId]:
        """``hits`` (whole-passage cosines) with each passage lifted towards its best window's
        cosine when that is higher, best first, cut to ``k``.

        >>> w = Windows.of([7, 7], np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
        >>> hits = w.rescore([ScoredId(3, 0.75), ScoredId(7, 0.7)], np.array([1.0, 0.0]), 2)
        >>> [(hit.id, round(hit.score, 3)) for hit in hits]   # 0.7 + 0.3 x (1.0 - 0.7)
        [(7, 0.79), (3, 0.75)]
        """
        if not len(self.owners) or not hits:
            return hits[:k]
        cosines = self.vectors @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
        owners, starts = self._groups
        best = dict(zip(owners, np.maximum.reduceat(cosines, starts).tolist(), strict=True))
        lifted = []
        for hit in hits:
            window = best.get(hit.id)
            score = hit.score
            if window is not None and window > score:
                score += WINDOW_WEIGHT * (window - score)
            lifted.append(ScoredId(hit.id, score))
        return sorted(lifted, key=lambda hit: -hit.score)[:k]


def pool_size(k: int) -> int:
    """How many whole-vector candidates to rescore for ``k`` hits."""
    return max(k, MIN_POOL) * POOL_FACTOR


def save_windows(windows: Windows, directory: Path, model_id: str, content_digest: str) -> None:
    """Write both arrays, then the manifest binding them to ``model_id`` and the chunk set."""
    directory = Path(directory)
    files = (
        write_data_file(directory, OWNERS_FILE, lambda path: _save_array(path, windows.owners)),
        write_data_file(directory, VECTORS_FILE, lambda path: _save_array(path, windows.vectors)),
    )
    write_manifest(directory, IndexManifest("windows", model_id, windows.vectors.shape[1],
                                            len(windows), files, content_digest=content_digest))


def open_windows(directory: Path, model_id: str, dim: int,
                 content_digest: str | None = None) -> Windows:
    """The saved windows after checking model, dimension, files and (when given) chunk set;
    raises ``LibraryStateError`` ending in "run 'study reindex'" otherwise."""
    directory = Path(directory)
    manifest = read_manifest(directory, WHAT)
    check_manifest(manifest, directory, WHAT, model_id, dim)
    if content_digest is not None:
        check_content(manifest, directory, WHAT, content_digest)
    verify_files(directory, manifest, WHAT, {OWNERS_FILE, VECTORS_FILE})
    try:
        owners = np.load(directory / OWNERS_FILE, allow_pickle=False)
        vectors = np.load(directory / VECTORS_FILE, allow_pickle=False)
        if owners.dtype != np.int64 or vectors.dtype != np.float32 or \
                vectors.shape != (manifest.count, dim) or owners.shape != (manifest.count,):
            raise ValueError("arrays of the wrong type or shape")
    except (OSError, ValueError) as error:
        raise LibraryStateError(f"{directory}: {WHAT} unreadable ({error}); {REINDEX_HINT}") \
            from None
    return Windows(owners, vectors)


def _save_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as stream:
        np.save(stream, array, allow_pickle=False)
