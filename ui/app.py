"""The Streamlit study app: ``study ui`` (or ``make run``) serves it on loopback.

A thin layer: pages call the library API (``Library``, ``Assistant``, ``StudyMemory``) through
``ui.resources``; no retrieval or prompting happens here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` from a checkout
    sys.path.insert(0, str(ROOT))

from ui import resources  # noqa: E402
from ui.auth_gate import TEACHER_PAGES, signed_in_role  # noqa: E402
from ui.texts import LANGUAGES, t  # noqa: E402

# Not "pages/": Streamlit would also serve files there directly, skipping this script.
PAGES = Path(__file__).resolve().parent / "screens"

st.set_page_config(page_title="Study assistant · 学习助手", page_icon="📚", layout="wide")
if "language" not in st.session_state:  # a plain key: widget state is dropped across pages
    st.session_state.language = os.environ.get("STUDY_UI_LANGUAGE", "zh")
with st.sidebar:
    choices = list(LANGUAGES)
    st.session_state.language = st.radio(
        "界面语言 / Language", choices, index=choices.index(st.session_state.language),
        format_func=lambda code: LANGUAGES.get(code, code), horizontal=True)
role = signed_in_role(resources.settings())  # class mode: a login first; else None
pages = [
    st.Page(PAGES / "chat.py", title=t("chat"), icon="💬", default=True),
    st.Page(PAGES / "practice.py", title=t("practice"), icon="📝", url_path="practice"),
    st.Page(PAGES / "progress.py", title=t("progress"), icon="📈", url_path="progress"),
    st.Page(PAGES / "library.py", title=t("library"), icon="📚", url_path="library"),
    st.Page(PAGES / "settings.py", title=t("settings"), icon="⚙️", url_path="settings"),
]
if role == "student":  # a page left out is not served, even by its URL
    pages = [page for page in pages if page.url_path not in TEACHER_PAGES]
navigation = st.navigation(pages)
navigation.run()
