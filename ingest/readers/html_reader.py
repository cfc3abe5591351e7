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
    blocks: list[str] = []
    _Converter(blocks).block(soup)
    text = "\n\n".join(block for block in blocks if block.strip())
    return ExtractedText(text, "html", decoded.encoding, title or None)


class _Converter:
    """Walks the tree, collecting inline text and closing a block at each block element."""

    def __init__(self, blocks: list[str]):
        self.blocks = blocks
        self.inline: list[str] = []

    def block(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
            elif isinstance(child, Tag):
                self.element(child)
        self.flush()

    def element(self, tag: Tag) -> None:
        name = tag.name.lower()
        if name in _HEADINGS:
            self.flush()
            self.blocks.append("#" * _HEADINGS[name] + " " + _inline_text(tag.get_text(" ")))
        elif name == "pre":
            self.flush()
            self.blocks.append("```\n" + tag.get_text().strip("\n") + "\n```")
        elif name == "li":
            self.flush()
            start = len(self.blocks)
            self.block(tag)
            if len(self.blocks) > start:
                self.blocks[start] = "- " + self.blocks[start]
        elif name in ("td", "th"):
            self.inline.append(" " + tag.get_text(" ", strip=True) + " |")
        elif name == "br":
            self.inline.append("\n")
        elif name == "hr":
            self.flush()
        elif name in _BLOCKS:
            self.flush()
            self.block(tag)
        else:
            for child in tag.children:
                if isinstance(child, NavigableString):
                    self.inline.append(str(child))
                elif isinstance(child, Tag):
                    self.element(child)

    def flush(self) -> None:
        text = "\n".join(_inline_text(line) for line in "".join(self.inline).split("\n"))
        self.inline = []
        text = text.strip("\n")
        if text.strip():
            self.blocks.append(text)


def _inline_text(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
