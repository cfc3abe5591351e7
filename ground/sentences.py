"""Sentence boundaries inside one long line, for sections that must be split below line level.

A boundary follows 。！？；… (and ASCII ``!?;``), with any closing quotes or brackets, or an
ASCII ``.`` followed by whitespace (so ``0.01`` and ``e.g.x`` stay whole), except the period of
an abbreviation (``e.g. it``, ``i.e. the``, ``et al. show``, ``vs. Adam``, ``Fig. 3``). Boundaries
inside inline formulas ``\\( … \\)`` / ``$ … $`` or inline code are ignored: a formula is never cut.

>>> split_sentences("第一句。第二句\\\\(a。b\\\\)仍是第二句！Third one. Fourth")
['第一句。', '第二句\\\\(a。b\\\\)仍是第二句！', 'Third one. ', 'Fourth']
>>> split_sentences("Turn off dropout (e.g. it may not be backpropagated). Then check.")
['Turn off dropout (e.g. it may not be backpropagated). ', 'Then check.']
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?:[。！？；…]+|[!?;]+|\.(?=\s))[”’」』）)\]\"']*\s*")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(（\[])(?:e\.g|i\.e|et al|cf|vs|fig|figs|eq|eqs|approx|resp)\.$", re.IGNORECASE)
"""A period that ends one of these does not end the sentence (the model writes "(e.g. it might
be that …)", which was cut in two and got a citation marker after "e.g")."""
_PROTECTED = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]*`")


def sentence_ends(line: str) -> list[int]:
    """Offsets in ``line`` just after each sentence end (excluding the line's own end)."""
    protected = [match.span() for match in _PROTECTED.finditer(line)]
    ends = []
    for match in _SENTENCE_END.finditer(line):
        end = match.end()
        if end >= len(line):
            break
        if any(start < match.start() < stop for start, stop in protected):
            continue
        if line[match.start()] == "." and _ABBREVIATION.search(line, 0, match.start() + 1):
            continue
        ends.append(end)
    return ends


def split_sentences(line: str) -> list[str]:
    cuts = [0, *sentence_ends(line), len(line)]
    return [line[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
