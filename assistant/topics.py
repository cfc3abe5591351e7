"""Topics for mastery: what the notes' structure says a practised passage is about.

A passage's topic comes from its section heading, in this order:

1. A passage in a duplicate group (the same item repeated, see ``ingest/duplicates.py``) speaks
   for its group: its representative's heading is used.
2. A heading that asks a question ("题目 4：什么是梯度裁剪？", "什么是 CNN？") is keyed by the
   question itself, normalized as duplicate detection does (numbering, glosses in brackets,
   case and punctuation dropped): the same question asked in several files is one topic. This
   matters because duplicate groups alone never merge across files in the sample notes: all
   ten groups lie inside one file, while nine questions (CNN, RNN, LSTM, GAN, Transformer…) are
   asked in two files with different answers.
3. Any other heading (a chapter, "Summary") is only unique within its file: the topic is the
   group (case 1) or else the full heading path, document title included.

The label is the heading without its numbering.

>>> topic_of(("DL 面试", "题目 4：什么是梯度裁剪？"))
Topic(key='question:什么是梯度裁剪', label='什么是梯度裁剪？')
>>> topic_of(("Other notes", "7. 什么是梯度裁剪（Gradient Clipping）？")).key
'question:什么是梯度裁剪'
>>> topic_of(("Notes", "Summary"))
Topic(key='heading:Notes > Summary', label='Summary')
>>> topic_of(("B", "Summary"), group=("ab12", ("A", "Summary")))
Topic(key='group:ab12', label='Summary')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.quiz import question_of
from ground.question_key import question_key
from ground.records import HEADING_SEPARATOR

_QUESTION_END = re.compile(r"[?？]\s*$")


@dataclass(frozen=True)
class Topic:
    key: str  # "question:<normalized question>", "group:<hash>" or "heading:<heading path>"
    label: str  # the section heading a student recognizes


def topic_of(
    heading_path: tuple[str, ...], group: tuple[str, tuple[str, ...]] | None = None
) -> Topic:
    """The topic of a passage under ``heading_path``; ``group`` = (representative's content hash,
    representative's heading path) when the passage is in a duplicate group."""
    path = group[1] if group is not None else heading_path
    label = label_of(path)
    if path and _QUESTION_END.search(path[-1]) and (question := question_key(path)):
        return Topic(f"question:{question}", label)
    if group is not None:
        return Topic(f"group:{group[0]}", label)
    return Topic("heading:" + HEADING_SEPARATOR.join(heading_path), label)


def label_of(heading_path: tuple[str, ...]) -> str:
    if not heading_path:
        return "(untitled)"
    return question_of(heading_path[-1]) or heading_path[-1]
