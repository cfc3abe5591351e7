"""Practice: questions from the verified question bank one at a time (on screen at once),
immediate feedback with the cited passage, a score at the end. Every graded answer goes into
study memory (spaced review, mastery); a wrong question can be reported out of the bank. The
bank's background worker makes and verifies model items while the model is idle."""

from __future__ import annotations

import streamlit as st

from assistant.bank_export import export_anki, export_csv
from assistant.grading import Grade
from assistant.quiz_schema import KINDS, QuizItem
from ui import resources
from ui.auth_gate import is_student
from ui.chat_view import source_label
from ui.passage_view import model_markdown, show_passage
from ui.practice_run import (
    PracticeRun,
    advance,
    bank_worker,
    question_bank,
    run,
    start,
    start_quiz,
)
from ui.practice_run import (
    grade as grade_answer,
)
from ui.study_view import due_entries, record_answer, review_questions, topic_questions
from ui.texts import t


def bank_panel() -> None:
    """The bank's progress ("question bank: 48 / 152 passages"); pause/resume and export for
    whoever manages the library (in class mode the teacher, not the students)."""
    bank = question_bank()
    worker = bank_worker()  # started for the process whoever opens the page first
    paused = bank.store.paused()
    progress = bank.progress()
    rate = progress.acceptance_rate
    line = t("bank_progress", done=progress.passages_done, passages=progress.passages,
             extracted=progress.extracted, generated=progress.generated,
             accepted="" if rate is None else t("bank_accepted", rate=f"{rate:.0%}"))
    st.caption(line + (f" — {t('bank_paused')}" if paused else ""))
    if is_student(resources.settings()):
        return
    columns = st.columns(3)
    if worker is not None and columns[0].button(t("resume_bank") if paused else t("pause_bank")):
        bank.store.set_paused(not paused)
        st.rerun()
    for column, label, writer, name in ((columns[1], "export_anki", export_anki, "notes.apkg"),
                                        (columns[2], "export_csv", export_csv, "notes.csv")):
        if column.button(t(label)):
            st.session_state.bank_export = (name, _exported(writer, bank, name))
    if "bank_export" in st.session_state:
        name, data = st.session_state.bank_export
        st.download_button(t("download_file", name=name), data, file_name=name)


def _exported(writer, bank, name: str) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        writer(bank.store.items("active"), path)
        return path.read_bytes()


def setup_form() -> None:
    with st.form("practice_setup"):
        topic = st.text_input(t("topic"))
        weakest = st.checkbox(t("weakest"))
        count = st.slider(t("count"), 1, 10, 3)
        kinds = {kind: t(kind) for kind in KINDS}
        kind = st.selectbox(t("kind"), list(kinds), format_func=lambda kind: kinds.get(kind, kind))
        if st.form_submit_button(t("start"), type="primary"):
            topics = resources.study_memory().weakest(1) if weakest else []
            if topics:
                start(count, topic_questions(topics[0], count))
            else:
                start_quiz(topic.strip() or None, count, kind)
            st.rerun()
    review_button()
    bank_panel()


def review_button() -> None:
    """Study memory's due reviews, in one click."""
    due = due_entries()
    if st.button(t("review_due", n=len(due)), disabled=not due):
        start(len(due), review_questions(due))
        st.rerun()


def answer_widget(item: QuizItem, number: int) -> str:
    key = f"answer-{number}"
    if item.options:
        letters = "ABCD" if item.kind == "mcq" else ""
        choice = st.radio(t("your_answer"), range(len(item.options)), index=None, key=key,
                          format_func=lambda i: (f"{letters[i]}. " if letters else "")
                          + item.options[i])
        return "" if choice is None else str(choice + 1)
    if item.kind == "cloze":
        return st.text_input(t("fill_blank"), key=key)
    return st.text_area(t("your_answer"), key=key)


def feedback(item: QuizItem, grade: Grade) -> None:
    verdict = {"correct": st.success, "partial": st.warning}.get(grade.verdict, st.error)
    verdict(t(grade.verdict))
    if not grade.correct or item.kind in ("short", "flashcard"):  # a model answer, always
        st.markdown(f"**{t('expected')}**: {model_markdown(grade.expected)}")
        if grade.missing:
            st.markdown(f"**{t('missing')}**: {model_markdown(grade.missing)}")
    if item.explanation:
        st.markdown(f"**{t('explanation')}**: {model_markdown(item.explanation)}")
    with st.expander(f"{t('cited_passage')}: {source_label(grade.citation)}", expanded=True):
        show_passage(item.passage, grade.citation.source)


def question_view(practice: PracticeRun) -> None:
    number = len(practice.items)
    st.caption(t("question_n", n=number, total=practice.total))
    answered = len(practice.grades) == number
    item = practice.items[-1]
    for line in item.question.split("\n"):
        st.markdown("#### " + model_markdown(line))
    if not item.generated:
        st.caption(t("from_notes"))
    response = answer_widget(item, number)
    if item.bank_key and not answered and st.button(t("report_item")):
        resources.study_memory().report(item)
        st.toast(t("reported"))
        practice.items.pop()
        practice.reviews.pop()
        # its replacement (same number, perhaps another kind of widget) starts unanswered:
        # a radio's None left in the key would reach a text box
        st.session_state.pop(f"answer-{number}", None)
        advance()  # the next question takes its place
        st.rerun()
    if not answered:
        if st.button(t("submit"), type="primary", disabled=not response.strip()):
            with st.spinner("…"):
                grade = grade_answer(item, response)
            practice.grades.append(grade)
            record_answer(item, response, grade, practice.reviews[-1])
            st.rerun()
        return
    feedback(item, practice.grades[-1])
    last = number >= practice.total
    if st.button(t("finish") if last else t("next"), type="primary"):
        if last:
            practice.finished = True
        else:
            advance()
        st.rerun()


def score_view(practice: PracticeRun) -> None:
    if not practice.grades:
        st.info(t("no_items"))
    else:
        st.metric(t("score", right=practice.right, asked=len(practice.grades)),
                  f"{practice.right / len(practice.grades):.0%}")
    if st.button(t("practice_again"), type="primary"):
        del st.session_state.practice
        st.rerun()


def page() -> None:
    st.title("📝 " + t("practice"))
    if not resources.library().documents():
        st.info(t("empty_library"))
        return
    practice = run()
    if practice is None:
        setup_form()
    elif practice.finished:
        score_view(practice)
    else:
        question_view(practice)


page()
