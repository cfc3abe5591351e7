"""Topics named the way a student would: the question, not a heading's numbering, a
"题目 4：" label, Markdown marks or a file name made of a hash."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ground.headings import strip_numbering

_MARKS = re.compile(r"\*\*|__|`|\\[()\[\]]")
_GENERATED = re.compile(r"^(?:\d+_)?[0-9a-f]{8,}(?:\.\w+)?$|^\(untitled\)$|^$", re.IGNORECASE)
_LABEL_ONLY = re.compile(r"^\s*(?:题目|问题|答案|解析|question|answer)\s*[:：]?\s*$", re.IGNORECASE)
NAME_CHARS = 60


def looks_generated(label: str) -> bool:
    """A file stem like ``000_d62882e94dff251b`` (or nothing) rather than a name.

    >>> looks_generated("000_d62882e94dff251b"), looks_generated("什么是梯度裁剪？")
    (True, False)
    """
    return bool(_GENERATED.match(label.strip()))


def clean_topic(label: str) -> str:
    """The label without numbering, "题目 4：" or Markdown marks.

    >>> clean_topic("#### 题目 4：**什么是梯度裁剪？**")
    '什么是梯度裁剪？'
    """
    return strip_numbering(_MARKS.sub("", label))


def student_topic_name(label: str, passages: Sequence[str] = ()) -> str:
    """The label cleaned; a generated one replaced by the first line its passages open with.

    >>> student_topic_name("000_d62882e94dff251b", ["**题目：** 什么是预训练？\\n**答案：** …"])
    '什么是预训练？'
    """
    name = clean_topic(label)
    if not looks_generated(name):
        return name
    for text in passages:
        for line in text.split("\n"):
            line = clean_topic(line.lstrip("#> -*").strip())
            if line and not _LABEL_ONLY.match(line) and not looks_generated(line):
                return line if len(line) <= NAME_CHARS else line[: NAME_CHARS - 1] + "…"
    return name or label
