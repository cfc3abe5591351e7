"""Drawing the chat: finished exchanges, the reply being written, and their sources.

Note passages go through ``show_passage`` and model text through ``model_markdown`` (the one
safe renderer, ``ui.note_render``); labels and locations through ``escape_markdown``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

from assistant.compare import Comparison, Row
from assistant.explain import MESSAGES, Answer, Explanation, with_table_header
from assistant.extractive import TABLE_ROW, ExtractiveAnswer
from assistant.prompts import COMPARE_ASPECTS
from assistant.retrieval import Citation, Passage
from ground.records import Chunk, Hit
from ui.conversation import Exchange, PendingReply
from ui.note_render import safe_markdown
from ui.passage_view import model_markdown, show_passage
from ui.reasons import notice_text, reason_text
from ui.safe_text import escape_markdown
from ui.texts import language, t
from ui.topic_names import clean_topic

REDRAW_SECONDS = 0.2  # the reply being written is redrawn at most this often


def file_name(source: str) -> str:
    """The name a person gave the file (an upload's generated folder is not shown)."""
    return Path(source).name


def location(source: str, start: int, end: int, page: int | None = None) -> str:
    """``a.md:3-9`` or ``a.pdf p.2:3-9``."""
    paged = f" p.{page}" if page is not None else ""
    return f"{file_name(source)}{paged}:{start}-{end}"


def section_of(chunk_heading: str) -> str:
    """The passage's own section, named without its numbering ("题目 5：", "3.")."""
    section = chunk_heading.split(" > ")[-1].strip()
    return clean_topic(section) or section


def source_label(citation: Citation) -> str:
    """``[2] 梯度裁剪是什么？ · a.md:3-9`` (escaped: headings are note text)."""
    section = section_of(citation.heading)
    where = location(citation.source, citation.start_line, citation.end_line, citation.page)
    return escape_markdown(f"[{citation.number}] {section} · {where}")


def chunk_caption(chunk: Chunk) -> str:
    """The document's title (unless it is only the file's name), the file, page and lines."""
    name = file_name(chunk.source)
    title = "" if chunk.title.strip() == Path(name).stem else chunk.title
    parts = [title, name]
    if chunk.page is not None:
        parts.append(t("page_n", n=chunk.page))
    parts.append(t("lines", start=chunk.start_line, end=chunk.end_line))
    return escape_markdown(" · ".join(p for p in parts if p))


def show_hit(label: str, hit: Hit, excerpt: str = "") -> None:
    chunk = hit.chunk
    with st.expander(label):
        st.caption(chunk_caption(chunk))
        show_passage(chunk.text, chunk.source, excerpt)
        if hit.also_in:
            places = ", ".join(location(loc.source, loc.start_line, loc.end_line)
                               for loc in hit.also_in)
            st.caption(escape_markdown(f"{t('also_in')}: {places}"))


def show_sources(passages: Sequence[Passage], more: Sequence[Hit] = ()) -> None:
    """One expander per passage: location in the label, the text with the used part boxed;
    then the further passages the search ranked within top-k."""
    if not passages and not more:
        return
    st.caption(t("sources"))
    for passage in passages:
        show_hit(source_label(passage.citation), passage.hit, passage.excerpt)
    if more:
        st.caption(t("more_sources"))
        for number, hit in enumerate(more, start=len(passages) + 1):
            section = section_of(hit.chunk.heading)
            where = location(hit.chunk.source, hit.chunk.start_line, hit.chunk.end_line,
                             hit.chunk.page)
            show_hit(escape_markdown(f"({number}) {section} · {where}"), hit)


def answer_text(answer: Answer) -> str:
    """The answer, with the English reason an extractive reply opens with translated."""
    prefix = "generation is unavailable: "
    if answer.generated or not answer.notice.startswith(prefix):
        return answer.text
    reason = answer.notice[len(prefix):]
    opening = MESSAGES["unavailable"][answer.language]
    said = opening.format(reason=reason)
    if not answer.text.startswith(said):
        return answer.text
    return opening.format(reason=reason_text(reason)) + answer.text[len(said):]


def show_extractive(extractive: ExtractiveAnswer | None, checking: bool = False) -> None:
    """The notes' own answer, quoted line by line with its line numbers (shown at once);
    ``checking``: only the closest lines while the question is judged again in translation."""
    if extractive is None:
        return
    label = t("closest_lines" if checking else "notes_answer")
    st.caption(escape_markdown(f"{label} [{extractive.citation.number}] "
                               f"{extractive.location()}"))
    st.markdown(quote_markdown(extractive))


def quote_markdown(extractive: ExtractiveAnswer) -> str:
    """The quoted lines, each after its line number in a block quote; the rows of a table
    (whose rule line the quote skips) as a table again, not as raw pipes: the caption's range
    names their lines."""
    ellipsis = "…"
    groups: list[tuple[bool, list[str]]] = []  # (a table?, its Markdown lines)
    for q in extractive.lines:
        row = bool(TABLE_ROW.match(q.text))
        text = safe_markdown(f"{ellipsis if q.partial else ''}{q.text}"
                             f"{ellipsis if q.partial else ''}")
        if not groups or groups[-1][0] != row:
            groups.append((row, []))
        groups[-1][1].append(text if row else f"> {q.line}: {text}  ")
    return "\n\n".join(with_table_header("\n".join(lines)) if row else "\n".join(lines)
                       for row, lines in groups)


def show_answer(answer: Answer) -> None:
    if not answer.only_quotes:  # else the quote above is the answer: its lines, once
        st.markdown(model_markdown(answer_text(answer)))
    if answer.translated:
        st.caption(t("translated"))
    if answer.notice and answer.notice not in ("（已停止）", "(stopped)"):
        st.caption(escape_markdown(notice_text(answer.notice)))
    if answer.unsupported:  # out of sight until asked for: half were true, half false (r47-r49)
        with st.expander(t("unsupported", count=len(answer.unsupported)), expanded=False):
            st.markdown("\n".join(f"- {model_markdown(sentence)}"
                                   for sentence in answer.unsupported))
    if answer.non_answers:  # filler: out of sight too, a student reads the answer
        with st.expander(t("non_answers", count=len(answer.non_answers)), expanded=False):
            st.markdown("\n".join(f"- {escape_markdown(sentence)}"
                                   for sentence in answer.non_answers))
    for mention in answer.mentions:  # a refusal's: where the notes name it in passing
        st.caption(escape_markdown(f"{t('mentioned_in_passing')} · {mention.location()}"))
        st.markdown(quote_markdown(mention))
    if not answer.covered and answer.nearest_topics:
        st.caption(t("nearest") + ": " + " · ".join(
            escape_markdown(section_of(c.heading) + " · " + c.location)
            for c in answer.nearest_topics))


def aspect_label(row: Row) -> str:
    """A row's name in the interface language (the model's table follows the question's)."""
    names = COMPARE_ASPECTS.get(row.aspect)
    return row.label if names is None else names[1 if language() == "zh" else 0]


def show_comparison(comparison: Comparison) -> None:
    """The table as Markdown: cells are model text, so sanitized, with their markers."""
    header = "| | " + " | ".join(escape_markdown(c) for c in comparison.concepts) + " |"
    lines = [header, "|---" * (len(comparison.concepts) + 1) + "|"]
    for row in comparison.rows:
        cells = [model_markdown(c.text).replace("|", "/").replace("\n", " ")
                 + "".join(f" [{n}]" for n in c.citations) for c in row.cells]
        lines.append(f"| {escape_markdown(aspect_label(row))} | " + " | ".join(cells) + " |")
    st.markdown("\n".join(lines))
    if comparison.notice:
        st.caption(escape_markdown(notice_text(comparison.notice)))


def show_exchange(exchange: Exchange) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(exchange.question))
    with st.chat_message("assistant"):
        if isinstance(exchange.reply, Comparison):
            show_comparison(exchange.reply)
        elif isinstance(exchange.reply, Answer):
            show_extractive(exchange.reply.extractive)
            show_answer(exchange.reply)
        if exchange.error:
            st.error(t("reply_failed", error=escape_markdown(exchange.error)))
        if exchange.stopped:
            st.caption(t("stopped"))
        show_sources(exchange.passages, exchange.more)


def follow_pending(pending: PendingReply, finished: Callable[[], bool],
                   every: float = REDRAW_SECONDS) -> None:
    """Draw the reply being written and redraw it until ``finished()``.

    Only this drawing loop belongs to the page script: a rerun (Stop, another page, another
    mode) ends the loop, never the worker writing the reply; the next run of the page picks
    the reply up where it is.
    """
    with st.chat_message("user"):
        st.markdown(escape_markdown(pending.question))
    with st.chat_message("assistant"):
        extractive_slot = st.empty()
        text_slot = st.empty()
        status_slot = st.empty()
        st.button(t("stop"), key="stop", on_click=pending.stop,
                  disabled=pending.stop_requested.is_set())
        sources_slot = st.empty()
        drawn_text, sources_drawn, drawn_quote = None, False, _NOT_DRAWN
        while True:
            done = finished()
            explanation = pending.explanation
            # the quote goes out before the model reads, and is drawn again if the prompt's
            # first section (the search in the notes' other language too) has another one
            if explanation is not None and quote_key(explanation) != drawn_quote:
                drawn_quote = quote_key(explanation)
                with extractive_slot.container():
                    show_extractive(explanation.extractive, explanation.checking)
            text = pending.text
            if text != drawn_text:
                text_slot.markdown(model_markdown(text) + " ▌" if text else "")
                drawn_text = text
            status_slot.caption(pending_status(pending)
                                if not text or pending.phase == "checking" else "")
            if not sources_drawn and pending.phase != "retrieving" and pending.passages:
                with sources_slot.container():
                    show_sources(pending.passages, pending.more)
                sources_drawn = True
            if done:
                return
            time.sleep(every)


_NOT_DRAWN = ("not drawn",)


def quote_key(explanation: Explanation) -> tuple | None:
    """What a drawn quote shows: a new object with the same lines is not redrawn; the same
    lines are, once the question is judged covered (their label changes)."""
    quoted, checking = explanation.extractive, explanation.checking
    return None if quoted is None else (quoted.citation.number, quoted.location(), quoted.text,
                                        checking)


def pending_status(pending: PendingReply) -> str:
    if pending.stop_requested.is_set():
        return t("stopping")
    if pending.mode == "compare":
        return t("writing_comparison")
    if pending.explanation is not None and pending.explanation.checking:
        return t("checking_coverage")
    return t({"retrieving": "retrieving", "queued": "queued",
              "checking": "checking_answer"}.get(pending.phase, "reading_prompt"))
