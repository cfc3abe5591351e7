"""Drawing note text and model text with the safe renderer (``ui.note_render``).

Every passage the app shows — chat sources, the passage under a practice answer, library
previews — goes through ``show_passage``; every model text through ``show_model_text``.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from ui.note_render import Block, Image, note_blocks, safe_markdown, split_used
from ui.texts import t


def show_blocks(blocks: list[Block]) -> None:
    for block in blocks:
        if isinstance(block, Image):
            st.image(str(block.path), caption=block.alt or None)
        elif block.strip():
            st.markdown(block)


def show_passage(text: str, source: str = "", excerpt: str = "") -> None:
    """A note passage rendered; the lines ``excerpt`` (what the model read) came from are
    boxed and labelled, so the highlight holds formulas and code as well as words."""
    folder = Path(source).parent if source else None
    before, used, after = split_used(text, excerpt) if excerpt else (text, "", "")
    show_blocks(note_blocks(before, folder))
    if used.strip():
        with st.container(border=True):
            st.caption(":orange[▌] " + t("used_part"))
            show_blocks(note_blocks(used, folder))
    show_blocks(note_blocks(after, folder))


def model_markdown(text: str) -> str:
    """Model text (with ``[n]`` markers) as safe Markdown, its lines kept apart."""
    return safe_markdown(keep_line_breaks(text), markers=True)


_BLOCK_LINE = re.compile(r"^\s*(?:\||```|~~~|\$\$|[-*+]\s|\d{1,2}[.)]\s|#)")


def keep_line_breaks(text: str) -> str:
    """Each line of a model answer ends in a Markdown hard break, so lines the model wrote
    apart ("无监督特征提取：…" then "对比学习：…") do not run together into one paragraph.
    Lists, tables, code and display math keep their own syntax.

    >>> keep_line_breaks("对比学习：学结构[1]。\\n生成模型：学分布[1]。")
    '对比学习：学结构[1]。  \\n生成模型：学分布[1]。'
    >>> keep_line_breaks("$$\\na=b\\n$$\\n| x |\\n| --- |")
    '$$\\na=b\\n$$\\n| x |\\n| --- |'
    """
    lines = text.split("\n")
    inside = False  # within a code fence or a $$ block
    for index, line in enumerate(lines[:-1]):
        opens = line.strip().startswith(("```", "~~~")) or line.strip() == "$$"
        if opens:
            inside = not inside
        if inside or opens or not line.strip() or not lines[index + 1].strip():
            continue
        if _BLOCK_LINE.match(line) and _BLOCK_LINE.match(lines[index + 1]):
            continue  # one list or one table: Markdown lays it out
        if line.lstrip().startswith("|"):
            continue
        lines[index] = line.rstrip() + "  "
    return "\n".join(lines)


def show_model_text(text: str) -> None:
    st.markdown(model_markdown(text))
