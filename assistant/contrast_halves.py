"""A contrast's two sides, each checked against the passage that says it.

A "how do X and Y differ" answer puts both sides in one sentence: "PCA 是一种将数据投影到一个低维
空间的方法，而线性回归是通过找到 x 和 y 之间的线性关系来预测 y 的" (dev7:c28, r72). Its first
side is the English PCA section's, its second the Chinese 3、主成分分析PCA与线性回归的区别
section's; no one passage says both, so the sentence was taken out, the reply showed the quote
alone, and the right answer was lost (a judge's ❌ with two true sentences removed). Checked
side by side, each with every test a sentence of its own gets, the sentence stands when each
side is supported, and each side cites its own passage.

Only a contrast that joins two statements is split: "而" (not "而是" or "而不是", whose side
negates or restates the other), "whereas", "while", "but" after a comma, or a semicolon. A
sentence is split once; any other break leaves it whole.

>>> sides("PCA 投影到低维空间，而线性回归预测 y。")
('PCA 投影到低维空间', '，而', '线性回归预测 y。')
>>> sides("测试集应该用它自己的均值，而不是沿用训练集的。") is None
True
>>> sides("NAG looks ahead, while momentum does not; both use velocity.") is None
True
"""

from __future__ import annotations

import re

_JOIN = re.compile(r"\s*(?:[，,]\s*(?:而(?![是不非])|whereas\b|while\b|but\b)|[；;])\s*",
                   re.IGNORECASE)
"""A break between two statements of one sentence (the ``_CONTRAST`` of ``citations`` less the
negating 而不是 / 而是, plus a semicolon)."""


def sides(sentence: str) -> tuple[str, str, str] | None:
    """``sentence`` as (first side, the joint as written, second side) when one contrast joins
    two statements in it; None otherwise (no joint, or more than one)."""
    joints = list(_JOIN.finditer(sentence))
    if len(joints) != 1 or joints[0].end() >= len(sentence.rstrip()):
        return None
    joint = joints[0]
    first, second = sentence[: joint.start()], sentence[joint.end():]
    if not first.strip() or not second.strip():
        return None
    return first, sentence[joint.start(): joint.end()], second


def translated_sides(translation: str) -> tuple[str, str] | None:
    """The two sides of a claim's translation, split where the claim's contrast stands in
    it (a translation that joins its sides otherwise is not split: None)."""
    found = sides(translation)
    return None if found is None else (found[0], found[2])
