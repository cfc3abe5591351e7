"""Retrieval on the second dev set: real public notes nobody on the project wrote (see
tests/data/dev2_README.md). The notes are not in the repository, so this runs only where they
were fetched (``/work/devnotes/dev2`` or ``$STUDY_DEV2_NOTES``) and skips elsewhere (CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import evaluation, hybrid
from index.chunk_shape import EXERCISES, LINKS, NO_PROSE, REFERENCES, shape_of

REPO = Path(__file__).resolve().parent.parent
DEV2_QUESTIONS = REPO / "tests" / "data" / "dev2_questions.jsonl"
DEV2_NOTES = Path(os.environ.get("STUDY_DEV2_NOTES", "/work/devnotes/dev2"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DEV2_NOTES.is_dir(), reason=f"dev2 notes not fetched ({DEV2_NOTES})"),
]


@pytest.fixture(scope="module")
def dev2_library(tmp_path_factory, model_settings, embedding_model_dir):
    from index.library import Library

    settings = model_settings.replace(home=tmp_path_factory.mktemp("dev2-home"))
    library = Library.open(settings)
    report = library.ingest([DEV2_NOTES])
    assert not [o for o in report.outcomes if o.status.name == "SKIPPED"], report.outcomes
    yield library
    library.close()


def test_dev2_figures(dev2_library):
    """Measured on 2026-11-28 (benchmarks/results/retrieval_dev2.md): hybrid 0.500 / 0.689 /
    0.573 before any dev2 work was 0.500 / 0.662 / 0.568. The issue's targets (Hit@1 0.85,
    Hit@5 0.97) are NOT met: the Chinese questions over English notes are the misses, and the
    int8 e5-small puts their gold passage at a median dense rank of ~380 of 695."""
    questions = evaluation.load_questions(DEV2_QUESTIONS)
    assert len(questions) >= 60
    scores = {s.mode: s for s in evaluation.evaluate(
        lambda q, k, mode: dev2_library.search(q, k=k, mode=mode), questions, hybrid.MODES)}
    hybrid_scores = scores["hybrid"]
    assert hybrid_scores.hit_at_1 >= 0.49 and hybrid_scores.hit_at_5 >= 0.68, hybrid_scores
    assert hybrid_scores.mrr_at_10 >= scores["dense"].mrr_at_10, scores


def test_dev2_reference_lists_and_empty_headings_leave_the_top_places(dev2_library):
    """Before the shape priors, 78 of the 740 top-10 slots were reference lists, exercises,
    empty question headings or link lists; after, 17. (A chapter summary is demoted less, to
    0.7, and still answers: it is not counted here.)"""
    questions = evaluation.load_questions(DEV2_QUESTIONS)
    slots = non_answers = 0
    for question in questions:
        for hit in dev2_library.search(question.query, k=10):
            slots += 1
            non_answers += shape_of(hit.chunk.heading_path, hit.chunk.text) in (
                REFERENCES, EXERCISES, NO_PROSE, LINKS)
    assert non_answers <= slots * 0.03, (non_answers, slots)


def test_dev2_translated_questions_reach_the_other_language(dev2_library):
    """With the question's stored LLM translation (tests/data/translations.json) searched too and
    merged by routing (index.cross_language), measured 2026-11-28: hybrid 0.500 / 0.689 / 0.573
    -> 0.595 / 0.878 / 0.711 (translations asked after the answers' own system prompt; 0.705 with
    a system prompt of their own); the 22 cross-language questions go from Hit@5 0.09 to 0.77."""
    import json

    from assistant.query_translation import search_across_languages
    from index.cross_language import language_shares

    stored = json.loads((REPO / "tests" / "data" / "translations.json").read_text("utf-8"))
    shares = language_shares(c.text for c in dev2_library.chunks())
    ranks = []
    for question in evaluation.load_questions(DEV2_QUESTIONS):
        translations = {t: text for t, text in stored.get(question.query, {}).items() if text}
        hits = search_across_languages(dev2_library, None, question.query, evaluation.MRR_DEPTH,
                                       shares, translations)
        ranks.append(evaluation.first_gold_rank(hits, question.gold))
    scores = evaluation.score_ranks("hybrid+translation", ranks)
    assert scores.hit_at_1 >= 0.58 and scores.hit_at_5 >= 0.86, scores


def test_dev2_a_thing_described_in_the_students_words_is_not_refused(dev2_library):
    """"随机丢弃神经元" occurs nowhere whole; the book writes "使用随机丢弃技术（dropout）
    选择性地忽略训练中的单个神经元" and answers the rate in 3.12.4. Run r7 refused the
    question as never treated (``assistant.coverage._described``); a near-domain name still
    is refused."""
    from assistant.coverage import assess_coverage
    from assistant.explain import retrieve
    from assistant.library_profile import profile_of

    profile = profile_of(dev2_library)
    for question, covered in (("随机丢弃神经元的那个比例一般设成多少合适？", True),
                              ("朴素贝叶斯为什么叫“朴素”？", False)):
        _, dense = retrieve(dev2_library, question, 8, None)
        coverage = assess_coverage(question, dense, dev2_library, profile)
        assert coverage.covered is covered, coverage
