"""Sentence boundaries inside one long line, for sections that must be split below line level.

A boundary follows 。！？；… (and ASCII ``!?;``), with any closing quotes or brackets, or an
ASCII ``.`` followed by whitespace (so ``0.01`` and ``e.g.x`` stay whole). Boundaries inside
inline formulas ``\\( … \\)`` / ``$ … $`` or inline code are ignored: a formula is never cut.

>>> split_sentences("第一句。第二句\\\\(a。b\\\\)仍是第二句！Third one. Fourth")
['第一句。', '第二句\\\\(a。b\\\\)仍是第二句！', 'Third one. ', 'Fourth']
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?:[。！？；…]+|[!?;]+|\.(?=\s))[”’」』）)\]\"']*\s*")
_PROTECTED = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`")


def sentence_ends(line: str) -> list[int]:
    """Offsets in ``line`` just after each sentence end (excluding the line's own end)."""
    protected = [match.span() for match in _PROTECTED.finditer(line)]
    ends = []
    for match in _SENTENCE_END.finditer(line):
        end = match.end()
        if end >= len(line):
            break
        if not any(start < match.start() < stop for start, stop in protected):
            ends.append(end)
    return ends


def split_sentences(line: str) -> list[str]:
    cuts = [0, *sentence_ends(line), len(line)]
    return [line[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
