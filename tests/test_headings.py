"""One reading of a heading's numbering for every step that shows or searches a heading.

Each caller had its own pattern and each got some headings wrong: the self-test turned
"QKV 是什么？" into "KV 是什么？" (a bare "Q" was numbering), the topic names kept "2.5 "
and cut "问题与挑战" to "与挑战", practice questions kept "2.1 " of "3.2.1 什么是卷积？". The
cases below are the ones each caller met; they run through the callers, not only the helper.
"""

from __future__ import annotations

import pytest

from assistant.library_profile import clean_heading
from assistant.prompts import tag_section
from assistant.quiz import question_of as practice_question
from ground.headings import strip_numbering
from ground.question_key import question_key
from ground.records import Chunk
from index.evaluation import question_of as self_test_query
from ui.topic_names import clean_topic


def _chunk(heading: str) -> Chunk:
    return Chunk(1, 1, "a.md", "A", ("A", heading), 1, 2, 0, 9, "x", "h")


CASES = [  # heading, without its numbering
    ("题目 4：什么是梯度裁剪？", "什么是梯度裁剪？"),
    ("3.5.4 盲目增大 Batch_Size 有何坏处？", "盲目增大 Batch_Size 有何坏处？"),
    ("3.2.1 什么是卷积？", "什么是卷积？"),
    ("2.5 实例理解反向传播", "实例理解反向传播"),
    ("Q3: What is dropout?", "What is dropout?"),
    ("QKV 是什么？", "QKV 是什么？"),
    ("一、绪论", "绪论"),
    ("（2）为什么要归一化？", "为什么要归一化？"),
    ("第七章 优化算法", "优化算法"),
    ("问题与挑战", "问题与挑战"),
    ("1.5B 模型够用吗？", "1.5B 模型够用吗？"),
    ("1x1 卷积有什么用？", "1x1 卷积有什么用？"),
    ("2017 年的论文", "2017 年的论文"),
    ("题目一：什么是微调？", "什么是微调？"),
    ("问题一般出在数据上", "问题一般出在数据上"),
]


@pytest.mark.parametrize(("heading", "bare"), CASES)
def test_every_caller_reads_the_numbering_the_same_way(heading: str, bare: str) -> None:
    assert strip_numbering(heading) == bare
    assert practice_question(heading) == bare
    assert clean_heading(heading) == bare
    assert clean_topic(heading) == bare
    assert tag_section(heading) == bare  # all shorter than the tag's cut
    assert self_test_query(_chunk(heading)) in (bare, None)  # None: not question-style


def test_the_self_test_keeps_a_question_about_qkv() -> None:
    assert self_test_query(_chunk("QKV 是什么？")) == "QKV 是什么？"


def test_the_self_test_asks_what_the_numbering_reading_calls_numbered() -> None:
    # its own pattern took "1 Introduction" for numbered and searched it with the "1"
    assert self_test_query(_chunk("1 Introduction")) is None
    assert self_test_query(_chunk("3.2.5 实例理解反向传播")) == "实例理解反向传播"
    assert self_test_query(_chunk("题目一：什么是微调？")) == "什么是微调？"
    name = "第七章 生成对抗网络"
    title = Chunk(1, 1, "a.md", name, (name,), 1, 2, 0, 9, "x", "h")
    assert self_test_query(title) is None  # the file's own title: every section answers it


def test_a_label_with_nothing_after_it_leaves_the_tag_as_written() -> None:
    assert tag_section("题目：") == "题目："
    assert clean_topic("**题目 4：**什么是梯度裁剪？") == "什么是梯度裁剪？"


def test_the_stored_topic_key_keeps_its_own_reading() -> None:
    """Practice history is filed under ``question_key``: it must not move with the helper."""
    key = question_key(("A", "3.5.4 盲目增大 Batch_Size 有何坏处？"))
    assert key == "54盲目增大batchsize有何坏处"
    assert question_key(("A", "题目 16：什么是BERT（Bidirectional Encoder）？")) == "什么是bert"
