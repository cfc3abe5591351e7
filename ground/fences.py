"""The fenced blocks of a Markdown note: code fences and, when asked, display formulas.

One scanner for every step that must know which lines are code or a formula: where a section
may start (``ingest.sections``), which character references stay as written
(``ingest.readers.char_refs``), what renders as code (``ui.note_render``), where a quoted code
block ends (``assistant.extractive``), what a translation must copy
(``assistant.quote_translation``).

Code fences follow CommonMark (0.31, "Fenced code blocks"):

* the opener is a run of 3 or more backticks or tildes, indented by at most 3 spaces (a tab is
  4 columns, so a tab-indented run is no fence); the rest of its line is the info string, and a
  backtick fence's info string holds no backtick (the line "``` a`b" is inline code);
* the closer is a run of the same character, at least as long, indented by at most 3 spaces,
  with nothing after it but spaces and tabs; so a line of three backticks inside a fence of
  four is code, and ``~~~`` never closes a backtick fence;
* an unclosed fence runs to the end of the document (``closed`` is False).

``any_indent=True`` reads openers and closers at any indentation: a note's fence inside a list
item is indented by the item's width (``"    ```"`` under ``"- item"``), which CommonMark counts
from the item, not the margin; a caller that does not track list items takes every indent.

Display formulas (``formulas``: ``"$$"``, ``"\\\\["`` or both) are no CommonMark: a line
whose text starts with the opener is a block of its own when the closer (``$$``, ``\\]``)
follows on that line (``$$x$$``, ``$$h_t$$. A fixed function…``), else the block runs to the
first later line that holds the closer anywhere (``\\end{aligned}$$``), at any indentation.
A code fence is tried first.

>>> lines = ["````md", "```python", "# code", "```", "````", "$$", "x = 1", "$$", "~~~"]
>>> fenced_blocks(lines, formulas=("$$",))  # doctest: +NORMALIZE_WHITESPACE
[Block(first=0, last=4, closed=True, kind='```', info='md'),
 Block(first=5, last=7, closed=True, kind='$$', info=''),
 Block(first=8, last=8, closed=False, kind='~~~', info='')]
>>> fenced_blocks(["``` a`b", "\\t```", "    ```"]), block_at(["    ```", "x", "```"], 0)
([], None)
>>> block_at(["    ```", "x", "```"], 0, any_indent=True)
Block(first=0, last=2, closed=True, kind='```', info='')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

_OPENER = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_OPENER_ANY_INDENT = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_CLOSERS = {"$$": "$$", "\\[": "\\]"}


class Block(NamedTuple):
    """Lines ``first`` to ``last`` (0-based, inclusive, fences included) of one block."""

    first: int
    last: int
    closed: bool  # False: no closer, so ``last`` is the document's last line
    kind: str  # "```" or "~~~" for code, "$$" or "\\[" for a formula
    info: str  # a code fence's info string ("python"), stripped; "" for a formula


def block_at(
    lines: Sequence[str], index: int, *, formulas: Sequence[str] = (), any_indent: bool = False
) -> Block | None:
    """The block that opens at line ``index``; None when no block opens there."""
    line = lines[index]
    fence = (_OPENER_ANY_INDENT if any_indent else _OPENER).match(line)
    if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
        run = fence.group(1)
        indent = r"\s*" if any_indent else " {0,3}"
        closer = re.compile(rf"^{indent}{re.escape(run[0])}{{{len(run)},}}[ \t]*$")
        return _ending(lines, index, closer.match, run[0] * 3, fence.group(2).strip())
    stripped = line.strip()
    for opener in formulas:
        if stripped.startswith(opener):
            closer_text = _CLOSERS[opener]
            if closer_text in stripped[len(opener) :]:
                return Block(index, index, True, opener, "")
            return _ending(lines, index, lambda later, c=closer_text: c in later, opener, "")
    return None


def fenced_blocks(
    lines: Sequence[str], *, formulas: Sequence[str] = (), any_indent: bool = False
) -> list[Block]:
    """Every block of ``lines``, in order; none inside another, an unclosed one last."""
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        block = block_at(lines, index, formulas=formulas, any_indent=any_indent)
        if block is None:
            index += 1
            continue
        blocks.append(block)
        index = block.last + 1
    return blocks


def _ending(lines: Sequence[str], index: int, is_closer, kind: str, info: str) -> Block:
    for later in range(index + 1, len(lines)):
        if is_closer(lines[later]):
            return Block(index, later, True, kind, info)
    return Block(index, len(lines) - 1, False, kind, info)
