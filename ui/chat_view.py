"""Drawing one exchange of the chat: the answer (or comparison table) and its sources.

Everything from the notes goes through ``escape_markdown``; everything from the model through
``safe_answer_markdown`` (no remote images, no links, no HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from assistant.compare import Comparison
from assistant.explain import Answer
from assistant.extractive import ExtractiveAnswer
from assistant.retrieval import Citation, Passage
from ui.safe_text import escape_markdown, highlighted_passage, safe_answer_markdown
from ui.texts import t


@dataclass
class Exchange:
    """A question and its reply as kept in ``st.session_state`` for redrawing."""

    question: str
    reply: Answer | Comparison
    passages: Sequence[Passage] = field(default_factory=tuple)


def source_label(citation: Citation) -> str:
    """``[2] a.md:3-9 · 深度学习 > 梯度裁剪`` (escaped: headings are note text)."""
    return escape_markdown(f"[{citation.number}] {citation.location} · {citation.heading}")


def show_sources(passages: Sequence[Passage], cited: set[int] | None = None) -> None:
    """One expander per passage: location in the label, the text with the cited part marked."""
    if not passages:
        return
    st.caption(t("sources"))
    for passage in passages:
        if cited is not None and passage.number not in cited:
            continue
        citation = passage.citation
        with st.expander(source_label(citation)):
            chunk = passage.hit.chunk
            page = f" · p.{chunk.page}" if chunk.page is not None else ""
            st.caption(escape_markdown(f"{chunk.title} · {chunk.source}{page} · "
                                       f"{chunk.start_line}-{chunk.end_line}"))
            st.markdown(highlighted_passage(passage.text, passage.excerpt))
            if passage.hit.also_in:
                places = ", ".join(f"{Path(loc.source).name}:{loc.start_line}-{loc.end_line}"
                                   for loc in passage.hit.also_in)
                st.caption(escape_markdown(f"{t('also_in')}: {places}"))


def show_extractive(extractive: ExtractiveAnswer | None) -> None:
    """The notes' own answer, quoted line by line with its line numbers (shown at once)."""
    if extractive is None:
        return
    st.caption(escape_markdown(f"{t('notes_answer')} [{extractive.citation.number}] "
                               f"{extractive.location()}"))
    st.markdown("\n".join(
        "> " + escape_markdown(f"{q.line}: {'…' if q.partial else ''}{q.text}"
                               f"{'…' if q.partial else ''}") + "  " for q in extractive.lines))


def show_answer(answer: Answer) -> None:
    st.markdown(safe_answer_markdown(answer.text))
    if answer.notice:
        st.caption(escape_markdown(answer.notice))
    if answer.unsupported:
        st.warning(t("unsupported") + "\n\n" + "\n".join(
            f"- {escape_markdown(sentence)}" for sentence in answer.unsupported))
    if answer.non_answers:
        st.caption(t("non_answers") + " " + " / ".join(
            escape_markdown(sentence) for sentence in answer.non_answers))
    if not answer.covered and answer.nearest_topics:
        st.caption(t("nearest") + ": " + " · ".join(
            escape_markdown(c.location + " " + c.heading) for c in answer.nearest_topics))


def show_comparison(comparison: Comparison) -> None:
    """The table as Markdown: cells are model text, so sanitized, with their markers."""
    header = "| | " + " | ".join(escape_markdown(c) for c in comparison.concepts) + " |"
    lines = [header, "|---" * (len(comparison.concepts) + 1) + "|"]
    for row in comparison.rows:
        cells = [safe_answer_markdown(c.text).replace("|", "/").replace("\n", " ")
                 + "".join(f" [{n}]" for n in c.citations) for c in row.cells]
        lines.append(f"| {escape_markdown(row.label)} | " + " | ".join(cells) + " |")
    st.markdown("\n".join(lines))
    if comparison.notice:
        st.caption(escape_markdown(comparison.notice))


def show_exchange(exchange: Exchange) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(exchange.question))
    with st.chat_message("assistant"):
        if isinstance(exchange.reply, Comparison):
            show_comparison(exchange.reply)
        else:
            show_extractive(exchange.reply.extractive)
            show_answer(exchange.reply)
        show_sources(exchange.passages)
