"""Combining ranked lists: rank fusion, score fusion, duplicate collapse, MMR, filtering.

Pure functions over lists of :class:`ScoredId` (best first). Hybrid search runs the vector
and keyword retrievers, fuses their lists with one of the two fusions (which is better is an
evaluation question, so both are here), optionally filters by document, collapses duplicate
groups, and may diversify with MMR::

    fused = reciprocal_rank_fusion([dense_hits, keyword_hits])
    kept, others = collapse_groups(filter_ids(fused, keep), group_of)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from index.scored import ScoredId

RRF_K = 60  # the constant of Cormack et al. (2009); damps the head of each list


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[ScoredId]],
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[ScoredId]:
    """Score each id by the sum over lists of ``weight / (k + rank)``, ranks counted from 1.

    Only ranks matter, so cosine and BM25 scales never need reconciling. With ``k=60``:
    id 2 is 2nd in the first list and 1st in the second, 1/62 + 1/61 = 0.03252;
    id 1 is 1st in the first only, 1/61 = 0.01639; id 3 is 2nd in the second, 1/62.

    >>> dense = [ScoredId(1, 0.9), ScoredId(2, 0.8)]
    >>> keyword = [ScoredId(2, 7.0), ScoredId(3, 5.0)]
    >>> [(h.id, round(h.score, 5)) for h in reciprocal_rank_fusion([dense, keyword])]
    [(2, 0.03252), (1, 0.01639), (3, 0.01613)]
    """
    weights = _weights(rankings, weights)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.id] = fused.get(hit.id, 0.0) + weight / (k + rank)
    return _sorted(fused)


def weighted_score_fusion(
    rankings: Sequence[Sequence[ScoredId]],
    weights: Sequence[float] | None = None,
) -> list[ScoredId]:
    """Min-max normalize each list's scores to [0, 1], then sum ``weight * normalized``.

    An id missing from a list gets 0 from it; a list whose scores are all equal gives each 1.
    Dense scores 0.9, 0.8 become 1, 0; keyword 7, 5 become 1, 0. With weights 0.5 / 0.5,
    id 1 = 0.5*1, id 2 = 0.5*0 + 0.5*1, id 3 = 0.5*0 -- ties keep first-seen order.

    >>> dense = [ScoredId(1, 0.9), ScoredId(2, 0.8)]
    >>> keyword = [ScoredId(2, 7.0), ScoredId(3, 5.0)]
    >>> [(h.id, h.score) for h in weighted_score_fusion([dense, keyword], [0.5, 0.5])]
    [(1, 0.5), (2, 0.5), (3, 0.0)]
    """
    weights = _weights(rankings, weights)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        scores = [hit.score for hit in ranking]
        low, span = min(scores), max(scores) - min(scores)
        for hit in ranking:
            normalized = (hit.score - low) / span if span > 0 else 1.0
            fused[hit.id] = fused.get(hit.id, 0.0) + weight * normalized
    return _sorted(fused)


def collapse_groups(
    ranked: Sequence[ScoredId], group_of: Mapping[int, int | None]
) -> tuple[list[ScoredId], dict[int, list[int]]]:
    """Keep the best-ranked member of each duplicate group; return the others by keeper.

    ``group_of`` maps a chunk id to its duplicate group (None or absent: it stands alone).
    The caller turns ``others[kept_id]`` into the hit's ``also_in`` locations.

    >>> ranked = [ScoredId(4, 0.9), ScoredId(7, 0.8), ScoredId(5, 0.7), ScoredId(9, 0.6)]
    >>> kept, others = collapse_groups(ranked, {4: 1, 5: 1, 9: 1, 7: None})
    >>> [h.id for h in kept], others
    ([4, 7], {4: [5, 9]})
    """
    kept: list[ScoredId] = []
    others: dict[int, list[int]] = {}
    keeper_of_group: dict[int, int] = {}
    for hit in ranked:
        group = group_of.get(hit.id)
        if group is None:
            kept.append(hit)
        elif group in keeper_of_group:
            others.setdefault(keeper_of_group[group], []).append(hit.id)
        else:
            keeper_of_group[group] = hit.id
            kept.append(hit)
    return kept, others


def mmr(
    ranked: Sequence[ScoredId],
    vectors: Mapping[int, np.ndarray],
    k: int,
    relevance_weight: float = 0.7,
) -> list[ScoredId]:
    """Maximal marginal relevance: re-pick ``k`` hits trading rank score against redundancy.

    Each step takes the hit maximizing ``w * relevance - (1 - w) * max cosine to the hits
    already taken``, where relevance is the hit's score min-max normalized over ``ranked`` (so
    MMR only diversifies the fused order, it does not re-rank by cosine). Hits without a vector
    count as unlike everything. Scores are returned unchanged.

    Ids 1 and 2 point the same way, 3 elsewhere. After 1 (relevance 1), id 2 scores
    0.7*0.5 - 0.3*1 = 0.05 and id 3 scores 0.7*0 - 0.3*0 = 0, so 2 still wins at w=0.7;
    at w=0.5, id 2 gets 0.25 - 0.5 = -0.25 and 3 comes second.

    >>> ranked = [ScoredId(1, 0.9), ScoredId(2, 0.8), ScoredId(3, 0.7)]
    >>> vecs = {1: np.array([1.0, 0.0]), 2: np.array([1.0, 0.0]), 3: np.array([0.0, 1.0])}
    >>> [h.id for h in mmr(ranked, vecs, 3)], [h.id for h in mmr(ranked, vecs, 3, 0.5)]
    ([1, 2, 3], [1, 3, 2])
    """
    if not ranked or k <= 0:
        return []
    scores = np.array([hit.score for hit in ranked], dtype=np.float64)
    span = scores.max() - scores.min()
    relevance = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
    dim = next((len(v) for v in vectors.values()), 1)
    matrix = np.zeros((len(ranked), dim), dtype=np.float64)
    for row, hit in enumerate(ranked):
        if hit.id in vectors:
            vector = np.asarray(vectors[hit.id], dtype=np.float64)
            norm = np.linalg.norm(vector)
            matrix[row] = vector / norm if norm > 0 else vector
    redundancy = np.zeros(len(ranked))
    chosen: list[int] = []
    available = np.ones(len(ranked), dtype=bool)
    for _ in range(min(k, len(ranked))):
        gain = relevance_weight * relevance - (1 - relevance_weight) * redundancy
        gain[~available] = -np.inf
        pick = int(np.argmax(gain))
        chosen.append(pick)
        available[pick] = False
        redundancy = np.maximum(redundancy, matrix @ matrix[pick])
    return [ranked[i] for i in chosen]


def apply_priors(ranked: Sequence[ScoredId], prior_of: Mapping[int, float]) -> list[ScoredId]:
    """Each score times its id's prior (absent: 1), re-sorted best first; ties keep their order.

    Priors come from a passage's shape (``index.chunk_shape``): a reference list or a heading
    with no answer under it keeps its place only against passages scoring under half as well.

    >>> ranked = [ScoredId(1, 0.9), ScoredId(2, 0.8), ScoredId(3, 0.3)]
    >>> [(h.id, h.score) for h in apply_priors(ranked, {1: 0.5})]
    [(2, 0.8), (1, 0.45), (3, 0.3)]
    """
    rescored = [ScoredId(hit.id, hit.score * prior_of.get(hit.id, 1.0)) for hit in ranked]
    return sorted(rescored, key=lambda hit: -hit.score)


def filter_ids(ranked: Sequence[ScoredId], keep: Callable[[int], bool]) -> list[ScoredId]:
    """The hits whose id passes ``keep`` (e.g. "chunk belongs to one of these documents").

    >>> filter_ids([ScoredId(1, 0.9), ScoredId(2, 0.5)], lambda chunk_id: chunk_id % 2 == 0)
    [ScoredId(id=2, score=0.5)]
    """
    return [hit for hit in ranked if keep(hit.id)]


def _weights(
    rankings: Sequence[Sequence[ScoredId]], weights: Sequence[float] | None
) -> list[float]:
    if weights is None:
        return [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    return list(weights)


def _sorted(fused: dict[int, float]) -> list[ScoredId]:
    """Best score first; ties keep first-seen order (dicts remember it, the sort is stable)."""
    return [ScoredId(i, s) for i, s in sorted(fused.items(), key=lambda item: -item[1])]
