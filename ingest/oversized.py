"""Text no student wrote to be read, taken out before chunking: embedded images and giant lines.

A screenshot pasted into a Markdown note arrives as ``![](data:image/png;base64,iVBOR...)``:
megabytes of base64 on one line, which chunked into thousands of junk passages and hours of
embedding. Each such data URI is replaced by a short marker. A line longer than
``MAX_LINE_CHARS`` (a minified data dump, not prose) is left out whole, with a notice. Both
keep every newline, so line numbers still point at the file's own lines; the passages of a
cleaned line show the marker instead of the payload.

One regex pass and one split: linear in the text.

>>> cleaned = drop_oversized("a ![x](data:image/png;base64," + "A" * 5000 + ") b\\nnext")
>>> cleaned.text, cleaned.notices
('a ![x]([image/png, 4 KB, left out]) b\\nnext', ('1 embedded image left out (4 KB of base64)',))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE_CHARS = 200_000
"""About 100 passages on one line; the longest real paragraph is a small fraction of this."""
MIN_DATA_URI_CHARS = 256
_DATA_URI = re.compile(
    r"data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,[A-Za-z0-9+/=%]{"
    + str(MIN_DATA_URI_CHARS) + ",}"
)


@dataclass(frozen=True)
class CleanedText:
    text: str
    notices: tuple[str, ...]  # one line each, for the file's outcome


def drop_oversized(text: str, max_line_chars: int = MAX_LINE_CHARS) -> CleanedText:
    notices = []
    images, payload = 0, 0

    def marker(match: re.Match) -> str:
        nonlocal images, payload
        images += 1
        size = len(match.group()) * 3 // 4
        payload += size
        kind = match.group(1) or "data"
        return f"[{kind}, {_size(size)}, left out]"

    if "base64," in text:
        text = _DATA_URI.sub(marker, text)  # no newline inside: line numbers stay
    if images:
        noun = "image" if images == 1 else "images"
        notices.append(f"{images} embedded {noun} left out ({_size(payload)} of base64)")
    if len(text) > max_line_chars:
        lines = text.split("\n")
        long_lines = [n for n, line in enumerate(lines) if len(line) > max_line_chars]
        if long_lines:
            longest = max(len(lines[n]) for n in long_lines)
            for n in long_lines:
                lines[n] = ""
            text = "\n".join(lines)
            where = ", ".join(str(n + 1) for n in long_lines[:3])
            more = f" (+{len(long_lines) - 3} more)" if len(long_lines) > 3 else ""
            notices.append(
                f"line {where}{more} left out: {longest:,} characters on one line "
                f"(limit {max_line_chars:,}; not a note?)"
            )
    return CleanedText(text, tuple(notices))


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{max(1, round(count / 1024))} KB"
