"""The Library API end to end on the sample notes: real embedder, FAISS, BM25 and SQLite."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ground.errors import LibraryStateError
from index import evaluation, hybrid
from index.index_state import index_dir, load_indexes
from index.library import Library, clean_query

DEV_SET = Path(__file__).parent / "data" / "dev_questions.jsonl"
REPO = Path(__file__).resolve().parent.parent


def test_gradient_clipping_question_finds_its_sections(sample_library):
    hits = sample_library.search("什么是梯度裁剪？", k=3)
    assert hits and "梯度裁剪" in hits[0].chunk.heading
    assert all(hit.similarity is None or 0 < hit.similarity <= 1 for hit in hits)
    text = hits[0].chunk.text
    source_lines = Path(hits[0].chunk.source).read_text(encoding="utf-8").splitlines()
    span = "\n".join(source_lines[hits[0].chunk.start_line - 1 : hits[0].chunk.end_line])
    assert text.strip() == span.strip()


def test_english_question_finds_chinese_notes(sample_library):
    hits = sample_library.search("why do we need dropout in neural networks?", k=5)
    assert any("dropout" in hit.chunk.heading.lower() for hit in hits)


def test_duplicates_collapse_into_one_hit_with_also_in(sample_library):
    hits = sample_library.search("什么是迁移学习？如何实现迁移学习？", k=10, mode="dense")
    ids = [hit.chunk.id for hit in hits]
    assert len(ids) == len(set(ids))
    groups = [hit.chunk.group_id for hit in hits if hit.chunk.group_id is not None]
    assert len(groups) == len(set(groups)), "one hit per duplicate group"
    grouped = [hit for hit in hits if hit.also_in]
    assert grouped, "a transfer-learning duplicate group should report its other locations"
    for hit in grouped:
        assert hit.chunk.location not in hit.also_in
        assert all(loc.start_line <= loc.end_line for loc in hit.also_in)


def test_every_mode_and_document_filter(sample_library):
    documents = sample_library.documents()
    target = next(d for d in documents if d.source.endswith("004_8e77f8e049ce3a31.txt"))
    for mode in hybrid.MODES:
        hits = sample_library.search("梯度裁剪", k=4, mode=mode, doc_ids=[target.id])
        assert hits and all(hit.chunk.doc_id == target.id for hit in hits), mode
    with pytest.raises(ValueError, match="unknown search mode"):
        sample_library.search("x", mode="psychic")


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01\x1b", "梯度" * 50_000])
def test_odd_queries_never_raise(sample_library, query):
    hits = sample_library.search(query, k=3)
    assert isinstance(hits, list)
    if not clean_query(query):
        assert hits == []


def test_dev_set_quality_targets(sample_library):
    questions = evaluation.load_questions(DEV_SET)
    assert len(questions) >= 40
    scores = {
        s.mode: s
        for s in evaluation.evaluate(
            lambda q, k, mode: sample_library.search(q, k=k, mode=mode), questions, hybrid.MODES
        )
    }
    default = scores[sample_library.settings.search_mode]
    assert default.hit_at_5 >= 0.95 and default.hit_at_1 >= 0.80, default
    for other in ("dense", "lexical"):
        assert default.mrr_at_10 >= scores[other].mrr_at_10, (default, scores[other])
        assert default.hit_at_5 >= scores[other].hit_at_5, (default, scores[other])


def test_reopen_uses_saved_index_and_heals_a_corrupt_one(sample_library, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(sample_library.settings.home, home, ignore=shutil.ignore_patterns("*.lock"))
    settings = sample_library.settings.replace(home=home)
    with Library.open(settings) as reopened:
        chunks = reopened.chunks()
        embedder = sample_library.embedder
        load_indexes(home, embedder.model_id, embedder.dim, chunks)  # in step: loads
        (index_dir(home) / "index.pkl").write_bytes(b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")
        vectors = next((index_dir(home) / "vectors").glob("*.faiss*"), None) or next(
            p for p in (index_dir(home) / "vectors").iterdir() if p.name != "manifest.json"
        )
        with open(vectors, "r+b") as stream:
            stream.truncate(100)
        with pytest.raises(LibraryStateError, match="study reindex"):
            load_indexes(home, embedder.model_id, embedder.dim, chunks)
        reopened._embedder = embedder  # reuse the loaded model; the index is what is tested
        hits = reopened.search("什么是梯度裁剪？", k=3)
        assert hits and "梯度裁剪" in hits[0].chunk.heading
        load_indexes(home, embedder.model_id, embedder.dim, chunks)  # healed from SQLite
    assert not Path("/tmp/pwned").exists()


def test_search_cli_json_and_queries_file(sample_library, tmp_path):
    queries = tmp_path / "queries.txt"
    queries.write_text("什么是梯度裁剪？\nwhat is batch normalization?\n", encoding="utf-8")
    env = {**os.environ, "STUDY_HOME": str(sample_library.settings.home),
           "STUDY_MODEL_CACHE": str(sample_library.settings.model_cache)}
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "search", "--json", "-k", "3", "--queries-file",
         str(queries)], capture_output=True, text=True, env=env, cwd=REPO, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["什么是梯度裁剪？", "what is batch normalization?"]
    hit = lines[0]["hits"][0]
    assert set(hit) == {"source", "title", "heading", "start_line", "end_line", "page", "score",
                        "text", "also_in", "similarity", "evidence", "weak"}
    assert hit["weak"] is False and hit["evidence"] > 3
    assert "梯度裁剪" in hit["heading"] and hit["start_line"] <= hit["end_line"]


def test_self_test_recall(sample_library):
    embedder = sample_library.embedder
    scores, count = evaluation.self_test(
        sample_library.chunks(), embedder.embed_passages,
        lambda qs: embedder.embed_batch(qs, "query"), embedder.dim,
    )
    assert count >= 100
    assert scores.hit_at_5 >= 0.9
