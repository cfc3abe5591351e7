"""What every session shares, loaded once per process (``st.cache_resource``), and what each
session owns (``st.session_state``).

Shared: the open library (thread-safe; searches read immutable index snapshots) and the LLM
(one llama.cpp context; its generation lock queues completions from all sessions). Neither
holds per-user data. Per session: the settings the Settings page changed, the conversation,
the practice run. An ``Assistant`` is a cheap view joining the shared pieces with a session's
settings, so it is made per run, never cached.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import models
from assistant.facade import Assistant
from assistant.generator import Generator, LlamaGenerator, open_generator
from ground.settings import Settings
from index.library import Library
from memory.study_memory import StudyMemory
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
        Assistant(None, generator, _settings).warm()  # the system prompt, evaluated once
    return generator


def library() -> Library:
    """The shared library; on a first visit the page says what it is waiting for (a spinner
    shows only when loading takes more than half a second, i.e. not when cached)."""
    current = settings()
    with st.spinner(t("loading_library"), show_time=True):
        return _open_library(_library_key(current), current)


def generator() -> Generator:
    current = settings()
    with st.spinner(t("loading_model"), show_time=True):
        return _open_generator(_generator_key(current), current)


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_study_memory(key: tuple[str, ...], _library: Library) -> StudyMemory:
    return StudyMemory.open(_library)


def study_memory() -> StudyMemory:
    """Practice history of this library (shared: its connection is serialized)."""
    current = settings()
    return _open_study_memory(_library_key(current), library())


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
