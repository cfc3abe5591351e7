"""Progress: mastery per topic as a chart and a table, the weakest topics with one click to
practise them, and the study history's export and import."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import streamlit as st

from assistant.mastery import TopicMastery
from ingest.errors import StudyError
from ui import resources
from ui.practice_run import start
from ui.safe_text import escape_markdown
from ui.study_view import topic_questions
from ui.texts import t

WEAKEST_SHOWN = 5
PRACTICE_COUNT = 3


def mastery_chart(topics: list[TopicMastery]) -> alt.Chart:
    rows = [{"topic": m.label, "mastery": round(m.score, 3), "attempts": m.attempts,
             "correct": f"{m.share_correct:.0%}"} for m in topics]
    return (alt.Chart(alt.Data(values=rows)).mark_bar()
            .encode(x=alt.X("mastery:Q", scale=alt.Scale(domain=[0, 1]), title=t("mastery")),
                    y=alt.Y("topic:N", sort="x", title=None,
                            axis=alt.Axis(labelLimit=320)),
                    color=alt.Color("mastery:Q", scale=alt.Scale(scheme="redyellowgreen",
                                                                 domain=[0, 1]), legend=None),
                    tooltip=["topic:N", "mastery:Q", "attempts:Q", "correct:N"])
            .properties(height=max(120, 36 * len(rows))))


def mastery_table(topics: list[TopicMastery]) -> list[dict]:
    return [{t("topic_column"): m.label, t("attempts"): m.attempts,
             t("share_correct"): f"{m.share_correct:.0%}",
             t("last_practised"): f"{m.last_practised:%Y-%m-%d}",
             t("stability"): round(m.stability_days, 1), t("due_column"): m.due_now,
             t("next_due"): f"{m.next_due:%Y-%m-%d}", t("mastery"): round(m.score, 2)}
            for m in topics]


def weakest_section(topics: list[TopicMastery]) -> None:
    st.subheader(t("weakest_topics"))
    for topic in topics[:WEAKEST_SHOWN]:
        label, score, button = st.columns([6, 1, 1], vertical_alignment="center")
        label.markdown(escape_markdown(topic.label))
        score.progress(topic.score)
        if button.button(t("practise_this"), key=f"practise-{topic.key}",
                         disabled=not topic.chunk_ids):
            start(PRACTICE_COUNT, topic_questions(topic, PRACTICE_COUNT))
            st.switch_page("screens/practice.py")


def history_section() -> None:
    memory = resources.study_memory()
    export_path = Path(tempfile.mkdtemp()) / "study-history.json"
    memory.export(export_path)
    st.download_button(t("export_history"), export_path.read_bytes(),
                       file_name="study-history.json", mime="application/json")
    upload = st.file_uploader(t("import_history"), type=["json"], key="history_upload")
    if upload is not None and st.button(t("import_history"), key="import_history"):
        incoming = Path(tempfile.mkdtemp()) / "incoming.json"
        incoming.write_bytes(upload.getvalue())
        try:
            transfer = memory.import_(incoming)
        except StudyError as error:
            st.error(escape_markdown(f"{upload.name}: {error}"))
        else:
            st.success(t("imported", n=transfer.answers))


def page() -> None:
    st.title("📈 " + t("progress"))
    memory = resources.study_memory()
    topics = memory.mastery()
    if not topics:
        st.info(t("no_history"))
    else:
        practised, due = st.columns(2)
        practised.metric(t("topics_practised"), len(topics))
        due.metric(t("due_column"), memory.due_count())
        st.altair_chart(mastery_chart(topics), width="stretch")
        st.dataframe(mastery_table(topics), hide_index=True, width="stretch")
        weakest_section(topics)
    st.divider()
    history_section()


page()
