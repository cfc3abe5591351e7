"""Which Han bigrams of a claim straddle two words: the seams the checker should not weigh.

The checker matches a Chinese claim by character bigrams (``budget.query_terms``), which also
yields the bigram across every word boundary: "正向和反向两个隐状态最后是通过将它们拼接得到的" gives
过将, 将它 and 们拼. The library never writes those, so they weigh most of all (its idf) and are
never found: dev6:c44's true "…是通过将它们拼接得到的" had 0.39 of its weight in the passage that
says "拼接得到" and was struck out (session 24).

A bigram is a seam when jieba (a well-kept Chinese segmenter, its own dictionary; no network)
cuts the claim between its two characters and no word of the claim holds it. A seam counts
only when the library's own text has it (``LibraryProfile.frequency``): 过拟 in "过/拟合" (jieba
cuts the prefix off) is a real word of notes about over-fitting, 过将 is not. Words inside one
segment (invented content included) always count.

>>> sorted(seams("它们拼接得到"))
['们拼', '接得']
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable

from assistant.language import is_han

_LOCK = threading.Lock()
_SEGMENTER = None


def _segmenter():
    """jieba's tokenizer, built once, without its cache file."""
    global _SEGMENTER
    with _LOCK:
        if _SEGMENTER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            # Its prefix dictionary, built in memory from jieba's own dict.txt (~0.5 s):
            # ``initialize()`` would read and write a marshal cache in the system's temp
            # folder, outside the library home, and load whatever file was planted there.
            with segmenter.get_dict_file() as words:
                segmenter.FREQ, segmenter.total = segmenter.gen_pfdict(words)
            segmenter.initialized = True
            _SEGMENTER = segmenter
    return _SEGMENTER


def load_in_background() -> None:
    """Load the segmenter on a thread now, so the check after a reply does not wait for it."""
    if _SEGMENTER is None:
        threading.Thread(target=_segmenter, daemon=True, name="load-segmenter").start()


@functools.lru_cache(maxsize=256)
def seams(text: str) -> frozenset[str]:
    """The Han bigrams of ``text`` that jieba's cut splits and no word of ``text`` holds; cut
    once per text, as the checker asks for a claim's terms, each clause's and each list item's."""
    words = [w for w in _segmenter().cut(text, HMM=True) if w.strip()]
    inside = {w[i:i + 2] for w in words for i in range(len(w) - 1)}
    across = {a[-1] + b[0] for a, b in zip(words, words[1:], strict=False)
              if is_han(a[-1]) and is_han(b[0])}
    return frozenset(across - inside)


def without_seams(terms: Iterable[str], text: str, frequency: Callable[[str], int]) -> list[str]:
    """``terms`` (of ``text``) less its seams that the library never writes.

    >>> without_seams(["通过", "过将", "将它", "它们", "们拼", "拼接"], "通过将它们拼接",
    ...               lambda term: 0)
    ['通过', '它们', '拼接']
    """
    cut = seams(text)
    return [t for t in terms if t not in cut or frequency(t) > 0]


def as_words(name: str, text: str) -> bool:
    """Whether ``text`` writes the Han ``name`` as words of its own somewhere: an occurrence
    that jieba's cut starts and ends a word at. "维特" is in "256维特征" but not as words.

    >>> as_words("维特", "得到256维特征"), as_words("卷积核", "将卷积核在图像上滑动")
    (False, True)
    """
    bounds, at = {0}, 0
    for word in _segmenter().cut(text, HMM=False):  # the dictionary's words only: HMM glues
        # an unknown character to the next ("卷积/核在")
        at += len(word)
        bounds.add(at)
    start = text.find(name)
    while start >= 0:
        if start in bounds and start + len(name) in bounds:
            return True
        start = text.find(name, start + 1)
    return False
