"""A Markdown note's character references read as the characters they stand for.

Notes converted from web pages write symbols as HTML character references: "when the
||&nabla;&lagran;|| &le; &theta;" (AI-For-Beginners, TrainingTricks.md:91). A rendered note
shows ∇ℒ ≤ θ; the raw text reached the model, which copied "&theta;" into its answer, the
terminal, and the claim check, which could not match the model's "θ" to "&theta;" (r48
dev6:c11). Each reference outside code becomes its character, so a line stays a line and
keeps its number. What stays as written: code (fenced or inline, where Markdown shows
references literally), every reference to an ASCII character (``&lt;`` must not turn into a
tag, ``&#124;`` into a table's column, ``&ast;&ast;`` into bold), spaces (``&emsp;`` is
layout), ``&#0;`` and anything unknown.

>>> decode_char_refs("||&nabla;&lagran;|| &le; &theta; and `&theta;`, &lt;b&gt; &emsp;x &#8730;2")
'||∇ℒ|| ≤ θ and `&theta;`, &lt;b&gt; &emsp;x √2'
>>> decode_char_refs("| a &#124; b | &ast;&ast;x&ast;&ast; &#0; ``a`&theta;`` &theta;")
'| a &#124; b | &ast;&ast;x&ast;&ast; &#0; ``a`&theta;`` θ'
"""

from __future__ import annotations

import html
import re

from ground.fences import fenced_blocks

_REFERENCE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")  # "``a`b``" is one span


def _character(match: re.Match) -> str:
    reference = match.group()
    decoded = html.unescape(reference)
    if decoded == reference or len(decoded) != 1 or decoded.isascii() or \
            decoded == "\ufffd" or not decoded.isprintable() or decoded.isspace():
        return reference  # "&#124;" would split a table row, "&ast;&ast;" make bold
    return decoded


def _decode_line(line: str) -> str:
    if "&" not in line:
        return line
    pieces, start = [], 0
    for code in _INLINE_CODE.finditer(line):
        pieces.append(_REFERENCE.sub(_character, line[start:code.start()]))
        pieces.append(code.group())
        start = code.end()
    pieces.append(_REFERENCE.sub(_character, line[start:]))
    return "".join(pieces)


def decode_char_refs(text: str) -> str:
    """``text`` with its character references decoded outside code, line for line.

    >>> decode_char_refs("````\\n```python\\n&theta;\\n```\\n````\\n&theta;")
    '````\\n```python\\n&theta;\\n```\\n````\\nθ'
    """
    if "&" not in text:
        return text
    lines = text.split("\n")
    code = {index for block in fenced_blocks(lines)  # as CommonMark: an unclosed one runs on
            for index in range(block.first, block.last + 1)}
    return "\n".join(line if index in code else _decode_line(line)
                     for index, line in enumerate(lines))
