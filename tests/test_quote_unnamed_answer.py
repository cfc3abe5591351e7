"""The paragraph that answers may share no word with the question.

A student describes the trouble in their own words ("有些点跑到了另一类那边，硬间隔分不开"), and the
notes answer with a term the question never uses (松弛变量). The paragraph restating the problem
names the question's words; the answer is the paragraph after it (r93 dev8:c11).
"""

from __future__ import annotations

import pytest

from assistant.budget import query_terms
from assistant.extractive import extract_from_passage
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

SOFT_MARGIN = [
    "### 软间隔最大化", "", "![](soft1.png)", "",
    "如上图所示，圈和叉是两个不同的类别，可有的圈混在叉那边，有的叉也混在圈那边，这该怎么办呢", "",
    "![](soft2.png)", "",
    "> 引入松弛变量ξ，也就是允许一部分样本越过分界线", "",
    "![](soft3.png)", "",
    "> 同时还要对ξ加以约束，防止它取得过大", "",
    "![](soft4.png)", "",
    "最终的结果为：", "", "![](soft5.png)", "",
    "这样接下来就只剩下求解α的问题了",
]
QUESTION = "训练数据里有些点跑到了另一类那边，硬间隔 SVM 分不开，该怎么改？"


@pytest.mark.slow
def test_the_answer_is_quoted_though_only_the_problem_names_the_questions_words(sample_library):
    text = "\n".join(SOFT_MARGIN)
    chunk = Chunk(1, 1, "/notes/svm.md", "svm", ("svm", "软间隔最大化"), 1, len(SOFT_MARGIN),
                  0, len(text), text, "h")
    found = extract_from_passage(Passage(1, Hit(chunk, 1.0), text), query_terms(QUESTION),
                                 QUESTION, sample_library.embedder)
    assert found is not None
    assert "松弛变量" in found.text
