"""Which of a reference's key points a free answer states, and whether it says their opposite:
the deterministic half of short-answer grading (``grading.grade_short``), no model involved.

Points: the reference's lines (``key_points``); a one-sentence reference is cut into its
clauses ("通过设定阈值限制梯度的大小，防止梯度爆炸，使训练更稳定" -> three points). A point is
stated when the answer shares enough of its wording (``key_points.covered_points``) or when an
answer clause whose closest point it is says it in other words: e5 cosine at or above
``STATES_FROM`` (0.945 for Chinese, 0.875 otherwise). Assigning each answer clause to its
closest point keeps sibling points apart ("L1 惩罚绝对值" does not state "L2 惩罚平方").

Calibration (bundled multilingual-e5-small, passages; 8 Chinese points on sample-note topics and
6 English points on dev2 topics, each with a paraphrase that states it and an on-topic clause
that does not; written by hand: ``benchmarks.bench_quiz.POINT_PAIRS``, printed by its
``grading`` phase):

======================  ===================  =========================
                        states the point     on topic, does not state
======================  ===================  =========================
Chinese                 0.921 - 0.970        0.897 - 0.944
English                 0.874 - 0.938        0.772 - 0.871
======================  ===================  =========================

So the thresholds sit just above every clause that does not state its point: a paraphrase may
go unrecognised (the model's verdict and the shown reference remain), a point is never credited
for an answer that does not make it.

How many points make an answer whole: every line of a list reference (each line is its own
point); of a sentence's clauses, ``MOST_POINTS`` (a trailing "使训练更稳定" is not the crux).

Contradiction: the answer says a word whose opposite the reference says (放大 where the
reference says 限制 / 缩小; "increase" against "decrease"), or negates a word the reference
asserts ("不能防止" against "防止"). Either makes the answer incorrect, named in ``missing``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.key_points import covered_points, key_points

STATES_FROM = {"zh": 0.945, "other": 0.875}
MOST_POINTS = 0.6  # share of a sentence's clauses an answer must state to be whole
MIN_CLAUSE_CHARS = 4
_CLAUSE_SPLIT = re.compile(r"[，,。；;！？!?\n]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
OPPOSITES = (
    ("放大", ("缩小", "限制", "减小", "降低")), ("增大", ("减小", "缩小", "限制")),
    ("增加", ("减少", "降低")), ("减少", ("增加", "提高")), ("提高", ("降低", "减少")),
    ("降低", ("提高", "增加")), ("加快", ("减慢", "放慢")), ("减慢", ("加快", "加速")),
    ("变大", ("变小", "缩小")), ("变小", ("变大", "增大")), ("上升", ("下降",)),
    ("下降", ("上升",)), ("导致", ("防止", "避免", "缓解")), ("引起", ("防止", "避免")),
    ("稠密", ("稀疏",)), ("稀疏", ("稠密",)), ("过拟合", ("欠拟合",)), ("欠拟合", ("过拟合",)),
    ("increase", ("decrease", "reduce", "limit")), ("decrease", ("increase",)),
    ("larger", ("smaller",)), ("smaller", ("larger",)), ("faster", ("slower",)),
    ("slower", ("faster",)), ("cause", ("prevent", "avoid")), ("causes", ("prevent", "avoid")),
    ("dense", ("sparse",)), ("sparse", ("dense",)),
)
_NEGATION_ZH = re.compile(r"(?:不能|不会|不是|无法|并非|没有|不)$")
_NEGATION_EN = re.compile(r"\b(?:not|no|never|cannot|can't|doesn't|don't|isn't|won't)\s+$")


@dataclass(frozen=True)
class PointCheck:
    points: list[str]
    stated: list[bool]
    whole_from: float  # share of points stated from which nothing is missing
    contradiction: str  # empty, or what the answer says against the reference

    @property
    def missing(self) -> list[str]:
        if not self.points or sum(self.stated) / len(self.points) >= self.whole_from:
            return []
        return [point for point, said in zip(self.points, self.stated, strict=True) if not said]

    @property
    def cap(self) -> str:
        """The best verdict the checks allow."""
        if self.contradiction:
            return "incorrect"
        return "partial" if self.missing else "correct"


def grading_points(reference: str) -> tuple[list[str], float]:
    """The points of ``reference`` and the share of them a whole answer states.

    >>> grading_points("梯度裁剪通过设定阈值限制梯度的大小，防止梯度爆炸，使训练更稳定。")
    (['梯度裁剪通过设定阈值限制梯度的大小', '防止梯度爆炸', '使训练更稳定'], 0.6)
    >>> grading_points("L1 使权重稀疏。\\nL2 使权重变小。")
    (['L1 使权重稀疏。', 'L2 使权重变小。'], 1.0)
    """
    points = key_points(reference)
    if len(points) > 1:
        return points, 1.0
    parts = [part for part in clauses(points[0]) if _chars(part) >= MIN_CLAUSE_CHARS]
    return (parts, MOST_POINTS) if len(parts) > 1 else (points, 1.0)


def clauses(text: str) -> list[str]:
    return [part.strip() for part in _CLAUSE_SPLIT.split(text) if _chars(part) >= 2]


def check_points(reference: str, answer: str, embedder=None) -> PointCheck:
    points, whole_from = grading_points(reference)
    stated = covered_points(points, answer)
    if embedder is not None and not all(stated):
        stated = [a or b for a, b in zip(stated, _stated_in_other_words(points, answer, embedder),
                                         strict=True)]
    return PointCheck(points, stated, whole_from, contradiction(reference, answer))


def _stated_in_other_words(points: list[str], answer: str, embedder) -> list[bool]:
    parts = clauses(answer) or [answer]
    vectors = np.asarray(embedder.embed_passages([*points, *parts]))
    scores = vectors[len(points):] @ vectors[: len(points)].T  # answer clause x point
    closest = scores.argmax(axis=1)
    stated = []
    for index, point in enumerate(points):
        mine = [scores[row, index] for row in range(len(parts)) if closest[row] == index]
        threshold = STATES_FROM["zh" if _CJK.search(point) else "other"]
        stated.append(bool(mine) and bool(max(mine) >= threshold))
    return stated


def contradiction(reference: str, answer: str) -> str:
    """What ``answer`` says against ``reference``, or "".

    >>> contradiction("梯度裁剪限制梯度的大小，防止梯度爆炸。", "梯度裁剪会把梯度放大。")
    '答案说“放大”，笔记说的是“限制”'
    >>> contradiction("梯度裁剪防止梯度爆炸。", "梯度裁剪不能防止梯度爆炸。")
    '答案说“不能防止”，笔记说的是“防止”'
    >>> contradiction("梯度裁剪防止梯度爆炸。", "设一个阈值，避免梯度爆炸。")
    ''
    """
    ref, said = reference.lower(), answer.lower()
    for word, opposites in OPPOSITES:
        if _has(said, word) and not _has(ref, word):
            against = next((o for o in opposites if _has(ref, o) and not _has(said, o)), None)
            if against:
                return _against(reference, word, against)
    for word in _asserted_words(ref):
        for found in re.finditer(re.escape(word), said):
            before = said[max(0, found.start() - 4): found.start()]
            negation = _NEGATION_ZH.search(before) or _NEGATION_EN.search(before)
            if negation and not _negated_in(ref, word):
                return _against(reference, negation.group(0).strip() + word, word)
    return ""


def _against(reference: str, said: str, noted: str) -> str:
    if _CJK.search(reference):
        return f"答案说“{said}”，笔记说的是“{noted}”"
    return f"the answer says “{said}”, the notes say “{noted}”"


def _asserted_words(reference: str) -> list[str]:
    """Verbs and terms a negation could flip: the reference's two-character Chinese words
    that are verbs of effect, and its English words of four letters or more."""
    verbs = [v for v in ("防止", "避免", "缓解", "限制", "减少", "增加", "提高", "降低", "加快",
                         "稳定", "需要", "可以", "能够", "使用", "包括") if v in reference]
    words = [w for w in re.findall(r"[a-z]{4,}", reference)]
    return verbs + words


def _negated_in(text: str, word: str) -> bool:
    for found in re.finditer(re.escape(word), text):
        before = text[max(0, found.start() - 4): found.start()]
        if _NEGATION_ZH.search(before) or _NEGATION_EN.search(before):
            return True
    return False


def _has(text: str, word: str) -> bool:
    if re.fullmatch(r"[a-z ]+", word):
        return re.search(rf"\b{re.escape(word)}\b", text) is not None
    return word in text


def _chars(text: str) -> int:
    return len(re.sub(r"\W", "", text))
