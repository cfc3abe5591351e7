"""Practice questions and grading with the real model over the real sample library."""

from __future__ import annotations

import jsonschema
import pytest
from assistant_support import assistant_fixture, generator_fixture  # noqa: F401 (fixtures)

from assistant.quiz import QuizLog
from assistant.quiz_schema import SCHEMAS, QuizItem, normalized
from assistant.retrieval import Citation


def raw_item(item: QuizItem) -> dict:
    """The item as the model's JSON would state it."""
    return {"question": item.question, "options": list(item.options),
            "answer_index": item.answer_index, "explanation": item.explanation}


def assert_cites_a_real_chunk(item: QuizItem, library) -> None:
    chunks = {chunk.id: chunk for chunk in library.chunks()}
    chunk = chunks[item.citation.chunk_id]
    assert (chunk.source, chunk.start_line, chunk.end_line) == (
        item.citation.source, item.citation.start_line, item.citation.end_line)
    assert item.passage and item.passage.splitlines()[0][:10] in chunk.text.replace("**", "")


def test_a_three_item_mcq_quiz_on_regularization_validates(assistant, sample_library):
    log = QuizLog()
    items = list(assistant.quiz("正则化", count=3, kind="mcq", log=log))
    assert len(items) == 3
    for item in items:
        jsonschema.validate(raw_item(item), SCHEMAS["mcq"])
        assert len({normalized(o) for o in item.options}) == 4
        assert item.options[item.answer_index] == item.answer  # exactly one marked correct
        assert item.generated
        assert_cites_a_real_chunk(item, sample_library)
    questions = [normalized(item.question) for item in items]
    assert len(set(questions)) == 3


@pytest.fixture(scope="module")
def clipping_item(sample_library) -> QuizItem:
    hit = next(h for h in sample_library.search("什么是梯度裁剪？", k=5)
               if "梯度裁剪" in h.chunk.heading)
    return QuizItem(
        "short", "什么是梯度裁剪？它的作用是什么？", (), None,
        "梯度裁剪通过设定阈值限制梯度的大小，防止梯度爆炸，使训练更稳定。", "",
        Citation.of(1, hit), hit.chunk.text, True,
    )


def test_grading_marks_a_correct_short_answer_correct(assistant, clipping_item):
    right = "就是给梯度设一个上限，梯度太大时把它缩小，避免梯度爆炸。"
    grade = assistant.grade(clipping_item, right)
    assert grade.verdict == "correct", grade
    assert grade.graded_by == "model+similarity" and grade.citation == clipping_item.citation


def test_grading_marks_a_wrong_short_answer_wrong(assistant, clipping_item):
    wrong = "梯度裁剪是一种数据增强方法，通过裁剪图片来增加训练样本。"
    grade = assistant.grade(clipping_item, wrong)
    assert not grade.correct, grade
    assert grade.missing


def test_mcq_grading_is_exact(assistant):
    options = ("学习率", "权重平方和", "批大小", "层数")
    item = QuizItem("mcq", "L2 正则化惩罚什么？", options, 1, "权重平方和", "L2 惩罚权重平方和。",
                    Citation(1, 1, "f.md", "h", 1, 2), "", True)
    assert assistant.grade(item, "B").correct
    assert assistant.grade(item, "权重平方和").correct
    wrong = assistant.grade(item, "a")
    assert not wrong.correct and wrong.expected == "B. 权重平方和"
