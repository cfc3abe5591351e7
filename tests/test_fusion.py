"""Fusion helpers: the properties hybrid search relies on (their docstring examples run
under --doctest-modules)."""

from __future__ import annotations

import numpy as np
import pytest

from index.fusion import (
    collapse_groups,
    filter_ids,
    mmr,
    reciprocal_rank_fusion,
    weighted_score_fusion,
)
from index.scored import ScoredId


def hits(*pairs: tuple[int, float]) -> list[ScoredId]:
    return [ScoredId(i, s) for i, s in pairs]


def test_rrf_ignores_score_scales_and_rewards_agreement():
    dense = hits((1, 0.91), (2, 0.90), (3, 0.89))
    keyword = hits((3, 250.0), (4, 3.0))
    fused = reciprocal_rank_fusion([dense, keyword])
    assert [h.id for h in fused] == [3, 1, 2, 4]
    assert fused[0].score == pytest.approx(1 / 63 + 1 / 61)


def test_rrf_weights_and_empty_lists():
    dense, keyword = hits((1, 0.9)), hits((2, 5.0))
    assert [h.id for h in reciprocal_rank_fusion([dense, keyword], weights=[1, 2])] == [2, 1]
    assert reciprocal_rank_fusion([[], []]) == []
    assert reciprocal_rank_fusion([dense, []]) == [ScoredId(1, 1 / 61)]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([dense, keyword], weights=[1.0])


def test_weighted_fusion_normalizes_each_list():
    dense = hits((1, 0.82), (2, 0.80), (3, 0.78))
    keyword = hits((3, 12.0), (1, 2.0))
    fused = {h.id: h.score for h in weighted_score_fusion([dense, keyword], [0.6, 0.4])}
    assert fused == pytest.approx({1: 0.6, 2: 0.3, 3: 0.4})
    single = weighted_score_fusion([hits((7, 3.0))])
    assert single == [ScoredId(7, 1.0)]


def test_fusions_are_order_stable_for_ties():
    a, b = hits((5, 1.0), (6, 0.5)), hits((6, 1.0), (5, 0.5))
    assert [h.id for h in reciprocal_rank_fusion([a, b])] == [5, 6]
    assert [h.id for h in weighted_score_fusion([a, b])] == [5, 6]


def test_collapse_keeps_best_member_and_groups_the_rest():
    ranked = hits((1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6), (5, 0.5))
    group_of = {1: None, 2: 10, 3: 20, 4: 10, 5: 10}
    kept, others = collapse_groups(ranked, group_of)
    assert [h.id for h in kept] == [1, 2, 3]
    assert [h.score for h in kept] == [0.9, 0.8, 0.7]
    assert others == {2: [4, 5]}
    assert collapse_groups(ranked, {}) == (ranked, {})


def test_mmr_pushes_a_near_duplicate_down():
    ranked = hits((1, 0.95), (2, 0.94), (3, 0.80), (4, 0.10))
    vectors = {
        1: np.array([1.0, 0.0]),
        2: np.array([0.99, 0.14]),
        3: np.array([0.0, 1.0]),
        4: np.array([0.7, 0.7]),
    }
    picked = [h.id for h in mmr(ranked, vectors, 3, relevance_weight=0.5)]
    assert picked[:2] == [1, 3]
    assert [h.id for h in mmr(ranked, vectors, 4, relevance_weight=1.0)] == [1, 2, 3, 4]
    assert mmr([], vectors, 3) == [] and mmr(ranked, vectors, 0) == []
    assert {h.id for h in mmr(ranked, {}, 10)} == {1, 2, 3, 4}


def test_filter_keeps_order():
    ranked = hits((3, 0.9), (8, 0.8), (4, 0.7))
    doc_of = {3: "a.md", 8: "b.md", 4: "a.md"}
    assert [h.id for h in filter_ids(ranked, lambda i: doc_of[i] == "a.md")] == [3, 4]
