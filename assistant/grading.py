"""Grading answers to practice questions.

MCQ, true/false and cloze are exact (a letter, a number, the option's text, yes/no words, the
term in either of its names) and need neither model nor embedder (``grade_exact``). A short
answer is checked against the reference's key points first, deterministically
(``grading_points``: which points it states, in its words or in others, and whether it says the
opposite of the reference): that caps the verdict and names what is missing. The model then
grades it against the reference and the cited passage under a JSON-schema grammar (verdict +
what is missing) as a second opinion that can only lower the verdict, and the e5 cosine between
answer and reference marks an unrelated answer wrong whatever both say; without a model, the
checks and the similarity decide alone.

Calibration (bundled multilingual-e5-small, both texts embedded as passages; 4 reference
answers from the sample notes, 3 answers of each kind per reference):

=============================================  ===============
answer                                         cosine to ref.
=============================================  ===============
correct, in other words                        0.925 - 0.970
wrong, on the same topic ("裁剪会放大梯度")      0.917 - 0.958
on another topic, or "不知道"                   0.842 - 0.903
=============================================  ===============

So similarity cannot tell right from wrong on the same topic, only on-topic from off-topic:
``UNRELATED_BELOW`` = 0.915. Without a model, only a near-verbatim answer (``CLOSE_FROM`` =
0.97, above every wrong one) counts as correct; other on-topic answers are "partial", with the
reference shown.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

import numpy as np

from assistant.generator import Generator, Prompt
from assistant.grading_points import check_points
from assistant.language import detect_language
from assistant.prompts import grade_messages
from assistant.quiz_schema import BLANK, GRADE_SCHEMA, QuizItem, normalized
from assistant.retrieval import Citation, Embedder, Passage
from ground.records import Chunk, Hit

_RANK = {"incorrect": 0, "partial": 1, "correct": 2}
UNRELATED_BELOW = 0.915
CLOSE_FROM = 0.97
GRADE_MAX_TOKENS = 90
_TRUE_WORDS = {"t", "true", "yes", "y", "对", "正确", "是", "真", "√"}
_FALSE_WORDS = {"f", "false", "no", "n", "错", "错误", "否", "假", "×"}


@dataclass(frozen=True)
class Grade:
    verdict: str  # "correct", "partial" or "incorrect"
    missing: str  # what the answer lacks or gets wrong (empty when correct)
    expected: str  # the correct option or the reference answer
    citation: Citation
    similarity: float | None = None  # short answers: cosine to the reference
    graded_by: str = "exact"  # "exact", "model+similarity" or "similarity"

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    def as_json(self) -> dict:
        return {"verdict": self.verdict, "correct": self.correct, "missing": self.missing,
                "expected": self.expected, "similarity": self.similarity,
                "graded_by": self.graded_by, "citation": self.citation.as_json()}


def chosen_option(item: QuizItem, response: str) -> int | None:
    """Which option a response picks: a letter, a 1-based number, yes/no, or the option text.

    >>> from assistant.retrieval import Citation
    >>> c = Citation(1, 1, "f", "h", 1, 2)
    >>> item = QuizItem("mcq", "Q", ("L1", "L2", "L3", "L4"), 1, "L2", "", c, "", True)
    >>> [chosen_option(item, r) for r in ("b", "2", " l2 ", "B) L2", "e")]
    [1, 1, 1, 1, None]
    """
    text = response.strip()
    letter = re.fullmatch(r"([A-Da-d])(?:[.、:：)]\s*.*)?", text)
    if letter:
        return "abcd".index(letter.group(1).lower())
    if re.fullmatch(r"[1-9]", text) and int(text) <= len(item.options):
        return int(text) - 1
    if item.kind == "truefalse":
        word = normalized(text)
        if word in _TRUE_WORDS:
            return 0
        if word in _FALSE_WORDS:
            return 1
    wanted = normalized(text)
    matches = [i for i, option in enumerate(item.options) if normalized(option) == wanted]
    return matches[0] if len(matches) == 1 else None


def grade_choice(item: QuizItem, response: str) -> Grade:
    picked = chosen_option(item, response)
    expected = f"{'ABCD'[item.answer_index]}. {item.answer}" if item.kind == "mcq" else item.answer
    if picked == item.answer_index:
        return Grade("correct", "", expected, item.citation)
    missing = "not one of the options" if picked is None else item.explanation
    return Grade("incorrect", missing, expected, item.citation)


def similarity(embedder: Embedder, answer: str, reference: str) -> float:
    vectors = np.asarray(embedder.embed_passages([answer, reference]))
    return float(vectors[0] @ vectors[1])


def grade_short(item: QuizItem, response: str, generator: Generator, embedder: Embedder,
                cancel: threading.Event | None = None) -> Grade:
    """A free answer (short answer, flashcard) against the reference's key points.

    Deterministic first (``check_points``): which key points the answer states, and whether it
    says the opposite of the reference. That caps the verdict -- an answer stating fewer than
    ``MOST_POINTS`` of the points is at most partial, one contradicting the reference is
    incorrect -- and the missing points are named. The model's verdict is a second opinion that
    can only lower it (a small model calls most on-topic answers correct).
    """
    if not normalized(response):
        return Grade("incorrect", item.answer, item.answer, item.citation, 0.0, "exact")
    score = similarity(embedder, response, item.answer)
    check = check_points(item.answer, response, embedder)
    listed = check.points if check.whole_from == 1.0 else None  # a sentence stays whole
    judged = (model_verdict(item, response, generator, cancel, listed)
              if generator.available else None)
    if check.contradiction:
        return Grade("incorrect", check.contradiction, item.answer, item.citation, score,
                     "similarity" if judged is None else "model+similarity")
    left_out = "；".join(check.missing)
    if judged is None:  # no model, or its reply was no verdict: the checks alone decide
        all_stated = not check.missing and len(check.points) > 1
        verdict = ("correct" if score >= CLOSE_FROM or all_stated
                   else "partial" if score >= UNRELATED_BELOW else "incorrect")
        if verdict == "correct" and check.missing:
            verdict = "partial"
        missing = "" if verdict == "correct" else left_out or item.answer
        return Grade(verdict, missing, item.answer, item.citation, score, "similarity")
    verdict, missing = judged
    cap = check.cap if score >= UNRELATED_BELOW else "incorrect"
    if _RANK[cap] < _RANK[verdict]:
        verdict, missing = cap, left_out or missing
    if verdict == "correct":
        missing = ""
    elif not missing:
        missing = left_out or item.answer
    return Grade(verdict, missing, item.answer, item.citation, score, "model+similarity")


def grade_cloze(item: QuizItem, response: str) -> Grade:
    """The hidden term, in either of its names ("准确率（Accuracy）": 准确率 or Accuracy).

    >>> from assistant.retrieval import Citation
    >>> c = Citation(1, 1, "f", "h", 1, 2)
    >>> item = QuizItem("cloze", "____ 衡量预测正确的比例", (), None, "准确率（Accuracy）", "",
    ...                 c, "", False)
    >>> [grade_cloze(item, r).verdict for r in ("准确率", "accuracy", "准确率(Accuracy)", "召回率")]
    ['correct', 'correct', 'correct', 'incorrect']
    """
    wanted = normalized(response)
    names = {normalized(item.answer)}
    found = re.fullmatch(r"(.+?)\s*[（(]([^（）()]+)[）)]\s*", item.answer)
    if found:
        names |= {normalized(found.group(1))} | {normalized(part) for part in
                                                 re.split(r"[，,、/]", found.group(2))}
    names.discard("")
    if wanted in names:
        return Grade("correct", "", item.answer, item.citation)
    close = any(name in wanted or (len(wanted) >= 2 and wanted in name) for name in names)
    verdict = "partial" if close else "incorrect"
    return Grade(verdict, item.answer, item.answer, item.citation)


def model_verdict(item: QuizItem, response: str, generator: Generator,
                  cancel: threading.Event | None = None,
                  points: list[str] | None = None) -> tuple[str, str] | None:
    """The model's rubric verdict under the grading schema; None when its reply is not one
    (unparseable, not an object, or a verdict the schema does not allow)."""
    passage = _cited_passage(item)
    language = detect_language(item.question + item.answer)
    reference = item.answer
    if points and len(points) > 1:
        reference = "\n".join(f"{n}. {point}" for n, point in enumerate(points, start=1))
    question = item.question.replace(BLANK, "____")
    messages = grade_messages(passage, question, reference, response, language)
    prompt = Prompt(messages, GRADE_MAX_TOKENS).with_schema(GRADE_SCHEMA)
    try:
        data = json.loads(generator.complete(prompt, cancel))
    except ValueError:
        return None
    allowed = GRADE_SCHEMA["properties"]["verdict"]["enum"]
    if not isinstance(data, dict) or data.get("verdict") not in allowed:
        return None
    return data["verdict"], str(data.get("missing", "")).strip()


def grade(item: QuizItem, response: str, generator: Generator, embedder: Embedder,
          cancel: threading.Event | None = None) -> Grade:
    """Grade ``response`` to ``item``: exact for MCQ, true/false and cloze; against the key
    points for short answers and flashcards."""
    if item.kind in EXACT_KINDS:
        return grade_exact(item, response)
    return grade_short(item, response, generator, embedder, cancel)


EXACT_KINDS = ("mcq", "truefalse", "cloze")


def grade_exact(item: QuizItem, response: str) -> Grade:
    """MCQ, true/false and cloze: no model, no embedder."""
    if item.kind == "cloze":
        return grade_cloze(item, response)
    return grade_choice(item, response)


def _cited_passage(item: QuizItem) -> Passage:
    c = item.citation
    title = c.heading.split(" > ")
    chunk = Chunk(c.chunk_id, 0, c.source, title[0], tuple(title), c.start_line, c.end_line,
                  0, len(item.passage), item.passage, "", None, c.page)
    return Passage(1, Hit(chunk, 0.0), item.passage)
