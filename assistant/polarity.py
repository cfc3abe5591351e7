"""Does a claim negate what its passage states? A Chinese claim's negated phrase ("均方误差不能
保证区间内单调") that the passage writes only un-negated ("交叉熵函数可以保证区间内单调") is the
passage's point turned over, whatever its share of shared words: the checker (``citations``)
counts the passage as contradicting the claim.

The phrase is the three or four Han characters after the negation and any modal verb (不能保证
区间 → 保证区间); a passage occurrence counts as negated when a negation stands in the few
characters before it (不 / 没 / 无 / 未 / 非 / 难以 / 很难 / 缺乏). Words that only look
negated (不同, 不断, 无论, 非常 ...) are not negations. Only this one direction is judged: a
passage that writes the phrase both ways, or not at all, leaves the claim to the other checks.
"""

from __future__ import annotations

import re

NEGATION = r"(?:不|没|无|未|非|难以|很难|缺乏)"
_NOT_NEGATION = (r"(?!同|断|仅|少|久|过|错|管|论|但|常|得不|如|只|然|止"  # 不同, 无论, 非常 ...
                  r"|监督|线性|极大|负|零|参数)")  # and the names 无监督, 非线性, 非极大值抑制 ...
_MODALS = "能会可以需要用必应该是太够再得一定法须有"
_HAN = r"[\u3400-\u9fff]"
_NEGATED = re.compile(f"{NEGATION}{_NOT_NEGATION}[{_MODALS}]{{0,2}}({_HAN}{{3,4}})")
_NEGATED_BEFORE = re.compile(f"{NEGATION}[{_MODALS}]{{0,2}}$")
LOOK_BACK_CHARS = 4  # a negation this close before a phrase negates it


def negated_phrases(claim: str) -> list[str]:
    """The phrases ``claim`` negates.

    >>> negated_phrases("交叉熵可以保证区间内单调，而均方误差不能保证区间内单调")
    ['保证区间']
    >>> negated_phrases("两种方法的不同之处在于更新方式，它们不断迭代")
    []
    """
    return [match.group(1) for match in _NEGATED.finditer(claim)]


def _negated_at(text: str, start: int) -> bool:
    return _NEGATED_BEFORE.search(text[max(0, start - LOOK_BACK_CHARS):start]) is not None


def negates_the_passage(claim: str, passage: str) -> bool:
    """A phrase the claim negates occurs in ``passage``, and never negated there.

    >>> negates_the_passage("均方误差不能保证区间内单调", "而交叉熵函数可以保证区间内单调。")
    True
    >>> negates_the_passage("均方误差不是凸函数", "分类问题用均方差，损失函数不是凸函数。")
    False
    >>> negates_the_passage("它难以收敛到最优解", "学习率太大时模型无法收敛到最优解。")
    False
    >>> negates_the_passage("零初始化不能打破对称性", "随机初始化可以打破对称性。")
    True
    >>> negates_the_passage("不需要先加一层 softmax", "先经过 softmax 再算交叉熵。")
    False
    >>> negates_the_passage("无监督学习的方法有聚类", "监督学习的方法有分类和回归。")
    False
    """
    for phrase in negated_phrases(claim):
        places = [m.start() for m in re.finditer(re.escape(phrase), passage)]
        if places and not any(_negated_at(passage, at) for at in places):
            return True
    return False
