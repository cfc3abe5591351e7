"""Progress: mastery per topic (placeholder until study memory lands in this tree)."""

import streamlit as st

from ui.texts import t

st.title("📈 " + t("progress"))
st.info(t("no_history"))
