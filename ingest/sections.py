"""The markdown-ish structure of a note: headings outside code, and the sections they open.

Notes are written loosely, so the rules favour what the workload needs over strict CommonMark:

* A heading is an ATX line (``#`` to ``######`` then a space) that is not inside a fenced code
  block or a display formula (``$$ … $$``, ``\\[ … \\]``, ``\\begin{x} … \\end{x}``). So the
  ``# 加载预训练的模型`` comments of a Python fence never open a section.
* An unclosed fence or formula is not a fence: CommonMark would run it to the end of the file
  and swallow every later question; treating the stray marker as text loses nothing.
* "Label" headings such as ``#### 解析：**`` or ``### 答案`` name a part of the item above; they
  stay inside its section instead of opening a new one.
* The document title is the first heading when no other heading is at its level or above
  (``### 《…》`` over ``####`` questions); otherwise the caller's title (file name, HTML
  ``<title>``, …).

>>> layout = parse_layout("# T\\n## Q1\\n```\\n# not a heading\\n```\\n## 答案\\nA\\n")
>>> [(s.heading_path, s.first_line, s.last_line) for s in split_sections(layout, "T", 0)]
[(('T',), 0, 0), (('T', 'Q1'), 1, 7)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ground.fences import block_at

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_MATH_BEGIN_ENV = re.compile(r"^\s*\\begin\{([A-Za-z*]+)\}")
_LABEL = re.compile(
    r"^(?:参考|标准|最终)?(?:答案|解析|解答|分析|答案解析|答案与解析|答案及解析|解题思路|思路|"
    r"代码|代码实现|示例代码|示例|题解|详解|答|解|answers?|explanations?|solutions?|"
    r"analysis|code|examples?)$",
    re.IGNORECASE,
)
_LABEL_NOISE = re.compile(r"[\s*_：:。.、，,()（）\[\]【】#>-]+")


@dataclass(frozen=True)
class Heading:
    line: int  # 0-based line index
    level: int
    text: str  # without the #'s and surrounding emphasis markers
    is_label: bool  # an answer-part label ("解析", "答案", …): part of the item above


@dataclass(frozen=True)
class Layout:
    text: str
    lines: tuple[str, ...]
    line_starts: tuple[int, ...]  # character offset of each line in ``text``
    headings: tuple[Heading, ...]
    atomic_blocks: tuple[tuple[int, int], ...]  # first and last line of each fence / formula

    def line_end(self, line: int) -> int:
        """Offset just past the last character of ``line`` (before its newline)."""
        return self.line_starts[line] + len(self.lines[line])


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]  # (document title, …, this section's heading)
    first_line: int  # 0-based, inclusive; the heading line itself when there is one
    last_line: int
    heading_line: int | None  # None for the text before the first heading
    level: int  # of the heading; 0 for the text before the first heading


def parse_layout(text: str) -> Layout:
    lines = tuple(text.split("\n"))
    line_starts = []
    offset = 0
    for line in lines:
        line_starts.append(offset)
        offset += len(line) + 1
    atomic_blocks = []
    headings = []
    index = 0
    while index < len(lines):
        closing = _block_end(lines, index)
        if closing is not None:
            atomic_blocks.append((index, closing))
            index = closing + 1
            continue
        heading = _heading(lines[index], index)
        if heading is not None:
            headings.append(heading)
        index += 1
    return Layout(text, lines, tuple(line_starts), tuple(headings), tuple(atomic_blocks))


def document_title(layout: Layout, fallback: str) -> tuple[str, int | None]:
    """The title and the line of the heading it came from (None when it is ``fallback``)."""
    openers = [h for h in layout.headings if not h.is_label]
    if not openers:
        return fallback, None
    first = openers[0]
    if all(h.level > first.level for h in openers[1:]):
        return first.text, first.line
    return fallback, None


def split_sections(layout: Layout, title: str, title_line: int | None) -> list[Section]:
    """Cut the document at every heading that opens an item (labels do not)."""
    sections: list[Section] = []
    ancestors: list[Heading] = []
    start, current, current_path = 0, None, (title,)
    for heading in layout.headings:
        if heading.is_label and current is not None and heading.level >= current.level:
            continue
        if heading.line > start or current is not None:
            sections.append(_section(current_path, start, heading.line - 1, current))
        while ancestors and ancestors[-1].level >= heading.level:
            ancestors.pop()
        ancestors.append(heading)
        current, start = heading, heading.line
        current_path = _path(title, title_line, ancestors)
    sections.append(_section(current_path, start, len(layout.lines) - 1, current))
    return [s for s in sections if s.first_line <= s.last_line]


def is_blank(line: str) -> bool:
    return not line.strip()


def _section(path: tuple[str, ...], first: int, last: int, heading: Heading | None) -> Section:
    if heading is None:
        return Section(path, first, last, None, 0)
    return Section(path, first, last, heading.line, heading.level)


def _path(title: str, title_line: int | None, ancestors: list[Heading]) -> tuple[str, ...]:
    path = [title]
    for heading in ancestors:
        if heading.line != title_line and heading.text != path[-1]:
            path.append(heading.text)
    return tuple(path)


def _heading(line: str, index: int) -> Heading | None:
    match = _HEADING.match(line)
    if not match:
        return None
    raw = _CLOSING_HASHES.sub("", match.group(2) or "")
    text = raw.strip().strip("*_").strip()
    if not text:
        return None
    is_label = bool(_LABEL.match(_LABEL_NOISE.sub("", text)))
    return Heading(index, len(match.group(1)), text, is_label)


def _block_end(lines: tuple[str, ...], index: int) -> int | None:
    """Last line of the fence or display formula opening at ``index``; None if none opens."""
    block = block_at(lines, index, formulas=("$$", "\\["))
    if block is not None:
        # Unlike CommonMark, an unclosed fence or formula is text here (module docstring), and
        # a one-line formula is atomic by itself: neither is a block.
        return block.last if block.closed and block.last > index else None
    environment = _MATH_BEGIN_ENV.match(lines[index])
    if environment:
        end_marker = f"\\end{{{environment.group(1)}}}"
        if end_marker in lines[index]:
            return None
        return next((later for later in range(index + 1, len(lines))
                     if end_marker in lines[later]), None)
    return None
