"""Chat: ask (Explain) or compare concepts; answers stream with their sources shown first.

The conversation lives in ``st.session_state`` (``ui.conversation``): replies are written by a
worker thread, and this page only draws them (polling while one is being written), so Stop, a
change of mode or a visit to another page never loses an exchange.
"""

from __future__ import annotations

import re

import streamlit as st

from assistant.compare import Comparison
from assistant.explain import Answer
from assistant.transcript import transcript_markdown
from ui import resources
from ui.chat_view import follow_pending, show_exchange
from ui.conversation import Conversation, Exchange
from ui.reasons import reason_text
from ui.safe_text import escape_markdown
from ui.texts import t

_CONCEPT_SEPARATORS = re.compile(r"\s+(?:vs\.?|versus|对比)\s+|[,，、;；/]", re.IGNORECASE)
MODES = ("explain", "compare")


def split_concepts(text: str) -> list[str]:
    return [c.strip() for c in _CONCEPT_SEPARATORS.split(text) if c.strip()]


def conversation() -> Conversation:
    if "conversation" not in st.session_state:
        st.session_state.conversation = Conversation()
    return st.session_state.conversation


def exported(exchanges: list[Exchange]) -> list[tuple[str, Answer | Comparison]]:
    """Every exchange for the transcript; a failed one keeps its question and the reason."""
    rows = []
    for exchange in exchanges:
        reply = exchange.reply
        if reply is None:
            reply = Answer(exchange.question, "", "", (), True, False,
                           notice=t("reply_failed", error=exchange.error))
        rows.append((exchange.question, reply))
    return rows


def sidebar(chat: Conversation) -> None:
    with st.sidebar:
        st.button(t("new_chat"), width="stretch", on_click=chat.clear)
        if chat.exchanges:
            st.download_button(t("export"), transcript_markdown(exported(chat.exchanges)),
                               file_name="study-session.md", mime="text/markdown",
                               width="stretch")


def submit(chat: Conversation, mode: str, question: str) -> None:
    if mode == "compare":
        concepts = split_concepts(question)
        if not 2 <= len(concepts) <= 4:
            st.warning(t("compare_needs_two"))
            return
        chat.compare(resources.assistant(), question, concepts)
    else:
        chat.ask(resources.assistant(), question, resources.settings().top_k)


def mode_choice() -> str:
    """Explain or Compare; kept in a plain key too, since widget state is dropped when the
    student visits another page."""
    labels = {name: t(name) for name in MODES}
    remembered = st.session_state.get("chat_mode_kept", "explain")
    mode = st.radio(t("mode"), MODES, index=MODES.index(remembered), horizontal=True,
                    format_func=lambda name: labels.get(name, name), key="chat_mode",
                    label_visibility="collapsed")
    st.session_state.chat_mode_kept = mode
    return mode


def page() -> None:
    st.title("💬 " + t("chat"))
    library = resources.library()
    if not library.documents():
        st.info(t("empty_library"))
        return
    generator = resources.generator()
    if not generator.available:
        st.caption(escape_markdown(t("no_model", reason=reason_text(generator.reason))))
    chat = conversation()
    mode = mode_choice()
    if not chat.exchanges and not chat.busy:
        st.caption(t("welcome") if mode == "explain" else t("welcome_compare"))
    for exchange in list(chat.exchanges):
        show_exchange(exchange)
    placeholder = t("ask_placeholder") if mode == "explain" else t("compare_placeholder")
    question = st.chat_input(placeholder, disabled=chat.busy)
    if question and question.strip():
        if chat.busy:
            st.toast(t("busy"))
        else:
            submit(chat, mode, question.strip())
    pending = chat.pending
    if pending is not None:
        sidebar(chat)  # New chat and the export of what is finished, while this one streams
        follow_pending(pending, lambda: chat.pending is not pending)
        st.rerun()  # finished: draw it as an exchange, with the export that includes it
    sidebar(chat)


page()
