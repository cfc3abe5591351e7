"""Notes and model text as safe Markdown for ``st.markdown``: structure and math kept, nothing
that fetches or executes.

A study note is Markdown in practice (headings, bold, lists, tables, ``\\( … \\)`` formulas,
code fences), whatever its file extension, so it is shown rendered, not escaped. What stays:

- Markdown structure; headings shrink a few levels (a passage sits in a narrow expander);
- math, for Streamlit's KaTeX: ``$…$`` and ``$$…$$`` as written, ``\\( … \\)`` and
  ``\\[ … \\]`` converted to them; commands that could load a resource (``\\href``,
  ``\\includegraphics``, ``\\html…``) are disarmed;
- code fences, as fenced code blocks with their language; inline code as written.

What goes:

- raw HTML: every ``<`` outside code is escaped, so ``<script>`` and ``<img onerror>`` show as
  text;
- images: a Markdown image becomes its alt text (only a note's own picture, inside its folder,
  is kept, as an ``Image`` block the page draws with ``st.image``);
- links: ``[text](target)`` becomes its text, autolinks and bare URLs become plain text, link
  definitions are dropped;
- a stray ``$`` is escaped, so "$5 and $10" stays money, not math.

Model answers carry citation markers ``[n]``; a marker the model wrote inside a formula is
moved out, after it (inside, KaTeX would draw it as part of the formula).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ground.fences import Block as Fence
from ground.fences import block_at
from ground.links import tex_images

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp"}

_LANGUAGE = re.compile(r"[\w+#.\-]*")  # of a fence's info string: "python", "c++"
_INLINE = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`))"  # whole backtick runs
    r"|\$\$(?P<dollars2>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$\w])\$(?P<dollar>[^\s$](?:[^$\n]*?[^\s$\\])?)\$(?![\d$])",
    re.DOTALL,
)
_UNSAFE_TEX = re.compile(r"\\(href|url|includegraphics|html[A-Za-z]*)\b")
_MARKER = re.compile(r"\s*\[\d+\](?:\s*\[\d+\])*")
_TARGET = r"\((?:[^()\n]|\([^()\n]*\))*\)"
_UNESCAPED = r"(?P<pre>(?<!\\)(?:\\\\)*)"  # an even run of backslashes: what follows is live
_LINK_TEXT = r"\[(?P<text>(?:[^\]\n]|\n(?![ \t]*\n))*)\]"  # may span lines, not a blank one
_IMAGE = re.compile(_UNESCAPED + "!" + _LINK_TEXT + _TARGET)
_REFERENCE_IMAGE = re.compile(_UNESCAPED + "!" + _LINK_TEXT + r"\[[^\]\n]*\]")
_LINK = re.compile(_UNESCAPED + _LINK_TEXT + _TARGET)
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.\-]{1,31}):[^<>\s]*)>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?i)\b(https?|ftp)://|\bwww\.")
_CLOSING_ANGLE = re.compile(r"([^\s>])>")  # a tag's end; a quote's ">" opens a line
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?=\s)", re.MULTILINE)
_IMAGE_LINE = re.compile(r"^\s*!\[([^\]\n]*)\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)\s*$")
_BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#|>|\||```|~~~|\$\$|\\\[)")


@dataclass(frozen=True)
class Image:
    """A note's own picture (a file inside the note's folder), drawn with ``st.image``."""

    path: Path
    alt: str


Block = str | Image  # safe Markdown, or a local picture


def safe_markdown(text: str, markers: bool = False) -> str:
    """Markdown that renders ``text``'s structure and math and fetches nothing.

    ``markers``: the text is a model answer whose ``[n]`` markers must stay outside math.

    >>> safe_markdown(r"**F1：** \\( 2 \\times \\frac{P R}{P + R} \\) <img src=x onerror=alert(1)>")
    '**F1：** $2 \\\\times \\\\frac{P R}{P + R}$ \\\\<img src=x onerror=alert(1)\\\\>'
    >>> safe_markdown("见 ![图](http://evil/x.png) 与 [链接](http://evil) 共 $5")
    '见 图 与 链接 共 \\\\$5'
    >>> safe_markdown("- 更新：![x_j](http://latex.codecogs.com/gif.latex?x_j)")
    '- 更新： $x_j$ '
    >>> safe_markdown("损失 $L = a + b [2]$。", markers=True)
    '损失 $L = a + b$ [2]。'
    """
    return "".join(b for b in note_blocks(text, markers=markers) if isinstance(b, str))


def note_blocks(text: str, folder: Path | None = None, markers: bool = False) -> list[Block]:
    """``text`` as safe Markdown blocks, with pictures from inside ``folder`` as ``Image``s."""
    blocks: list[Block] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            blocks.append(_safe_prose("\n".join(prose), markers))
            prose.clear()

    lines = text.replace("\r\n", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = block_at(lines, index)
        if fence:
            flush()
            end = _fence_end(fence)
            blocks.append(_code_block(lines[index + 1:end], _LANGUAGE.match(fence.info).group()))
            index = end + 1
            continue
        picture = _local_image(line, folder)
        if picture is not None:
            flush()
            blocks.append(picture)
        else:
            prose.append(line)
        index += 1
    flush()
    return _joined(blocks)


def _joined(blocks: list[Block]) -> list[Block]:
    """Neighbouring Markdown blocks as one (fewer elements; lists and tables stay whole)."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1].rstrip("\n") + "\n\n" + block.lstrip("\n")
        elif block != "":
            out.append(block)
    return out


def _fence_end(fence: Fence) -> int:
    """The index of the fence's closing line; past the last line when none closes it (as in
    CommonMark, an unclosed fence runs to the end: its last line is code, not a closer)."""
    return fence.last if fence.closed else fence.last + 1


def _code_block(code_lines: list[str], language: str) -> str:
    code = "\n".join(code_lines)
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"\n{ticks}{language}\n{code}\n{ticks}\n"


def _local_image(line: str, folder: Path | None) -> Image | None:
    """A line that is only an image of a file inside ``folder`` (never a URL, never outside)."""
    match = _IMAGE_LINE.match(line)
    if match is None or folder is None or ":" in match.group(2):
        return None
    try:
        root = folder.resolve()
        path = (root / match.group(2)).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    inside = path.is_relative_to(root) and path.suffix.lower() in IMAGE_SUFFIXES
    return Image(path, match.group(1)) if inside and path.is_file() else None


def _safe_prose(text: str, markers: bool) -> str:
    """Prose (no fences): math and inline code kept, everything between them sanitized; a
    formula drawn as an image is shown as its formula (``ground.links``)."""
    text = _hard_breaks(tex_images(text))
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_safe_plain(text[position:match.start()]))
        out.append(_inline_piece(match, text, markers))
        position = match.end()
    out.append(_safe_plain(text[position:]))
    return "".join(out)


def _inline_piece(match: re.Match, text: str, markers: bool) -> str:
    if match.group("code"):
        return match.group("code").replace("\n", " ")
    display = match.group("dollars2") is not None or match.group("bracket") is not None
    if "`" in match.group(0):  # backticks are not TeX: a renderer may pair them into code spans
        return _safe_plain(match.group(0)).replace("`", "\\`")
    tex = next(g for g in (match.group(n) for n in ("dollars2", "bracket", "paren", "dollar"))
               if g is not None)
    tex, moved = _math_content(tex, markers)
    if not tex:
        return moved
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    alone = (not text[line_start:match.start()].strip()
             and not text[match.end():None if line_end < 0 else line_end].strip())
    if display and alone:
        return f"\n$$\n{tex}\n$$\n" + moved
    return f"${' '.join(tex.split())}$" + moved


def _math_content(tex: str, markers: bool) -> tuple[str, str]:
    """TeX safe for KaTeX, and the citation markers moved out of it."""
    moved = ""
    if markers:
        found = _MARKER.findall(tex)
        moved = "".join(" " + m.strip() for m in found)
        tex = _MARKER.sub("", tex)
    tex = _UNSAFE_TEX.sub(r"\\text", tex).replace("$", r"\$").replace("<", r"\lt ")
    tex = "\n".join(line for line in tex.strip().split("\n") if line.strip())
    return tex, moved


def _safe_plain(text: str) -> str:
    """Markdown with no images, links, HTML or stray ``$``; headings shrunk; line breaks kept."""
    text = _LINK_DEFINITION.sub("", text)
    for pattern in (_IMAGE, _REFERENCE_IMAGE, _LINK):
        text = pattern.sub(lambda m: m.group("pre") + m.group("text"), text)
    text = text.replace("](", r"]\(")  # what is left (unbalanced targets) never reads as a link
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _BARE_URL.sub(lambda m: m.group(0).replace("://", r":\/\/").replace(".", r"\."), text)
    text = text.replace("<", r"\<").replace("$", r"\$")
    text = _CLOSING_ANGLE.sub(lambda m: m.group(1) + r"\>", text)
    text = _tight_bold(text)
    return _HEADING.sub(lambda m: "#" * min(6, max(5, len(m.group(1)) + 3)), text)


_BOLD_SPAN = re.compile(r"(?<!\*)\*\*(?=\S)([^*\n]+?)\*\*(?!\*)")
"""A bold span, left to right. One closed after a space ("**（2）动量 **", 第十三章_优化算法.md:84)
shows its asterisks in Markdown (r49 dev2:c29), so the space goes (``_tight_bold``)."""


def _tight_bold(text: str) -> str:
    """``text`` with each bold span's closing space taken out.

    >>> _tight_bold("**（2）动量 ** and **a** b **c**, see **a**, then **b**")
    '**（2）动量** and **a** b **c**, see **a**, then **b**'
    """
    return _BOLD_SPAN.sub(lambda m: f"**{m.group(1).rstrip()}**", text)


def _hard_breaks(text: str) -> str:
    """A note's single line breaks kept (Markdown would join the lines into one paragraph)."""
    lines = text.split("\n")
    for index in range(len(lines) - 1):
        here, after = lines[index], lines[index + 1]
        if here.strip() and after.strip() and not _BLOCK_START.match(after) \
                and not here.lstrip().startswith(("|", "#")):
            lines[index] = here.rstrip() + "  "
    return "\n".join(lines)


# -- the part of a passage an answer used -------------------------------------------------------

_MARKUP = re.compile(r"[*_#`>\s\\$|]+")


def used_lines(text: str, excerpt: str) -> tuple[int, int] | None:
    """The lines of ``text`` (first, last; 0-based) the model's ``excerpt`` was cut from.

    The excerpt is the passage compacted for the prompt (no emphasis or heading marks, ``…``
    at the cuts), so lines are compared without markup.

    >>> used_lines("## A?\\n\\n**答案：** 限制梯度的范数。\\n\\n其它。", "答案： 限制梯度的范数。")
    (2, 2)
    """
    wanted = _MARKUP.sub("", excerpt.replace("...", "…"))
    pieces = [p for p in wanted.split("…") if len(p) >= 4]
    if not pieces:
        return None
    hits = []
    for number, line in enumerate(text.split("\n")):
        plain = _MARKUP.sub("", line)
        if len(plain) < 2:
            continue
        if any(plain in p or (len(p) >= 8 and p in plain) or _overlap(plain, p) for p in pieces):
            hits.append(number)
    return (hits[0], hits[-1]) if hits else None


def _overlap(line: str, piece: str, least: int = 12) -> bool:
    """The excerpt starts or ends inside this line (a cut made mid-line)."""
    head, tail = piece[:least], piece[-least:]
    return len(piece) >= least and (head in line or tail in line)


def split_used(text: str, excerpt: str) -> tuple[str, str, str]:
    """``text`` as (before, used, after), cut at line boundaries that split no code fence or
    display formula; ``used`` is empty when the excerpt is not found."""
    span = used_lines(text, excerpt)
    if span is None:
        return text, "", ""
    lines = text.split("\n")
    first, last = span
    for start, end in _unsplittable(lines):
        if start <= last and end >= first:
            first, last = min(first, start), max(last, end)
    return ("\n".join(lines[:first]), "\n".join(lines[first:last + 1]),
            "\n".join(lines[last + 1:]))


def _unsplittable(lines: list[str]) -> list[tuple[int, int]]:
    """Line ranges of code fences, display math and tables."""
    ranges = []
    index = 0
    while index < len(lines):
        block = block_at(lines, index, formulas=("$$", "\\["))
        if block:
            end = block.last
        elif lines[index].strip().startswith("|"):
            end = index
            while end + 1 < len(lines) and lines[end + 1].strip().startswith("|"):
                end += 1
        else:
            index += 1
            continue
        ranges.append((index, min(end, len(lines) - 1)))
        index = end + 1
    return ranges
