"""Plumbing of the answer checks, on small fakes of the embedder seam (no model loads).

The extractive answer and subject extraction run on the real sample notes' text; the claim
checker gets a deterministic character-bigram embedder, which is enough for clear-cut cases
(a sentence copied from a passage, a sentence about cooking).
"""

from __future__ import annotations

import doctest
import importlib
import zlib
from pathlib import Path

import numpy as np
import pytest

from assistant.citations import check_citations, marker_numbers
from assistant.coverage import subject_terms
from assistant.extractive import extract_answer
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"
CLIPPING = ("梯度裁剪（Gradient Clipping）是一种限制梯度大小的方法，以避免梯度爆炸或消失。\n"
            "通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内，有助于模型稳定收敛。")
DROPOUT = "Dropout 在训练时随机丢弃一部分神经元，防止神经元之间的共适应，从而减少过拟合。"


class BigramEmbedder:
    """Implements ``assistant.retrieval.Embedder``: hashed character bigrams, unit length."""

    dim = 256

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:], strict=False):
            vector[zlib.crc32((a + b).encode()) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


def passage(number: int, text: str, heading: str = "笔记", start_line: int = 1) -> Passage:
    lines = text.count("\n")
    chunk = Chunk(number, 1, "/notes/a.md", "a", ("a", heading), start_line,
                  start_line + lines, 0, len(text), text, f"h{number}")
    return Passage(number, Hit(chunk, 1.0), text)


PASSAGES = [passage(1, CLIPPING, "梯度裁剪"), passage(2, DROPOUT, "Dropout")]


@pytest.mark.parametrize("name", ["extractive", "citations", "coverage", "library_profile",
                                  "explain"])
def test_docstring_examples(name):
    module = importlib.import_module(f"assistant.{name}")
    assert doctest.testmod(module).failed == 0


def test_a_marker_inside_a_display_formula_is_moved_out():
    text = "梯度裁剪将梯度大小限制在一个合理的范围内：$$g \\leftarrow \\frac{c}{\\|g\\|} g [1]$$。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    formula = checked.text[checked.text.index("$$"): checked.text.rindex("$$") + 2]
    assert "[" not in formula and "g$$[1]" in checked.text.replace(" ", "")


def test_a_marker_is_never_added_inside_inline_code():
    text = "通过设置梯度裁剪阈值，可以将梯度大小限制在合理的范围内，如 `clip_grad_norm_(p, 1.0)`"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "梯度裁剪怎么做？")
    assert checked.attached == 1 and checked.text.endswith("`clip_grad_norm_(p, 1.0)`[1]")


def test_a_cited_sentence_its_passage_does_not_support_is_taken_out():
    text = ("梯度裁剪是一种限制梯度大小的方法，以避免梯度爆炸[1]。"
            "红烧肉要先炒糖色再加酱油炖一小时[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    assert checked.unsupported == ("红烧肉要先炒糖色再加酱油炖一小时。",)
    assert "红烧肉" not in checked.text and marker_numbers(checked.text) == [1]


def test_a_marker_to_the_wrong_passage_is_moved_to_the_one_that_says_it():
    text = "Dropout 在训练时随机丢弃一部分神经元，从而减少过拟合[1]。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "Dropout 有什么用？")
    assert marker_numbers(checked.text) == [2] and checked.repointed == 1


def test_an_answer_cut_by_the_token_limit_ends_at_its_last_complete_sentence():
    text = "梯度裁剪是一种限制梯度大小的方法[1]。通过设置梯度裁剪阈值，可以将梯度大小限制在"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？", cut=True)
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法[1]。"


def test_a_sentence_that_restates_the_question_is_not_an_answer():
    text = "梯度裁剪和 Dropout 不同[1]。梯度裁剪限制梯度大小，以避免梯度爆炸或消失[1]。"
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "梯度裁剪和 Dropout 有什么区别？")
    assert checked.non_answers == ("梯度裁剪和 Dropout 不同[1]。",)
    assert checked.text == "梯度裁剪限制梯度大小，以避免梯度爆炸或消失[1]。"


def test_the_extractive_answer_quotes_the_notes_lines_exactly():
    path = NOTES / "003_89ce1d617499cee7.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[48:64])  # "#### 4. 什么是梯度消失和梯度爆炸？" .. its 解析
    quoted = extract_answer("梯度消失和梯度爆炸是什么？", [passage(1, text, "4. 梯度消失", 49)])
    assert [q.line for q in quoted.lines] == [53, 55, 56]
    assert all(q.text == lines[q.line - 1] for q in quoted.lines)
    assert "梯度消失（Gradient Vanishing）" in quoted.text
    assert "梯度爆炸（Gradient Exploding）" in quoted.text


def test_a_bare_answer_label_quotes_the_paragraph_after_it():
    path = NOTES / "004_8e77f8e049ce3a31.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    text = "\n".join(lines[36:46])  # "#### 题目 4：什么是梯度裁剪" .. its 解析
    quoted = extract_answer("为什么要给梯度设上限？", [passage(1, text, "题目 4", 37)])
    assert [q.line for q in quoted.lines] == [41] and quoted.kind == "answer"
    assert quoted.text == lines[40]


@pytest.mark.parametrize(("question", "names"), [
    ("XGBoost 相比普通的梯度提升树做了哪些改进？", ["XGBoost"]),
    ("信息增益和基尼系数有什么区别？", ["信息增益", "基尼系数"]),
    ("What is a support vector machine?", ["support vector machine"]),
    ("网络一深，梯度往回传就越来越小甚至没了，是什么原因", []),
    ("投票、加权平均、stacking 这些把多个模型结果合起来的方法", []),
])
def test_the_subject_names_of_a_question(question, names):
    assert subject_terms(question) == names


class EmbedderOnly:
    embedder = BigramEmbedder()


def test_a_compare_cell_its_passages_do_not_support_becomes_the_notes_sentence():
    from assistant.compare import _row

    groups = [[PASSAGES[0]], [passage(2, DROPOUT, "Dropout")]]
    cells = [{"text": "梯度裁剪是一种限制梯度大小的方法", "source": 1},
             {"text": "Dropout 会让学习率自动变大", "source": 2}]
    row = _row("definition", cells, groups, ["梯度裁剪", "Dropout"], "zh", EmbedderOnly(), None)
    clipping, dropout = row.cells
    assert clipping.text == "梯度裁剪是一种限制梯度大小的方法" and not clipping.quoted
    assert dropout.quoted and dropout.text in DROPOUT and dropout.citations == (2,)
    assert dropout.text.endswith("。")  # a complete sentence, never cut


def test_a_list_item_whose_sentence_is_taken_out_leaves_no_bare_number():
    text = ("梯度裁剪是一种限制梯度大小的方法[1]：\n1. 红烧肉要先炒糖色再加酱油炖一小时[1]。\n"
            "2. 通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内[1]。\n资料依据：[1]\n3.")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？", cut=True)
    kept = "2. 通过设置梯度裁剪阈值，可以将梯度大小限制在一个合理的范围内[1]。"
    assert checked.text.split("\n") == ["梯度裁剪是一种限制梯度大小的方法[1]：", kept]


def test_a_repeated_sentence_is_said_once():
    text = ("梯度裁剪是一种限制梯度大小的方法[1]。\n- 梯度裁剪是一种限制梯度大小的方法[1]。")
    checked = check_citations(text, PASSAGES, BigramEmbedder(), "什么是梯度裁剪？")
    assert checked.text == "梯度裁剪是一种限制梯度大小的方法[1]。"
