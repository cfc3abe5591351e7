"""Settings: retrieval and generation knobs for this session (savable as defaults), model
paths, and what is loaded where."""

from __future__ import annotations

import streamlit as st

from ground.errors import StudyError
from ground.settings import Settings, save_config
from models import human_size
from ui import resources
from ui.reasons import reason_text
from ui.safe_text import escape_markdown
from ui.texts import t

SEARCH_MODES = ["hybrid", "dense", "lexical"]
SAVED_FIELDS = ["top_k", "search_mode", "temperature", "max_tokens", "llm_model",
                "embedding_model"]


def edited_settings(current: Settings) -> Settings:
    with st.form("settings_form"):
        top_k = st.slider(t("top_k"), 1, 20, current.top_k)
        mode_names = {mode: t(f"mode_{mode}") for mode in SEARCH_MODES}
        search_mode = st.selectbox(t("search_mode"), SEARCH_MODES,
                                   index=SEARCH_MODES.index(current.search_mode),
                                   format_func=lambda mode: mode_names.get(mode, mode))
        temperature = st.slider(t("temperature"), 0.0, 1.5, float(current.temperature), 0.05)
        max_tokens = st.number_input(t("max_tokens"), 32, 2048, current.max_tokens, 32)
        llm_model = st.text_input(t("llm_model"), current.llm_model)
        embedding_model = st.text_input(t("embedding_model"), current.embedding_model)
        apply, save = st.columns(2)
        applied = apply.form_submit_button(t("apply"), type="primary")
        saved = save.form_submit_button(t("save_settings"))
    if not (applied or saved):
        return current
    changed = current.replace(top_k=top_k, search_mode=search_mode, temperature=temperature,
                              max_tokens=int(max_tokens), llm_model=llm_model.strip(),
                              embedding_model=embedding_model.strip())
    st.session_state.session_settings = changed
    st.toast(t("applied", top_k=changed.top_k, mode=t(f"mode_{changed.search_mode}")))
    st.success(t("applied", top_k=changed.top_k, mode=t(f"mode_{changed.search_mode}")))
    if saved:
        st.success(t("saved", path=escape_markdown(str(save_config(changed, SAVED_FIELDS)))))
    return changed


def page() -> None:
    st.title("⚙️ " + t("settings"))
    st.caption(t("session_only"))
    current = edited_settings(resources.settings())
    st.subheader(t("loaded_models"))
    try:
        rows = resources.loaded_models()
    except StudyError as error:  # e.g. a model path that does not exist
        st.error(escape_markdown(reason_text(str(error))))
        rows = []
    for what, which in rows:
        st.markdown(f"**{what}**: {escape_markdown(which)}")
    if st.button(t("check_models")):
        for status in resources.model_files():
            if status.usable:
                st.markdown(escape_markdown(f"{status.role}: {status.state}, "
                                            f"{human_size(status.size_bytes)}, {status.path}"))
            else:
                st.warning(escape_markdown(f"{status.role}: {status.state}. {status.detail}"))
    st.markdown(f"**{t('library_location')}**: {escape_markdown(str(current.home))}")


page()
