"""Library: upload notes, ingest them with progress, list, preview, remove, re-index."""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from assistant.paragraph_vectors import save_paragraph_vectors
from ground.errors import StudyError
from ingest.report import IngestReport, Status
from ingest.uploads import discard_upload, save_upload
from ui import resources
from ui.passage_view import show_passage
from ui.reasons import reason_text
from ui.safe_text import escape_markdown
from ui.texts import t

UPLOAD_TYPES = ["md", "markdown", "txt", "html", "htm", "pdf", "docx"]
PREVIEW_CHUNKS = 2


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
    started = time.perf_counter()
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
        st.error(escape_markdown(reason_text(str(error))))
        return
    finally:
        bar.empty()
    for outcome in report.skipped:
        discard_upload(settings.home, Path(outcome.path))  # a skipped file is not kept
    prepare_quotes(library)
    seconds = time.perf_counter() - started  # saving, reading, chunking and embedding
    st.session_state.last_report = (report, {str(p): name for p, name in saved.items()},
                                    seconds)


def prepare_quotes(library) -> None:
    """Embed the new passages' paragraphs for the quote (``assistant.paragraph_vectors``); the
    notes are in either way, so a failure here is a warning: quotes then embed them on demand."""
    bar = st.progress(0.0, text=t("preparing_quotes", done=0, total=0))
    try:
        save_paragraph_vectors(library, progress_callback(bar, "preparing_quotes"))
    except StudyError as error:
        st.warning(escape_markdown(reason_text(str(error))))
    finally:
        bar.empty()


def show_report(report: IngestReport, names: dict[str, str], seconds: float) -> None:
    rows = [{t("file"): names.get(o.path, Path(o.path).name),
             t("result"): t(f"status_{o.status.value}"), t("chunks"): o.chunks,
             t("reason"): reason_text(o.reason) if o.reason else ""} for o in report.outcomes]
    st.dataframe(rows, hide_index=True, width="stretch")
    for outcome in report.skipped:
        name = names.get(outcome.path, Path(outcome.path).name)
        st.error(escape_markdown(t("skip_reason", name=name, reason=reason_text(outcome.reason))))
    if report.count(Status.ADDED) or report.count(Status.UPDATED):
        st.success(t("ingest_summary", added=report.count(Status.ADDED),
                     updated=report.count(Status.UPDATED),
                     unchanged=report.count(Status.UNCHANGED),
                     skipped=report.count(Status.SKIPPED),
                     chunks=len(report.added_chunk_ids), seconds=seconds))


def remove_document(document) -> None:
    library = resources.library()
    library.remove(document.id)
    discard_upload(resources.settings().home, Path(document.source))  # if uploaded here
    st.session_state.pop("confirm_remove", None)
    st.toast(t("removed", title=document.title))


def confirm_remove(document) -> None:
    """Remove asks once: the row turns into a question with two buttons."""
    st.warning(escape_markdown(t("confirm_remove", title=document.title)))
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button(t("confirm_remove_yes"), key=f"remove-yes-{document.id}", type="primary"):
        remove_document(document)
        st.rerun()
    if no.button(t("cancel"), key=f"remove-no-{document.id}"):
        st.session_state.pop("confirm_remove", None)
        st.rerun()


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
            st.session_state.confirm_remove = document.id
        if st.session_state.get("confirm_remove") == document.id:
            confirm_remove(document)
        with name.expander(t("preview")):
            for chunk in library.chunks(document.id)[:PREVIEW_CHUNKS]:
                show_passage(chunk.text, chunk.source)


def reindex_section() -> None:
    if st.button(t("reindex")):
        st.session_state.confirm_reindex = True
    if not st.session_state.get("confirm_reindex"):
        return
    st.warning(t("confirm_reindex"))
    yes, no, _ = st.columns([1, 1, 4])
    if no.button(t("cancel"), key="reindex-no"):
        st.session_state.pop("confirm_reindex", None)
        st.rerun()
    if yes.button(t("confirm_reindex_yes"), key="reindex-yes", type="primary"):
        st.session_state.pop("confirm_reindex", None)
        bar = st.progress(0.0)
        count = resources.library().reindex(progress=progress_callback(bar, "embedding"))
        bar.empty()
        st.success(t("reindexed", n=count))


def page() -> None:
    st.title("📚 " + t("library"))
    settings = resources.settings()
    with st.form("upload", clear_on_submit=True):
        st.caption(t("upload_help", limit=settings.max_file_mb))
        files = st.file_uploader(t("upload"), type=UPLOAD_TYPES, accept_multiple_files=True,
                                 max_upload_size=max(1, round(settings.max_file_mb)))
        submitted = st.form_submit_button(t("ingest"), type="primary")
    if submitted and files:
        ingest_uploads(files)
    if "last_report" in st.session_state:
        show_report(*st.session_state.last_report)
    documents_section()
    st.divider()
    reindex_section()
    st.caption(f"{t('library_location')}: {escape_markdown(str(settings.home))}")


page()
