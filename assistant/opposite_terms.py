"""Does a translation turn one term of an opposite pair into the other? The 1.5B model
translated "boosting is an approach to increase the complexity of models that suffer from high
bias, that is, models that underfit the training data" as "…即模型过拟合训练数据" (r56 dev7:c13):
the source names overfitting once and underfitting once, the translation overfitting twice and
underfitting never. The claim checker cannot see it (the translation cites the quote it
translates), and a student reads the opposite of the notes.

Only pairs whose two words have one standard translation each are judged: overfit / underfit
(过拟合 / 欠拟合) and bias / variance (偏差 / 方差). Increase / decrease were tried on the 168
translated answers of the earlier rounds and flagged two faithful translations ("speed up" for
提高, "reduction" for 调小) and no wrong one; these two pairs flag exactly c13.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_PAIRS: tuple[tuple[dict[str, Sequence[str]], dict[str, Sequence[str]]], ...] = (
    ({"en": ("overfit", "over-fit"), "zh": ("过拟合", "过度拟合")},
     {"en": ("underfit", "under-fit"), "zh": ("欠拟合", "拟合不足")}),
    ({"en": ("bias",), "zh": ("偏差",)}, {"en": ("variance",), "zh": ("方差",)}),
)


def _count(text: str, words: Sequence[str]) -> int:
    lowered = text.lower()
    return sum(lowered.count(word) for word in words)


def swaps_opposites(translation: str, source: str, language: str) -> bool:
    """``translation`` (in ``language``) names one term of a pair more often than ``source``
    (in the other language) does and the other term less often.

    >>> source = "Bagging reduces models that overfit. Boosting helps models that underfit."
    >>> swaps_opposites("装袋法针对过拟合的模型。提升法帮助过拟合的模型。", source, "zh")
    True
    >>> swaps_opposites("装袋法针对过拟合的模型。提升法帮助欠拟合的模型。", source, "zh")
    False

    Each term is counted in all its usual Chinese forms: r79 dev7:c13 wrote "overfitting" as
    过度拟合 in one line and "underfit" as 过拟合 in another, and counted in 过拟合 alone the
    translation named overfitting as often as its source.

    >>> source = "Trees are prone to overfitting. Boosting helps models that underfit."
    >>> swaps_opposites("树容易过度拟合。提升法帮助过拟合的模型。", source, "zh")
    True
    >>> swaps_opposites("Both lower the variance.", "两者都降低偏差和方差。", "en")
    False
    >>> swaps_opposites("Boosting lowers the variance.", "提升法降低偏差。", "en")
    True
    """
    other = "en" if language == "zh" else "zh"
    for first, second in _PAIRS:
        more = _count(translation, first[language]) - _count(source, first[other])
        fewer = _count(translation, second[language]) - _count(source, second[other])
        if more * fewer < 0:
            return True
    return False


def opposes_closest(claim: str, sentences: Sequence[str], shared: Callable[[str], int]) -> bool:
    """The sentence of ``sentences`` that ``shared`` (how many of the claim's terms it names)
    ranks first names one term of a pair where ``claim`` names the other, and not the claim's.
    What a translated claim is held to (``claim_translation``): the 1.5B model wrote "提升是增加
    模型高偏差的算法，即模型过拟合训练数据" over "boosting … increase the complexity of models
    that suffer from high bias, that is, models that underfit" (dev7:c13); all its words but
    one are that sentence's.

    >>> sentences = ["Bagging helps models that overfit.", "Boosting helps models that underfit."]
    >>> opposes_closest("Boosting helps models that overfit.", sentences,
    ...                 lambda s: s.count("Boosting"))
    True
    >>> opposes_closest("Boosting helps models that underfit.", sentences,
    ...                 lambda s: s.count("Boosting"))
    False
    """
    if not sentences:
        return False
    closest = max(sentences, key=shared)
    for first, second in _PAIRS:
        one, other = (*first["en"], *first["zh"]), (*second["en"], *second["zh"])
        for said, opposite in ((one, other), (other, one)):
            if (_count(claim, said) and not _count(claim, opposite)
                    and _count(closest, opposite) and not _count(closest, said)):
                return True
    return False
