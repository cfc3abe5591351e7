"""Chat: ask (Explain) or compare concepts; answers stream with their sources shown first."""

from __future__ import annotations

import re
import threading
import time

import streamlit as st

from assistant.session import turn_of
from assistant.transcript import transcript_markdown
from ui import resources
from ui.chat_view import (
    Exchange,
    show_answer,
    show_comparison,
    show_exchange,
    show_extractive,
    show_sources,
)
from ui.safe_text import escape_markdown, safe_answer_markdown
from ui.texts import t

REDRAW_SECONDS = 0.15  # redraw the growing answer at most this often
_CONCEPT_SEPARATORS = re.compile(r"\s+(?:vs\.?|versus|对比)\s+|[,，、;；/]", re.IGNORECASE)


def split_concepts(text: str) -> list[str]:
    return [c.strip() for c in _CONCEPT_SEPARATORS.split(text) if c.strip()]


def exchanges() -> list[Exchange]:
    return st.session_state.setdefault("chat", [])


def history() -> list:
    return [turn_of(e.question, e.reply.text) for e in exchanges() if hasattr(e.reply, "text")]


def stream_explanation(question: str) -> Exchange:
    """Sources at once, then the answer as it is written; a rerun (Stop) ends it cleanly."""
    explanation = resources.assistant().explain(question, history())
    show_extractive(explanation.extractive)  # the notes' own answer, before the model reads
    answer_slot = st.empty()
    show_sources(explanation.passages)
    status = st.empty()
    stop_slot = st.empty()
    text = ""
    drawn_at = 0.0
    completed = False
    try:
        if explanation.will_generate:
            status.caption(t("reading_prompt"))
            stop_slot.button(t("stop"), key="stop")  # a click reruns the script: see finally
        for piece in explanation.stream():
            text += piece
            if time.perf_counter() - drawn_at > REDRAW_SECONDS:
                answer_slot.markdown(safe_answer_markdown(text) + " ▌")
                drawn_at = time.perf_counter()
                if explanation.phase == "generating":
                    status.empty()
        completed = True
    finally:
        if not completed:
            explanation.close()  # a Stop click interrupted the loop: release the model now
        exchange = Exchange(question, explanation.finish(), explanation.passages)
        exchanges().append(exchange)
    status.empty()
    stop_slot.empty()
    with answer_slot.container():
        show_answer(exchange.reply)
    return exchange


def run_comparison(question: str) -> Exchange | None:
    concepts = split_concepts(question)
    if not 2 <= len(concepts) <= 4:
        st.warning(t("compare_needs_two"))
        return None
    assistant = resources.assistant()
    cancel = threading.Event()
    result: dict = {}
    worker = threading.Thread(
        target=lambda: result.update(value=assistant.compare(concepts, cancel)), daemon=True)
    worker.start()
    try:
        with st.spinner(t("writing_comparison")):
            stop_slot = st.empty()
            stop_slot.button(t("stop"), key="stop")
            while worker.is_alive():  # polling lets a Stop click interrupt the script
                time.sleep(0.2)
                st.empty()
    finally:
        cancel.set()
    stop_slot.empty()
    worker.join()
    comparison = result["value"]
    exchange = Exchange(question, comparison, comparison.passages)
    exchanges().append(exchange)
    show_comparison(comparison)
    show_sources(comparison.passages)
    return exchange


def sidebar() -> None:
    with st.sidebar:
        st.button(t("new_chat"), width="stretch", on_click=st.session_state.update,
                  kwargs={"chat": []})  # a callback: runs before the page draws
        if exchanges():
            st.download_button(
                t("export"),
                transcript_markdown([(e.question, e.reply) for e in exchanges()]),
                file_name="study-session.md", mime="text/markdown", width="stretch")


def page() -> None:
    st.title("💬 " + t("chat"))
    library = resources.library()
    if not library.documents():
        st.info(t("empty_library"))
        return
    generator = resources.generator()
    if not generator.available:
        st.caption(escape_markdown(t("no_model", reason=generator.reason)))
    labels = {name: t(name) for name in ("explain", "compare")}
    mode = st.radio(t("mode"), list(labels), format_func=lambda name: labels.get(name, name),
                    horizontal=True, key="chat_mode", label_visibility="collapsed")
    if not exchanges():
        st.caption(t("welcome"))
    for exchange in exchanges():
        show_exchange(exchange)
    placeholder = t("ask_placeholder") if mode == "explain" else t("compare_placeholder")
    question = st.chat_input(placeholder)
    if question and question.strip():
        with st.chat_message("user"):
            st.markdown(escape_markdown(question))
        with st.chat_message("assistant"):
            if mode == "explain":
                stream_explanation(question)
            else:
                run_comparison(question)
    sidebar()  # last, so the export includes the exchange just made


page()
