"""Drawing note text and model text with the safe renderer (``ui.note_render``).

Every passage the app shows — chat sources, the passage under a practice answer, library
previews — goes through ``show_passage``; every model text through ``show_model_text``.
"""

from __future__ import annotations

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
    """Model text (with ``[n]`` markers) as safe Markdown."""
    return safe_markdown(text, markers=True)


def show_model_text(text: str) -> None:
    st.markdown(model_markdown(text))
