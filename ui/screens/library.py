"""Library: upload notes, ingest them with progress, list, remove, re-index."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ingest.errors import StudyError
from ingest.report import IngestReport, Status
from ingest.uploads import discard_upload, save_upload
from ui import resources
from ui.safe_text import escape_markdown
from ui.texts import t

UPLOAD_TYPES = ["md", "markdown", "txt", "html", "htm", "pdf", "docx"]


def progress_callback(bar, label: str):
    def update(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0, text=t(label, done=done,
                                                                       total=total))
    return update


def ingest_uploads(files) -> None:
    settings = resources.settings()
    library = resources.library()
    limit = int(settings.max_file_mb * 1e6)
    saved: dict[Path, str] = {}
    for file in files:
        data = file.getvalue()
        if len(data) > limit:
            st.error(t("too_large", name=escape_markdown(file.name), size=len(data) / 1e6,
                       limit=settings.max_file_mb))
            continue
        saved[save_upload(settings.home, file.name, data, limit)] = file.name
    if not saved:
        return
    bar = st.progress(0.0, text=t("ingesting", done=0, total=len(saved)))
    try:
        report = library.ingest(list(saved), progress=progress_callback(bar, "ingesting"),
                                embed_progress=progress_callback(bar, "embedding"))
    except StudyError as error:
        for path in saved:
            discard_upload(settings.home, path)
        st.error(escape_markdown(str(error)))
        return
    finally:
        bar.empty()
    for outcome in report.skipped:
        discard_upload(settings.home, Path(outcome.path))  # a skipped file is not kept
    st.session_state.last_report = (report, {str(p): name for p, name in saved.items()})


def show_report(report: IngestReport, names: dict[str, str]) -> None:
    rows = [{t("file"): names.get(o.path, Path(o.path).name), t("result"): o.status.value,
             t("chunks"): o.chunks, t("reason"): o.reason} for o in report.outcomes]
    st.dataframe(rows, hide_index=True, width="stretch")
    for outcome in report.skipped:
        st.error(escape_markdown(f"{names.get(outcome.path, outcome.path)}: {outcome.reason}"))
    if report.count(Status.ADDED) or report.count(Status.UPDATED):
        st.success(escape_markdown(report.summary()))


def documents_section() -> None:
    library = resources.library()
    documents = library.documents()
    st.subheader(f"{t('documents')} ({len(documents)})")
    if not documents:
        st.info(t("no_documents"))
        return
    for document in documents:
        name, chunks, button = st.columns([6, 1, 1], vertical_alignment="center")
        name.markdown(f"**{escape_markdown(document.title)}**  \n"
                      f":gray[{escape_markdown(Path(document.source).name)}]")
        chunks.metric(t("chunks"), document.chunk_count, label_visibility="collapsed")
        if button.button(t("remove"), key=f"remove-{document.id}"):
            library.remove(document.id)
            discard_upload(resources.settings().home, Path(document.source))  # if uploaded here
            st.toast(t("removed", title=document.title))
            st.rerun()


def page() -> None:
    st.title("📚 " + t("library"))
    settings = resources.settings()
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(t("upload"), type=UPLOAD_TYPES, accept_multiple_files=True)
        submitted = st.form_submit_button(t("ingest"), type="primary")
    if submitted and files:
        ingest_uploads(files)
    if "last_report" in st.session_state:
        show_report(*st.session_state.last_report)
    documents_section()
    st.divider()
    if st.button(t("reindex")):
        bar = st.progress(0.0)
        count = resources.library().reindex(progress=progress_callback(bar, "embedding"))
        bar.empty()
        st.success(t("reindexed", n=count))
    st.caption(f"{t('library_location')}: `{settings.home}`")


page()
