"""HTML notes -> markdown-ish text: headings as ``#`` lines, ``<pre>`` as fences, blocks apart.

Chunk lines then refer to this extracted text (the browser's rendering has no line numbers of
its own). Scripts, styles and other non-content elements are dropped.

>>> read_html(b"<title>T</title><h2>Q</h2><p>a <b>b</b></p><pre>x = 1\\n# c</pre>").text
'## Q\\n\\na b\\n\\n```\\nx = 1\\n# c\\n```'
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ingest.encoding import decode_text
from ingest.readers.extracted import ExtractedText

_DROPPED = ("script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object")
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    "p div section article main header footer aside nav blockquote ul ol dl dt dd table thead "
    "tbody tfoot tr figure figcaption form fieldset address details summary body html".split()
)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def read_html(data: bytes) -> ExtractedText:
    decoded = decode_text(data)
    soup = BeautifulSoup(decoded.text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for element in soup.find_all(_DROPPED):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    blocks = _convert(soup)
    text = "\n\n".join(block for block in blocks if block.strip())
    return ExtractedText(text, "html", decoded.encoding, title or None)


def _convert(root: Tag) -> list[str]:
    """The blocks of ``root``, walking the tree with an explicit stack, not recursion.

    A recursive walk hit Python's recursion limit at about 500 nested elements, which exported
    or generated HTML can reach; the stack holds pending work instead, so any depth converts.
    Each entry is ``(action, item)``; children are pushed in reverse so they run in order.
    """
    blocks: list[str] = []
    inline: list[str] = []

    def flush() -> None:
        text = "\n".join(_inline_text(line) for line in "".join(inline).split("\n"))
        inline.clear()
        text = text.strip("\n")
        if text.strip():
            blocks.append(text)

    def push_children(tag: Tag) -> None:
        stack.extend(("node", child) for child in reversed(tag.contents))

    stack: list[tuple[str, object]] = [("flush", None)]
    push_children(root)
    while stack:
        action, item = stack.pop()
        if action == "flush":
            flush()
        elif action == "list item":  # a finished <li>: mark its first block
            if len(blocks) > item:
                blocks[item] = "- " + blocks[item]
        elif isinstance(item, NavigableString):
            inline.append(str(item))
        elif isinstance(item, Tag):
            name = item.name.lower()
            if name in _HEADINGS:
                flush()
                blocks.append("#" * _HEADINGS[name] + " " + _inline_text(item.get_text(" ")))
            elif name == "pre":
                flush()
                blocks.append("```\n" + item.get_text().strip("\n") + "\n```")
            elif name == "li":
                flush()
                stack.extend((("list item", len(blocks)), ("flush", None)))
                push_children(item)
            elif name in ("td", "th"):
                inline.append(" " + item.get_text(" ", strip=True) + " |")
            elif name == "br":
                inline.append("\n")
            elif name == "hr":
                flush()
            elif name in _BLOCKS:
                flush()
                stack.append(("flush", None))
                push_children(item)
            else:
                push_children(item)
    return blocks


def _inline_text(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
