"""The one result type every retriever returns: a chunk id and its score (higher is better)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScoredId:
    """A retrieved chunk id with the score that ranked it (cosine, BM25 or fused)."""

    id: int
    score: float
