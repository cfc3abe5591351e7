"""Practice: generated questions one at a time, immediate feedback with the cited passage, a
score at the end. Every graded answer goes into study memory (spaced review, mastery)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import streamlit as st

from assistant.grading import Grade
from assistant.quiz_schema import KINDS, QuizItem
from ui import resources
from ui.chat_view import source_label
from ui.safe_text import escape_markdown, safe_answer_markdown
from ui.texts import t


@dataclass
class PracticeRun:
    """One practice session in ``st.session_state``: items arrive one by one."""

    total: int
    upcoming: object  # iterator of QuizItem (generation happens when the next one is asked for)
    items: list[QuizItem] = field(default_factory=list)
    grades: list[Grade] = field(default_factory=list)
    finished: bool = False

    @property
    def current(self) -> QuizItem | None:
        return self.items[-1] if len(self.items) > len(self.grades) else None

    @property
    def right(self) -> int:
        return sum(grade.correct for grade in self.grades)


def run() -> PracticeRun | None:
    return st.session_state.get("practice")


def start(topic: str | None, count: int, kind: str, items=None) -> None:
    upcoming = items if items is not None else resources.assistant().quiz(
        topic, count, kind, seed=random.randrange(1 << 30))
    st.session_state.practice = PracticeRun(count, iter(upcoming))
    advance()


def advance() -> None:
    practice = run()
    with st.spinner(t("generating_question")):
        item = next(practice.upcoming, None)
    if item is None or len(practice.items) >= practice.total:
        practice.finished = True
    else:
        practice.items.append(item)


def setup_form() -> None:
    preset = st.session_state.pop("practice_topic", "")
    with st.form("practice_setup"):
        topic = st.text_input(t("topic"), preset)
        count = st.slider(t("count"), 1, 10, 3)
        kinds = {kind: t(kind) for kind in KINDS}
        kind = st.selectbox(t("kind"), list(kinds), format_func=kinds.get)
        if st.form_submit_button(t("start"), type="primary"):
            start(topic.strip() or None, count, kind)
            st.rerun()
    review_button()


def review_button() -> None:
    """Offer the due reviews of study memory, when there are any."""
    from ui.study_view import due_review_items

    due = due_review_items()
    if due is not None and st.button(t("review_due", n=len(due)), disabled=not due):
        start(None, len(due), "review", items=due)
        st.rerun()


def answer_widget(item: QuizItem, number: int) -> str:
    key = f"answer-{number}"
    if item.options:
        letters = "ABCD" if item.kind == "mcq" else ""
        choice = st.radio(t("your_answer"), range(len(item.options)), index=None, key=key,
                          format_func=lambda i: (f"{letters[i]}. " if letters else "")
                          + item.options[i])
        return "" if choice is None else str(choice + 1)
    return st.text_area(t("your_answer"), key=key)


def feedback(item: QuizItem, grade: Grade) -> None:
    verdict = {"correct": st.success, "partial": st.warning}.get(grade.verdict, st.error)
    verdict(t(grade.verdict))
    if not grade.correct:
        st.markdown(f"**{t('expected')}**: {escape_markdown(grade.expected)}")
        if grade.missing:
            st.markdown(f"**{t('missing')}**: {escape_markdown(grade.missing)}")
    if item.explanation:
        st.markdown(f"**{t('explanation')}**: {safe_answer_markdown(item.explanation)}")
    with st.expander(f"{t('cited_passage')}: {source_label(grade.citation)}", expanded=True):
        st.markdown(escape_markdown(item.passage))


def question_view(practice: PracticeRun) -> None:
    number = len(practice.items)
    st.caption(t("question_n", n=number, total=practice.total))
    answered = len(practice.grades) == number
    item = practice.items[-1]
    st.markdown(f"#### {escape_markdown(item.question)}")
    response = answer_widget(item, number)
    if not answered:
        if st.button(t("submit"), type="primary", disabled=not response.strip()):
            with st.spinner("…"):
                grade = resources.assistant().grade(item, response)
            practice.grades.append(grade)
            from ui.study_view import record_answer

            record_answer(item, response, grade)
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
