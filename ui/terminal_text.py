"""The one gate between note text (or file names) and the terminal.

A note, a file name or an error message quoting one can carry bytes a terminal obeys: ESC
sequences that clear the screen, set the window title (OSC) or hide a link; a newline that
forges an output line; a right-to-left override that reverses what a name seems to say; and,
from a file name that is not UTF-8, lone surrogates that crash ``print``. Every line the CLI
prints that holds such text goes through :func:`terminal_safe`, which shows those characters
as visible escapes instead (:func:`terminal_lines` for text of several lines: a quote, an
answer, a quiz item, keeping its own line breaks); :func:`json_line` does the same for
``--json`` output.

>>> terminal_safe("a\\x1b]0;pwned\\x07b\\nc")
'a\\\\x1b]0;pwned\\\\x07b\\\\nc'
>>> terminal_safe("\\udcb9\\udcdd.md")
'\\\\xb9\\\\xdd.md'
"""

from __future__ import annotations

import json
import re

# C0 controls except tab, DEL and C1 controls, bidirectional overrides and isolates,
# and lone surrogates (each one an undecodable byte of a file name)
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """``text`` as one printable line: control characters, newlines, bidi overrides and
    undecodable file-name bytes become visible escapes."""
    return _UNSAFE.sub(_visible, str(text))


def terminal_lines(text: object) -> str:
    """``text`` with its line breaks and tabs kept and every other unsafe character shown
    as a visible escape, as :func:`terminal_safe` does.

    >>> terminal_lines("梯度裁剪\\x1b]0;pwned\\x07\\n第二行\\r")
    '梯度裁剪\\\\x1b]0;pwned\\\\x07\\n第二行\\\\r'
    """
    return "\n".join(terminal_safe(line) for line in str(text).split("\n"))


def json_line(value: object) -> str:
    """One JSON line for the terminal: non-ASCII text kept readable, controls escaped by
    JSON itself, an undecodable file-name byte written as its ``\\udcXX`` escape (which
    ``json.loads`` turns back into the same surrogate, so the exact name survives).

    >>> json_line({"source": "/n/\\udcb9.md", "t": "x\\x1by"})
    '{"source": "/n/\\\\udcb9.md", "t": "x\\\\u001by"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    return re.sub(r"[\ud800-\udfff\u202a-\u202e\u2066-\u2069\x7f-\x9f]",
                  lambda m: f"\\u{ord(m.group()):04x}", text)
