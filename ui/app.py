"""The Streamlit study app (placeholder page until the UI issue lands)."""

from __future__ import annotations

import streamlit as st

from ingest.settings import Settings

st.set_page_config(page_title="Study assistant", page_icon="📚")
settings = Settings.load()
st.title("📚 Study assistant")
st.write("Your notes, your questions, answers with citations — all offline.")
st.caption(f"Library: {settings.home}")
