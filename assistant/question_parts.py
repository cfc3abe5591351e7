"""The questions one message asks: "梯度裁剪怎么做？阈值多少？" asks two, and so does "Why does
that happen and which variants avoid it?".

A student often asks two things at once, and the notes answer them in different paragraphs of
one section (the held-out audits r48 and r49: "only a slice of the answer was quoted"). The
quote looks for each part's paragraph (``extractive.with_asked_parts``), so it needs the parts.

A message splits at its question marks; a part splits again where a second question is joined
to the first: in English by ", and why / how / which …", in Chinese by a comma before a clause
with its own question word ("为什么 Xavier 初始化效果不好，初始化的方差应该怎么设"). A clause
that asks nothing ("深层网络用的是 ReLU，") sets the scene for the question after it and stays
with it. Every part must ask: "In multi-head attention, why are …" is one question.
"""

from __future__ import annotations

import re

MAX_PARTS = 4  # more than this is a list of questions, not one question asked in parts

_QUESTION_END = re.compile(r"(?<=[？?])\s*")
_JOINED_EN = re.compile(
    r"(?:,\s*|\s+)(?:and|or)\s+(?=(?:why|how|what|which|when|where|does|do|is|are|can|should)"
    r"\b)|(?<=[,;])\s+(?=(?:why|how|what|which|when|where)\b)", re.IGNORECASE)
_ASKS_EN = re.compile(r"\b(?:why|how|what|which|when|where|does|do|is|are|can|should|would)\b",
                      re.IGNORECASE)
_CLAUSE_ZH = re.compile(r"[，,；;]")
_ASKS_ZH = re.compile(r"为什么|为何|怎么|怎样|如何|哪|什么|多少|吗")  # not 几: "几十条数据"


def question_parts(question: str) -> list[str]:
    """The questions ``question`` asks, in order; ``[question]`` when it asks one.

    >>> question_parts("梯度裁剪怎么做？阈值多少？")
    ['梯度裁剪怎么做？', '阈值多少？']
    >>> question_parts("My ReLUs output zero. Why does that happen and which variants avoid it?")
    ['My ReLUs output zero. Why does that happen', 'which variants avoid it?']
    >>> question_parts("深层网络用的是 ReLU，为什么 Xavier 效果不好，方差应该怎么设？")
    ['深层网络用的是 ReLU，为什么 Xavier 效果不好', '方差应该怎么设？']
    >>> question_parts("手上只有几十条标注数据，还能靠预训练模型做好吗")
    ['手上只有几十条标注数据，还能靠预训练模型做好吗']
    >>> question_parts("为什么会这样，有什么办法，请举例")
    ['为什么会这样', '有什么办法，请举例']
    >>> question_parts("In multi-head attention, why are the dot products scaled?")
    ['In multi-head attention, why are the dot products scaled?']
    >>> question_parts("什么是 dropout？"), question_parts("预训练分哪几种？是按语言分吗")
    (['什么是 dropout？'], ['预训练分哪几种？', '是按语言分吗'])
    """
    parts = [piece for part in _QUESTION_END.split(question.strip()) if part.strip()
             for piece in _joined_questions(part.strip())]
    return parts if 1 < len(parts) <= MAX_PARTS else [question.strip()]


def _joined_questions(part: str) -> list[str]:
    """``part`` split where a second question is joined to the first (see the module)."""
    english = [piece.strip() for piece in _JOINED_EN.split(part) if piece.strip()]
    if len(english) > 1 and all(_ASKS_EN.search(piece) for piece in english):
        return english
    asking, scene = [], ""
    for clause in (c.strip() for c in _CLAUSE_ZH.split(part) if c.strip()):
        if _ASKS_ZH.search(clause):
            asking.append(scene + clause)
            scene = ""
        else:
            scene += clause + "，"
    if asking and scene:  # "…，有什么办法，请举例": the words after the last question go with it
        asking[-1] += "，" + scene.rstrip("，")
    return asking if len(asking) > 1 else [part]
