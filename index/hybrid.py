"""Hybrid retrieval: dense and lexical candidates, fused, filtered, duplicates collapsed.

Pure orchestration over the two indexes and the fusion helpers; the ``Library`` turns the
resulting ids into ``Hit`` records with their chunks and ``also_in`` locations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from index.fusion import apply_priors, collapse_groups, filter_ids, weighted_score_fusion
from index.index_state import SearchIndexes
from index.scored import ScoredId

MODES = ("hybrid", "dense", "lexical")
# Min-max score fusion with these weights beat reciprocal-rank fusion on the dev set
# (tests/data/dev_questions.jsonl, 74 questions): Hit@1 0.838 / Hit@5 0.986 / MRR@10 0.905
# against RRF's 0.838 / 0.946 / 0.887, dense-only 0.824 / 0.959 / 0.886 and lexical-only
# 0.770 / 0.838 / 0.798. Lexical weights 0.2-0.5 all scored within 0.015 of each other.
DENSE_WEIGHT, LEXICAL_WEIGHT = 0.7, 0.3
EVEN_WEIGHTS = (0.5, 0.5)
"""The weights when the dense list's best hit is *weak* (``index.evidence``): it stands out of
the library no more than a content-free query's best hit does, so the dense order is noise
among near-equal cosines (sample: "为什么训练时要给梯度的范数设一个上限？", every hit 0.867-0.872,
min-max spreads them over 0-1) and the keyword list counts as much. Hybrid + translation Hit@1 /
Hit@5 / MRR@10 (session 15): sample 0.919 / 0.986 / 0.945 -> 0.932 / 0.986 / 0.961, dev2
0.635 / 0.919 / 0.747 -> 0.649 / 0.919 / 0.746. Leaning further to the keywords when weak
(0.3 / 0.7, 0 / 1) lost dev2 Hit@5 (0.892, 0.865)."""
CANDIDATES_PER_HIT = 4
MIN_CANDIDATES = 30
GROWTH = 4
"""When duplicates (or the document filter) leave fewer than ``k`` hits, the candidate lists
grow by this factor until ``k`` distinct hits are found or the index is exhausted: 30 copies of
one passage must not crowd out the other four hits, nor make every dense candidate score the
same (which min-max fusion turns into 1.0 for all)."""


@dataclass(frozen=True)
class RankedIds:
    """Search result before chunks are attached: kept ids best first, their group mates, and
    the cosine similarity to the query of every id the dense search returned."""

    kept: list[ScoredId]
    others: dict[int, list[int]]
    similarity: dict[int, float]


def rank(
    indexes: SearchIndexes,
    query: str,
    query_vector: np.ndarray | None,
    k: int,
    mode: str,
    group_of: Mapping[int, int | None],
    keep: Callable[[int], bool] | None = None,
    priors: Callable[[list[int]], Mapping[int, float]] | None = None,
    dense_is_weak: Callable[[float], bool] | None = None,
    demote: Callable[[list[ScoredId]], list[ScoredId]] | None = None,
) -> RankedIds:
    """Top ``k`` chunk ids for ``query`` by ``mode``; duplicate groups collapse to one id.

    ``priors`` gives candidate ids their score multipliers (``index.chunk_shape``), so that
    reference lists, exercises and empty headings sink below real answers. ``dense_is_weak``
    tells whether the best dense cosine stands out of the library no more than chance
    (``index.evidence``); then both lists count equally (``EVEN_WEIGHTS``). ``demote``
    re-orders the dense candidates before fusion (``index.hubness``); the cosines reported
    in ``similarity`` stay the raw ones."""
    size = max(len(indexes.vectors), len(indexes.lexical))
    candidates = max(k * CANDIDATES_PER_HIT, MIN_CANDIDATES)
    while True:
        ranked = _rank_once(indexes, query, query_vector, k, mode, group_of, keep, candidates,
                            priors, dense_is_weak, demote)
        if len(ranked.kept) >= k or candidates >= size:
            return ranked
        candidates = min(size, candidates * GROWTH)


def _rank_once(
    indexes: SearchIndexes,
    query: str,
    query_vector: np.ndarray | None,
    k: int,
    mode: str,
    group_of: Mapping[int, int | None],
    keep: Callable[[int], bool] | None,
    candidates: int,
    priors: Callable[[list[int]], Mapping[int, float]] | None = None,
    dense_is_weak: Callable[[float], bool] | None = None,
    demote: Callable[[list[ScoredId]], list[ScoredId]] | None = None,
) -> RankedIds:
    dense: list[ScoredId] = []
    if mode != "lexical" and query_vector is not None and len(indexes.vectors):
        dense = indexes.dense(query_vector, candidates)
    similarity = {hit.id: hit.score for hit in dense}
    weak = bool(dense) and dense_is_weak is not None and dense_is_weak(dense[0].score)
    if demote is not None and dense:
        dense = demote(dense)
    lexical: list[ScoredId] = []
    if mode != "dense":
        lexical = indexes.lexical.search(query, candidates)
    if mode == "dense":
        ranked = dense
    elif mode == "lexical":
        ranked = lexical
    else:
        weights = EVEN_WEIGHTS if weak else (DENSE_WEIGHT, LEXICAL_WEIGHT)
        ranked = weighted_score_fusion([dense, lexical], list(weights))
    if keep is not None:
        ranked = filter_ids(ranked, keep)
    if priors is not None:
        ranked = apply_priors(ranked, priors([hit.id for hit in ranked]))
    kept, others = collapse_groups(ranked, group_of)
    kept = kept[:k]
    return RankedIds(kept, {i: others.get(i, []) for i in (h.id for h in kept)}, similarity)
