"""A heading without its numbering: the one definition every step shares.

Notes number their sections in many ways — "题目 4：", "3.5.4 ", "5. ", "5、", "一、", "（1）",
"第2章 ", "Q3:", "Chapter 3 " — and the prompt's passage tags, the library's coverage profile,
the self-test's queries, practice questions and the topic names shown to the student all want
the heading without it. One pattern, so a heading is read the same way everywhere.

What is not numbering stays: "QKV 注意力" (a bare Q), "1x1 卷积", "1.5B 模型", "3D 卷积",
"2017 年的论文" (a number with no separator after it), "问题与挑战" (问题 with no number or colon).

>>> strip_numbering("题目 4：什么是梯度裁剪？"), strip_numbering("3.5.4 盲目增大 Batch_Size？")
('什么是梯度裁剪？', '盲目增大 Batch_Size？')
>>> strip_numbering("QKV 注意力"), strip_numbering("1.5B 模型"), strip_numbering("1x1 convolutions")
('QKV 注意力', '1.5B 模型', '1x1 convolutions')
"""

from __future__ import annotations

import re

_CHINESE_DIGITS = "一二三四五六七八九十百"
_LABELLED = (r"(?:题目|问题|question|chapter|section|lecture|lesson)\s*"
             rf"(?:\d+(?:[.．]\d+)*\s*[:：.．、)）]?|[{_CHINESE_DIGITS}]+\s*[:：.．、)）]|[:：])")
# "题目 4：", "题目一：", "Chapter 3", "题目："
_Q_NUMBER = r"q\d+\s*[:：.．、)）]?"  # "Q3:" — never a bare "Q" ("QKV")
_CHAPTER = rf"第\s*[\d{_CHINESE_DIGITS}]+\s*[章节课讲篇部]"  # "第2章", "第七节"
_DOTTED = r"\d+(?:[.．]\d+)+[.．、)）]?(?![A-Za-z0-9.])"  # "3.5.4", "2.5" — not "1.5B"
_ITEM = rf"(?:\d+|[{_CHINESE_DIGITS}]+)\s*(?:[.．](?!\d)|[、:：)）])"  # "5. ", "5、", "一、"
_PARENTHESISED = rf"[（(]\s*(?:\d+|[{_CHINESE_DIGITS}]+)\s*[)）]"  # "（1）", "(三)"
NUMBERING = re.compile(
    rf"^\s*(?:#+\s*)?(?:(?:{_LABELLED}|{_Q_NUMBER}|{_CHAPTER}|{_DOTTED}|{_ITEM}|{_PARENTHESISED})"
    r"\s*)+", re.IGNORECASE)


def strip_numbering(heading: str) -> str:
    """``heading`` without the numbering it opens with (and the spaces around it).

    >>> strip_numbering("#### 1. 题目 2：为什么？"), strip_numbering("第七章 优化算法")
    ('为什么？', '优化算法')
    >>> strip_numbering("题目一：什么是微调？"), strip_numbering("问题一般出在数据上")
    ('什么是微调？', '问题一般出在数据上')
    """
    return NUMBERING.sub("", heading).strip()
