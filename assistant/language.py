"""Which language a question is written in, so the answer can use the same one.

Only the two the notes and the model handle well are told apart: Chinese when Han characters
make up a good part of the letters, otherwise English. A few Latin terms in a Chinese question
(``什么是 dropout？``) keep it Chinese.

>>> detect_language("什么是梯度裁剪？"), detect_language("What is L2 regularization?")
('zh', 'en')
>>> detect_language("CNN 和 RNN 有什么区别")
'zh'
"""

from __future__ import annotations

import unicodedata

LANGUAGE_NAMES = {"zh": "Chinese (简体中文)", "en": "English"}


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def detect_language(text: str) -> str:
    """``"zh"`` if Han characters are at least a fifth of the letters, else ``"en"``."""
    han = sum(1 for char in text if is_han(char))
    letters = sum(1 for char in text if unicodedata.category(char).startswith("L"))
    return "zh" if letters and han * 5 >= letters else "en"
