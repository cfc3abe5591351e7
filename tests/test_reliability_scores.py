"""What search returns and how sure it says it is (issue 17, items 7 and 12): duplicate
collapse fills ``k``, and an off-topic or content-free query is marked weak instead of showing a
confident 0.70."""

from __future__ import annotations

import json

import pytest
from reliability_support import CLIPPING_QUERY, copy_library, open_library, run_study

from index import hybrid

COPIES = 32
OTHERS = ["梯度爆炸", "梯度消失", "学习率预热", "权重衰减", "批归一化", "残差连接", "早停",
          "标签平滑"]


@pytest.fixture(scope="module")
def copies_library(tmp_path_factory, sample_library):
    """32 files holding the same passage on gradient clipping, and one with 8 other topics."""
    root = tmp_path_factory.mktemp("copies")
    notes = root / "notes"
    notes.mkdir()
    for n in range(COPIES):
        (notes / f"copy{n:02}.md").write_text(
            "# 面试题\n\n## 梯度裁剪是什么？\n\n"
            "梯度裁剪把梯度的范数限制在阈值以内，防止梯度爆炸。\n",
            encoding="utf-8",
        )
    others = "".join(f"## {t}是什么？\n\n{t}和梯度、训练稳定性有关的解释。\n\n" for t in OTHERS)
    (notes / "others.md").write_text(f"# 其他\n\n{others}", encoding="utf-8")
    settings = sample_library.settings.replace(home=root / "home")
    library = open_library(settings, sample_library)
    library.ingest([notes])
    yield library
    library.close()


@pytest.mark.parametrize("mode", hybrid.MODES)
def test_duplicate_collapse_still_fills_k(copies_library, mode):
    hits = copies_library.search("梯度裁剪是什么？", k=5, mode=mode)
    assert len(hits) == 5  # dense used to return 1: all 30 candidates were copies
    headings = [hit.chunk.heading for hit in hits]
    assert len(set(headings)) == 5 and headings[0].endswith("梯度裁剪是什么？")
    assert len(hits[0].also_in) == COPIES - 1
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)


def test_hybrid_scores_equal_an_exhaustive_search(copies_library):
    """The grown candidate lists give the scores a search over every passage gives."""
    library = copies_library
    snapshot = library._current()
    query = "梯度裁剪是什么？"
    vector = library.embedder.embed_query(query)
    size = len(snapshot.indexes.vectors)
    grown = hybrid.rank(snapshot.indexes, query, vector, 5, "hybrid", snapshot.group_of)
    everything = hybrid._rank_once(snapshot.indexes, query, vector, 5, "hybrid",
                                   snapshot.group_of, None, size)
    assert [(h.id, round(h.score, 6)) for h in grown.kept] == [
        (h.id, round(h.score, 6)) for h in everything.kept]
    assert len(grown.kept) == 5 and len({h.score for h in grown.kept}) == 5  # not all 1.0


ON_TOPIC = [CLIPPING_QUERY, "dropout 的作用", "what is batch normalization",
            "Adam 优化器和 SGD 的区别"]
OFF_TOPIC = ["今天天气怎么样", "how do I bake sourdough bread", "红烧肉的做法",
             "巴黎是哪个国家的首都", "？？？", "...", "!!!"]


def test_off_topic_and_punctuation_queries_are_marked_weak(sample_library):
    for query in ON_TOPIC:
        top = sample_library.search(query, k=3)[0]
        assert top.evidence is not None and not top.weak, (query, top.evidence)
    for query in OFF_TOPIC:
        hits = sample_library.search(query, k=3)
        assert hits and all(hit.weak for hit in hits), (query, [h.evidence for h in hits])
    strong = sample_library.search(CLIPPING_QUERY, k=1)[0].evidence
    weak = sample_library.search("今天天气怎么样", k=1)[0].evidence
    assert strong > weak + 1.5


def test_the_cli_says_when_a_match_is_weak(tmp_path, sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    weak = run_study(settings, "search", "？？？")
    assert weak.returncode == 0 and weak.stdout.startswith("weak match: no passage stands out")
    assert "weak" in weak.stdout.splitlines()[1]
    strong = run_study(settings, "search", CLIPPING_QUERY).stdout.splitlines()
    assert strong[0].startswith("[1]") and "stands out" in strong[0] and "weak" not in strong[0]
    as_json = run_study(settings, "search", "--json", "今天天气怎么样")
    hits = json.loads(as_json.stdout)["hits"]
    assert hits[0]["weak"] is True and hits[0]["similarity"] > 0.5  # a high cosine, yet weak


NORM_BOUND_QUERY = "为什么训练时要给梯度的范数设一个上限？"


def test_when_no_dense_hit_stands_out_the_keyword_list_counts_as_much(sample_library):
    """For this paraphrase every dense cosine lies within 0.005 of the others (weak: no more
    than a content-free query's best hit stands out). Min-max fusion spread that noise over
    0-1 and weighed it 0.7, so both 梯度裁剪 sections, first and second by keywords, fell to
    8th and below. A query whose dense hit stands out keeps the 0.7 / 0.3 order."""
    library = sample_library
    assert library.search(NORM_BOUND_QUERY, k=1, mode="dense")[0].weak
    by_keywords = library.search(NORM_BOUND_QUERY, k=2, mode="lexical")
    assert all("梯度裁剪" in hit.chunk.heading for hit in by_keywords)
    assert any("梯度裁剪" in hit.chunk.heading for hit in library.search(NORM_BOUND_QUERY, k=3))
    snapshot = library._current()
    vector = library.embedder.embed_query(CLIPPING_QUERY)
    plain = hybrid.rank(snapshot.indexes, CLIPPING_QUERY, vector, 5, "hybrid",
                        snapshot.group_of, priors=snapshot.priors_of)
    assert [hit.chunk.id for hit in library.search(CLIPPING_QUERY, k=5)] == [
        scored.id for scored in plain.kept]
