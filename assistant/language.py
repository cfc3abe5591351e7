"""Which language a question is written in, so the answer can use the same one.

Only the two the notes and the model handle well are told apart: Chinese when Han characters
make up a good part of the letters, otherwise English. A few Latin terms in a Chinese question
(``什么是 dropout？``) keep it Chinese.

>>> detect_language("什么是梯度裁剪？"), detect_language("What is L2 regularization?")
('zh', 'en')
>>> detect_language("CNN 和 RNN 有什么区别")
'zh'

A line's length is measured in what it says, not in its characters (``reading_length``): an
English sentence takes several times the characters of the same sentence in Chinese.
"""

from __future__ import annotations

import unicodedata

LANGUAGE_NAMES = {"zh": "Chinese (简体中文)", "en": "English"}
NARROW_PER_WIDE = 3
"""Narrow (Latin) characters that say about as much as one wide (Chinese) character. The 47
English quotes of runs r70-r76 translated into Chinese took a median 4.5 of their characters
per Han character of the translation (quartiles 4.2 and 4.8, formulas and kept English terms
included); ``query_translation`` saw 3-5 for questions. The low end: an English line is measured
no longer than it reads."""


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def detect_language(text: str) -> str:
    """``"zh"`` if Han characters are at least a fifth of the letters, else ``"en"``."""
    han = sum(1 for char in text if is_han(char))
    letters = sum(1 for char in text if unicodedata.category(char).startswith("L"))
    return "zh" if letters and han * 5 >= letters else "en"


def reading_length(text: str) -> int:
    """``text``'s length in wide characters' worth: each wide (CJK) character counts one, and
    every ``NARROW_PER_WIDE`` other characters count one.

    >>> reading_length("梯度裁剪限制梯度的范数。"), reading_length("Clipping bounds the norm.")
    (12, 8)
    """
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return wide + (len(text) - wide) // NARROW_PER_WIDE
