"""What every session shares, loaded once per process (``st.cache_resource``), and what each
session owns (``st.session_state``).

Shared: the open library (thread-safe; searches read immutable index snapshots) and the LLM
(one llama.cpp context; its generation lock queues completions from all sessions). Neither
holds per-user data. Per session: the settings the Settings page changed, the conversation,
the practice run. An ``Assistant`` is a cheap view joining the shared pieces with a session's
settings, so it is made per run, never cached.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

import models
from assistant.facade import Assistant
from assistant.generator import Generator, LlamaGenerator, open_generator
from ground.settings import Settings
from index.library import Library
from memory.study_memory import StudyMemory
from ui.auth_gate import current_user
from ui.reasons import reason_text
from ui.texts import t


def settings() -> Settings:
    """This session's settings: the process's (config file, STUDY_* env) until changed here."""
    if "session_settings" not in st.session_state:
        st.session_state.session_settings = Settings.load()
    return st.session_state.session_settings


def _library_key(current: Settings) -> tuple[str, ...]:
    return (str(current.home), current.embedding_model, current.embedding_backend,
            str(current.model_cache), str(current.n_threads))


def _generator_key(current: Settings) -> tuple[str, ...]:
    return (current.llm_model, str(current.model_cache), str(current.n_ctx),
            str(current.n_threads), current.llm_url, current.llm_api_key,
            current.llm_model_name, str(current.llm_timeout))


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_library(key: tuple[str, ...], _settings: Settings) -> Library:
    return Library.open(_settings)


@st.cache_resource(show_spinner=False, max_entries=2)
def _open_generator(key: tuple[str, ...], _settings: Settings) -> Generator:
    generator = open_generator(_settings)
    if isinstance(generator, LlamaGenerator):
        # the prompt heads, evaluated once (~2.5 s) while the page is drawn; a question asked
        # meanwhile queues behind them on the generation lock
        warm = Assistant(None, generator, _settings).warm
        threading.Thread(target=warm, daemon=True, name="warm-model").start()
    return generator


def library() -> Library:
    """The shared library; on a first visit the page says what it is waiting for (a spinner
    shows only when loading takes more than half a second, i.e. not when cached). The first
    call in the process also starts loading its search side in the background (``_warm``)."""
    current = settings()
    with st.spinner(t("loading_library"), show_time=True):
        opened = _open_library(_library_key(current), current)
    _warm(_library_key(current), opened)
    return opened


@st.cache_resource(show_spinner=False, max_entries=4)
def _warm(key: tuple[str, ...], _library: Library) -> threading.Thread:
    """Load the embedder and the search indexes in a background thread as soon as the app has
    its library (whatever page the student opens first), so neither the first question nor the
    first practice Start waits for them. Practice needs neither to serve a topic its notes name
    (``BankStore.passages_naming``); a question, a search, or grading a short answer does."""

    def load() -> None:
        try:
            if _library.documents():
                _library.search("warm up", k=1)
        except Exception:  # noqa: BLE001  the thread's edge: the next real call reports it
            pass

    thread = threading.Thread(target=load, daemon=True, name="warm-library")
    thread.start()
    return thread


def generator() -> Generator:
    current = settings()
    with st.spinner(t("loading_model"), show_time=True):
        return _open_generator(_generator_key(current), current)


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_study_memory(key: tuple[str, ...], _library: Library) -> StudyMemory:
    return StudyMemory.open(_library)


def study_memory() -> StudyMemory:
    """This session's user's practice history (one shared connection, serialized; the user
    is the signed-in student in class mode, else the single user)."""
    current = settings()
    return _open_study_memory(_library_key(current), library()).for_user(current_user())


def assistant() -> Assistant:
    return Assistant(library(), generator(), settings())


def model_files() -> list[models.ModelStatus]:
    """The installed model files, checked (hashes the embedding weights: run on request)."""
    return models.status(settings())


def loaded_models() -> list[tuple[str, str]]:
    """(model, what is loaded) for the Settings page."""
    from index.embedder import resolve_backend

    current = settings()
    llm = generator()
    llm_text = (llm.label if llm.available
                else t("model_missing", reason=reason_text(llm.reason)))
    embedder = library().embedder
    embedder_text = (f"{Path(str(embedder.model_id)).name} ({resolve_backend(current)}, "
                     f"{t('dimensions', n=embedder.dim)})")
    return [(t("llm_label"), llm_text), (t("embedder_label"), embedder_text)]
