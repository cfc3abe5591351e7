"""Progress: mastery per topic as a chart and a table, the weakest topics with one click to
practise them, and the study history's export and import."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import streamlit as st

from ground.errors import StudyError
from memory.mastery import TopicMastery
from ui import resources
from ui.practice_run import start
from ui.reasons import reason_text
from ui.safe_text import escape_markdown
from ui.study_view import topic_questions
from ui.texts import t
from ui.topic_names import looks_generated, student_topic_name

WEAKEST_SHOWN = 5
PRACTICE_COUNT = 3


BAR_PIXELS = 34  # per topic: every label gets its own row, however many topics
LABEL_CHARS = 26  # longer topic names are cut with "…" on the axis (the tooltip has all)


def short_label(name: str, limit: int = LABEL_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def mastery_chart(topics: list[TopicMastery], names: dict[str, str]) -> alt.Chart:
    """Horizontal bars, weakest at the top, one labelled row per topic, the share shown."""
    ordered = sorted(topics, key=lambda m: (m.score, m.attempts))
    rows = [{"order": index, "label": f"{index + 1}. {short_label(names[m.key])}",
             "topic": names[m.key], "mastery": round(m.score, 3),
             "shown": f"{m.score:.0%}", "attempts": m.attempts,
             "correct": f"{m.share_correct:.0%}"} for index, m in enumerate(ordered)]
    y = alt.Y("label:N", sort=alt.EncodingSortField("order"), title=None,
              axis=alt.Axis(labelLimit=0, labelFontSize=13, labelPadding=8))
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=y, tooltip=[alt.Tooltip("topic:N", title=t("topic_column")),
                      alt.Tooltip("shown:N", title=t("mastery")),
                      alt.Tooltip("attempts:Q", title=t("attempts")),
                      alt.Tooltip("correct:N", title=t("share_correct"))])
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("mastery:Q", scale=alt.Scale(domain=[0, 1]), title=t("mastery"),
                axis=alt.Axis(format="%")),
        color=alt.Color("mastery:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                        legend=None))
    shares = base.mark_text(align="left", dx=4, fontSize=12).encode(
        x="mastery:Q", text="shown:N")
    return (bars + shares).properties(height=alt.Step(BAR_PIXELS))


def topic_names(topics: list[TopicMastery]) -> dict[str, str]:
    """Each topic as a student would name it (``ui.topic_names``)."""
    library = resources.library()
    chunks = {c.id: c for c in library.chunks()} if any(
        looks_generated(m.label) for m in topics) else {}
    return {m.key: student_topic_name(m.label, [chunks[i].text for i in m.chunk_ids
                                                if i in chunks]) for m in topics}


def mastery_table(topics: list[TopicMastery], names: dict[str, str]) -> list[dict]:
    return [{t("topic_column"): names[m.key], t("mastery"): round(m.score, 3),
             t("share_correct"): f"{m.share_correct:.0%}", t("attempts"): m.attempts,
             t("last_practised"): f"{m.last_practised:%Y-%m-%d}",
             t("next_due"): f"{m.next_due:%Y-%m-%d}", t("due_column"): m.due_now,
             t("stability"): round(m.stability_days, 1)}
            for m in topics]


def weakest_section(topics: list[TopicMastery], names: dict[str, str]) -> None:
    st.subheader(t("weakest_topics"))
    for topic in topics[:WEAKEST_SHOWN]:
        label, score, button = st.columns([6, 1, 1], vertical_alignment="center")
        label.markdown(escape_markdown(names[topic.key]))
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
            st.error(escape_markdown(f"{upload.name}: {reason_text(str(error))}"))
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
        names = topic_names(topics)
        st.altair_chart(mastery_chart(topics, names), width="stretch")
        st.dataframe(mastery_table(topics, names), hide_index=True, width="stretch",
                     column_config={t("mastery"): st.column_config.ProgressColumn(
                         t("mastery"), min_value=0.0, max_value=1.0, format="percent")})
        weakest_section(topics, names)
    st.divider()
    history_section()


page()
