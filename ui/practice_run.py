"""A practice run in ``st.session_state``: questions generated one at a time, their grades.

Shared by the Practice page (which draws it) and the Progress page (whose "practise" buttons
start one).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import streamlit as st

from assistant.bank import QuestionBank
from assistant.bank_worker import BankWorker
from assistant.grading import EXACT_KINDS, Grade, grade_exact
from assistant.quiz_schema import QuizItem
from assistant.study_records import StudyItem
from ui import resources
from ui.auth_gate import current_user
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
    """Questions from the question bank, on screen at once: serving needs neither the model nor
    (for a topic the notes name) the embedder. Only a topic the bank holds nothing on loads the
    model, to write items on demand."""
    seed = random.randrange(1 << 30)
    served = question_bank().for_user(current_user()).serve(topic, count, kind, seed)
    items = (iter(served) if served
             else resources.assistant().practice(topic, count, kind, seed=seed))
    start(count, new_questions(items))


def grade(item: QuizItem, response: str) -> Grade:
    """A choice, a statement or a cloze blank is graded exactly, without loading the model;
    a free answer (short answer, flashcard) by the assistant (key points, then the model)."""
    if item.kind in EXACT_KINDS:
        return grade_exact(item, response)
    return resources.assistant().grade(item, response)


@st.cache_resource(show_spinner=False, max_entries=4)
def _bank_worker(key: tuple[str, ...], _library, _generator) -> BankWorker | None:
    """One background worker per library and model, for the whole process: it fills the bank
    while nobody is using the model (``assistant.bank_worker``)."""
    if not _generator.available:
        return None
    worker = BankWorker(_library, _generator, embedder=_library.embedder)
    threading.Thread(target=worker.run, args=(threading.Event(),), daemon=True,
                     name="question-bank").start()
    return worker


def bank_worker() -> BankWorker | None:
    current = resources.settings()
    if current.bank_worker != "on":
        return None  # and the model is not loaded for it
    key = (str(current.home), current.llm_model, str(current.model_cache))
    return _bank_worker(key, resources.library(), resources.generator())


@st.cache_resource(show_spinner=False, max_entries=4)
def _question_bank(key: str, _library) -> QuestionBank:
    return QuestionBank.open(_library)


def question_bank() -> QuestionBank:
    """The library's question bank (shared: its connection is serialized), in step with it."""
    bank = _question_bank(str(resources.settings().home), resources.library())
    bank.sync()
    return bank


def advance() -> None:
    practice = run()
    with st.spinner(t("generating_question")):
        question = next(practice.upcoming, None)
    if question is None or len(practice.items) >= practice.total:
        practice.finished = True
    else:
        practice.items.append(question[0])
        practice.reviews.append(question[1])
