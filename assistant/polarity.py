"""Does a claim turn its passage's point over? A Chinese claim that contrasts two things on one
phrase ("交叉熵可以保证区间内单调，而均方误差不能保证区间内单调") where the passage writes that
phrase only un-negated ("交叉熵函数可以保证区间内单调") has added the negated half itself: the
checker (``citations``) counts the passage as contradicting the claim.

Only that form is judged. A claim that negates without the contrast ("测试时不需要随机丢弃神经
元" over notes saying dropout applies only in training; "全零初始化不能打破对称性" over "随机初始化
可以打破对称性") often says in other words what the passage implies, which string matching
cannot tell from a false inference (the session-22 review, ``benchmarks/results/review_s22.md``).
A contrast the passage only implies is still struck ("训练时随机丢弃神经元，测试时不需要…" over
"…只在训练时应用", below): a known limit, taken for the false contrasts it removes.

The phrase is the three or four Han characters after a negation (不 / 没有 / 无法 / 未 / 非 /
难以 / 很难 ...) and any modal (能 / 可以 / 需要 / 容易 ...). A passage occurrence counts as
negated when a negation or a verb of avoiding (避免 / 防止 / 减少 / 缓解 / 解决 ...) stands
earlier in its clause; emphasis marks and spaces are ignored.
"""

from __future__ import annotations

import re

NEGATION = r"(?:没有|无法|无需|无须|不必|难以|很难|缺乏|(?<!除)非|不|没|无|未)"
_NOT_NEGATION = (r"(?!同|断|仅|少|久|过|错|管|论|但|常|得不|如|只|然|止|妨|疑"  # 不同, 无论 ...
                 r"|监督|线性|极大|负|零|参数)")  # and the names 无监督, 非线性, 非极大值抑制 ...
_MODAL = r"(?:可以|能够|需要|应该|一定|必须|容易|能|会|要|是|该|必|需|太|再)"
_HAN = r"[\u3400-\u9fff]"
_NEGATED = re.compile(f"{NEGATION}{_NOT_NEGATION}(?:{_MODAL})*+({_HAN}{{3,4}})")
_CLAUSE = re.compile(r"[，,。；;！？!?\n]")
_OPPOSING = re.compile(NEGATION + r"|避免|防止|减少|缓解|解决|克服|消除|抑制|降低")
_MARKS = re.compile(r"[*\s]+")


def negated_phrases(claim: str) -> list[str]:
    """The phrases ``claim`` negates.

    >>> negated_phrases("交叉熵可以保证区间内单调，而均方误差不能保证区间内单调")
    ['保证区间']
    >>> negated_phrases("两种方法的不同之处在于更新方式，它们不断迭代")
    []
    >>> negated_phrases("LSTM 不能解决 RNN 的梯度消失问题")
    []
    """
    return [match.group(1) for match in _NEGATED.finditer(_MARKS.sub("", claim))]


def _stated(phrase: str, text: str) -> tuple[bool, bool]:
    """(``phrase`` occurs un-negated in ``text``, it occurs negated in ``text``)."""
    plain = negated = False
    for match in re.finditer(re.escape(phrase), text):
        clause = _CLAUSE.split(text[:match.start()])[-1]
        if _OPPOSING.search(clause):
            negated = True
        else:
            plain = True
    return plain, negated


def negates_the_passage(claim: str, passage: str) -> bool:
    """The claim writes a phrase both ways, and ``passage`` writes it only un-negated.

    >>> negates_the_passage("交叉熵可以保证区间内单调，而均方误差不能保证区间内单调",
    ...                     "而交叉熵函数可以保证区间内单调。")
    True
    >>> negates_the_passage("交叉熵可以保证区间内单调，而均方误差不能保证区间内单调",
    ...                     "均方误差**不能**保证区间内单调，交叉熵可以保证区间内单调。")
    False
    >>> negates_the_passage("全零初始化不能打破对称性，所有神经元学到的东西都一样",
    ...                     "随机初始化可以打破对称性。")
    False
    >>> negates_the_passage("训练时随机丢弃神经元，测试时不需要随机丢弃神经元",
    ...                     "dropout 以一定概率随机丢弃神经元，只在训练时应用。")  # the known limit
    True
    >>> negates_the_passage("训练时随机丢弃神经元，测试时不需要随机丢弃神经元",
    ...                     "训练时随机丢弃神经元；测试时不再随机丢弃神经元。")
    False
    """
    claim, passage = _MARKS.sub("", claim), _MARKS.sub("", passage)
    for phrase in negated_phrases(claim):
        in_claim, _ = _stated(phrase, claim)
        plain, negated = _stated(phrase, passage)
        if in_claim and plain and not negated:
            return True
    return False


_ENGLISH_NEGATION = re.compile(r"\b(?:not|no|never|cannot|without|neither|nor|none|nothing|"
                               r"fails? to)\b|n't\b", re.IGNORECASE)
_ANY_NEGATION = re.compile(NEGATION + r"|避免|防止|零|否|别|勿|而非")
"""Loose on purpose: any of these in a Chinese line may carry the English line's "not"."""


def loses_negation(english: str, chinese: str) -> bool:
    """A Chinese translation line says nothing negative where its English line negates: r75
    dev5:c16 translated "…and it does not conflict with SGD" as "…并且与 SGD 冲突". Of the 116
    stored translations whose lines pair one to one with their quote's, this flags that line
    only; the other direction (a negation the English does not write) flags 27 faithful lines
    ("unseen" → "未见过", "different" → "不同"), so it is not judged.

    >>> loses_negation("It has good performance and does not conflict with SGD.",
    ...                "它性能良好，并且与 SGD 冲突。")
    True
    >>> loses_negation("It does not conflict with SGD.", "它与 SGD 并不冲突。")
    False
    >>> loses_negation("Without a bias the unit cannot fire.", "没有偏置，这个单元就无法激活。")
    False
    >>> loses_negation("Dropout drops units.", "dropout 会丢弃一些单元。")
    False
    """
    return bool(_ENGLISH_NEGATION.search(english)) and not _ANY_NEGATION.search(chinese)
