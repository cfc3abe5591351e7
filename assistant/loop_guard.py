"""An explanation that writes the same sentence a third time has stopped answering.

Greedy decoding of a 1.5B model sometimes falls into a loop: in 9 of 1,490 recorded explanations
(``benchmarks/results/answers_runs``) one sentence came 3-21 times ("堆多少层都等于一层线性模型。"
21 times, dev2:c1), and 8 of them ran on to the token limit: 320 tokens of nothing, ~15 s of
the student's time. The checker takes the copies out anyway, so the stream stops at the third.

>>> is_looping("梯度裁剪限制梯度[1]。它防止爆炸[1]。梯度裁剪限制梯度。梯度裁剪限制梯度[1]。")
True
>>> is_looping("- 是[1]\\n- 是[1]\\n- 是[1]\\n")  # too short to say it is a loop
False
>>> is_looping("Clipping bounds the norm. It bounds the norm. Clipping bounds the norm.")
False
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.citations import without_markers
from ground.sentences import split_sentences

REPEATS = 3  # a sentence said twice may be a summary; a third time is a loop
MIN_CHARS = 8  # shorter ones ("是[1]", "例如：") can repeat in a list
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s*")


def is_looping(text: str) -> bool:
    """Whether one sentence of ``text`` (markers and list marks aside) occurs ``REPEATS`` times."""
    seen: Counter[str] = Counter()
    for line in text.split("\n"):
        for sentence in split_sentences(_LIST_MARK.sub("", line)):
            key = _sentence_key(sentence)
            if key is not None:
                seen[key] += 1
                if seen[key] >= REPEATS:
                    return True
    return False


def _sentence_key(sentence: str) -> str | None:
    """What makes two sentences the same (markers and spaces aside), or None for one too short
    to count (``MIN_CHARS``)."""
    key = without_markers(sentence).strip()
    return key if len(key) >= MIN_CHARS else None


def unsaid(line: str, said: set[str]) -> str:
    """``line`` without its sentences already in ``said`` (markers and list marks aside,
    ``MIN_CHARS`` or longer), adding the rest to ``said``: a loop the stream was stopped in
    leaves its copies, and a translation has no checker to take them out (r62 dev7:c2 said
    "Therefore, the variance of [W^i] is equal to …" three times).

    >>> said = set()
    >>> unsaid("Clipping bounds the norm. It helps.", said)
    'Clipping bounds the norm. It helps.'
    >>> unsaid("Yes. Clipping bounds the norm[1].", said), unsaid("- It helps.", said)
    ('Yes. ', '')
    """
    mark = _LIST_MARK.match(line)
    head = mark.group(0) if mark else ""
    kept = []
    for sentence in split_sentences(line[len(head):]):
        key = _sentence_key(sentence)
        if key is not None:
            if key in said:
                continue
            said.add(key)
        kept.append(sentence)
    return head + "".join(kept) if kept else ""


def ends_a_sentence(piece: str) -> bool:
    """Whether a streamed piece may complete a sentence (only then is ``is_looping`` asked)."""
    return any(mark in piece for mark in "。！？.!?\n")
