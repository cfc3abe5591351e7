"""A thing the notes explain inside a larger section -- under a bold title of its own ("**4.
Leaky ReLU函数**") or as a bold bullet label ("- **遗忘门（Forget Gate）：**") -- is covered, and
"what is it?" quotes its part: the real sample library (e5, FAISS, BM25), no model.

Before session 66 "Leaky ReLU 是什么？" and "F1 分数是什么？" were refused as unrelated (their e5
cosine fell under the library's off-topic level), "什么是岭回归？" for an untreated name, and
"F1 分数怎么计算？" quoted only the answer's lead-in "评估深度学习模型性能的指标包括但不限于：".
"""

from __future__ import annotations

import pytest

from assistant.coverage import name_status
from assistant.explain import start_explanation
from assistant.generator import UnavailableGenerator


def quote_of(library, question: str):
    explanation = start_explanation(library, UnavailableGenerator("no model"), question)
    return explanation.coverage, explanation.extractive


@pytest.mark.parametrize(("question", "title", "says"), [
    ("Leaky ReLU 是什么？", "**4. Leaky ReLU函数**", "减少神经元死亡现象"),
    ("F1 分数是什么？", "**4. F1 分数（F1 Score）**", "调和平均"),
    ("F1 分数怎么计算？", "**4. F1 分数（F1 Score）**", "\\text{F1 Score} = 2"),
    ("什么是 early stopping？", "**4. early stopping**", "提前停止训练"),
])
def test_a_part_under_a_bold_title_is_what_is_quoted(sample_library, question, title, says):
    coverage, quote = quote_of(sample_library, question)
    assert coverage.covered, coverage
    assert quote is not None and quote.lines[0].text == title, quote
    assert says in quote.text


def test_of_two_titles_holding_the_name_the_one_naming_least_else_is_quoted(sample_library):
    _, quote = quote_of(sample_library, "ReLU 函数有什么优缺点？")
    assert quote is not None and quote.lines[0].text.startswith("**2.ReLU函数"), quote
    _, quote = quote_of(sample_library, "什么是 Sigmoid 函数？")
    assert quote is not None and quote.lines[0].text == "**1. Sigmoid 函数**", quote


def test_two_named_parts_are_both_quoted(sample_library):
    _, quote = quote_of(sample_library, "精确率和召回率有什么区别？")
    assert quote is not None
    assert "**2. 精确率（Precision）**" in quote.text and "**3. 召回率（Recall）**" in quote.text
    assert "准确率（Accuracy）" not in quote.text


@pytest.mark.parametrize("name", ["岭回归", "图像降维", "遗忘门", "Leaky ReLU", "early stopping"])
def test_a_name_under_a_bold_title_or_bold_label_is_treated(sample_library, name):
    assert name_status(name, sample_library) == "treated"


def test_a_name_the_notes_never_give_is_still_refused(sample_library):
    coverage, _ = quote_of(sample_library, "朴素贝叶斯为什么叫“朴素”？")
    assert not coverage.covered
    coverage, _ = quote_of(sample_library, "条件随机场是什么？")
    assert not coverage.covered


@pytest.mark.parametrize(("question", "label"), [
    ("什么是岭回归？", "**4. 岭回归（Ridge Regression）：**"),
    ("学习率预热是什么？", "**4. 学习率预热（Learning Rate Warmup）：**"),
])
def test_what_is_a_bold_labelled_item_quotes_that_item(sample_library, question, label):
    coverage, quote = quote_of(sample_library, question)
    assert coverage.covered, coverage
    assert quote is not None and label in quote.lines[0].text, quote
    assert len(quote.lines) > 1 or not quote.lines[0].text.rstrip().endswith("**")  # not a title
