"""The question a heading asks, as a key: the same for ``题目 16：什么是BERT？`` and
``什么是 BERT（Bidirectional…）``. Duplicate grouping (``ingest/duplicates.py``) and practice
topics (``assistant/topics.py``) both key on it, so a topic and a duplicate group agree.

Its numbering pattern is its own, not ``ground.headings.strip_numbering``: practice history
files store topics under this key, so a heading must keep the key it had ("3.5.4 …" keys as
"54…"; shared stripping would give it a new key and detach the student's record).

>>> question_key(("面试题", "题目 16：什么是BERT（Bidirectional Encoder）？"))
'什么是bert'
"""

from __future__ import annotations

import re
import unicodedata

_ITEM_NUMBER = r"(?:题目|问题|question|q)?\s*\d+\s*"
_NUMBER_PREFIX = re.compile(rf"^\s*{_ITEM_NUMBER}[.．、:：)）]\s*", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")
_GLOSS = re.compile(r"（[^（）]*）|\([^()]*\)")


def question_key(heading_path: tuple[str, ...]) -> str:
    if not heading_path:
        return ""
    question = _NUMBER_PREFIX.sub("", unicodedata.normalize("NFKC", heading_path[-1]).lower())
    return _NOT_ALNUM.sub("", _GLOSS.sub("", question))
