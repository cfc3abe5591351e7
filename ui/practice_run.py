"""A practice run in ``st.session_state``: questions generated one at a time, their grades.

Shared by the Practice page (which draws it) and the Progress page (whose "practise" buttons
start one).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import streamlit as st

from assistant.grading import Grade
from assistant.quiz_schema import QuizItem
from assistant.study_records import StudyItem
from ui import resources
from ui.study_view import Question, new_questions
from ui.texts import t


@dataclass
class PracticeRun:
    """One practice session in ``st.session_state``: items arrive one by one."""

    total: int
    upcoming: Iterator[Question]  # generated when the next one is asked for
    items: list[QuizItem] = field(default_factory=list)
    reviews: list[StudyItem | None] = field(default_factory=list)  # the due entry, if a review
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


def start(count: int, questions: Iterator[Question]) -> None:
    st.session_state.practice = PracticeRun(count, questions)
    advance()


def start_quiz(topic: str | None, count: int, kind: str) -> None:
    seed = random.randrange(1 << 30)
    start(count, new_questions(resources.assistant().quiz(topic, count, kind, seed=seed)))


def advance() -> None:
    practice = run()
    with st.spinner(t("generating_question")):
        question = next(practice.upcoming, None)
    if question is None or len(practice.items) >= practice.total:
        practice.finished = True
    else:
        practice.items.append(question[0])
        practice.reviews.append(question[1])
