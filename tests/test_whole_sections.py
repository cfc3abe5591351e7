"""A section the index cut into two chunks is quoted and read as one passage.

Slow: the real chunker cuts the section and the real e5 search ranks its chunks (the quote
starts from the chunk ranked first); the model is scripted, its reply does not matter here.
"""

from __future__ import annotations

import pytest

from assistant.explain import start_explanation
from assistant.whole_sections import continued
from ground.records import Chunk
from tests.fakes import ScriptedGenerator

pytestmark = pytest.mark.slow

INTRO = [f"第{i}段：激活函数的选择会影响网络的表达能力和训练速度，需要结合具体任务、数据分布和网络"
         "深度来考虑。" for i in range(1, 3)]
REASONS = [f"{i}. 第{i}个原因：Tanh 的输出以零为中心，导数在零点附近最大为 1，比 Sigmoid 的 0.25 "
           "大，反向传播时梯度衰减得慢，参数更新更有效率。" for i in range(1, 11)]
NOTE = "\n".join(["# 激活函数", "", "## 为什么 Tanh 收敛速度比 Sigmoid 快？", "", *INTRO, "",
                  "Tanh 收敛比 Sigmoid 快的原因有以下几点：", *REASONS, "",
                  "## ReLU 有什么优点？", "", "ReLU 计算简单，正半轴梯度恒为 1。", ""])
LEAD_LINE = 8  # "…的原因有以下几点：", then the ten reasons on lines 9-18


@pytest.fixture(scope="module")
def split_section_library(tmp_path_factory, model_settings, embedding_model_dir):
    from index.library import Library

    notes = tmp_path_factory.mktemp("split-notes")
    (notes / "activations.md").write_text(NOTE, encoding="utf-8")
    library = Library.open(model_settings.replace(home=tmp_path_factory.mktemp("split-home")))
    library.ingest([notes])
    yield library
    library.close()


def test_a_list_cut_by_a_chunk_boundary_is_quoted_whole_from_one_passage(split_section_library):
    section = [c for c in split_section_library.chunks() if "Tanh" in c.heading]
    assert len(section) == 2 and section[0].end_line < LEAD_LINE + 10  # the list is cut
    generator = ScriptedGenerator()
    generator.enqueue("Tanh 的输出以零为中心，反向传播时梯度衰减得慢[1]。")
    explanation = start_explanation(split_section_library, generator,
                                    "Tanh 为什么比 Sigmoid 收敛得快？", prompt_budget=1200)
    first = explanation.passages[0]  # the model reads the section once, whole, as [1]
    quoted = explanation.extractive  # the quote the student ends with (after the search)
    assert [q.line for q in quoted.lines] == list(range(LEAD_LINE, LEAD_LINE + 11))
    assert [q.text for q in quoted.lines] == NOTE.split("\n")[LEAD_LINE - 1:LEAD_LINE + 10]
    assert (first.citation.start_line, first.citation.end_line) == (3, 18)
    assert REASONS[0] in first.excerpt and REASONS[-1] in first.excerpt
    assert all("Tanh" not in p.hit.chunk.heading for p in explanation.passages[1:])
    answer = explanation.finish()
    assert answer.extractive.citation.number == 1 and answer.citations[0].end_line == 18


def test_chunks_with_unread_text_between_them_stay_apart():
    def chunk(first, last, start, text):
        return Chunk(first, 1, "/n/a.md", "a", ("a", "S"), first, last, start,
                     start + len(text), text, "h")

    above = chunk(1, 2, 0, "one\ntwo")
    assert continued(above, chunk(4, 4, 9, "four")).text == "one\ntwo\n\nfour"  # a blank line
    assert continued(above, chunk(4, 4, 12, "four")) is None  # line 3 holds text
