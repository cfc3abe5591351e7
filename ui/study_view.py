"""The Practice and Progress pages' bridge to study memory (``memory.study_memory``)."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.grading import Grade
from assistant.quiz_schema import QuizItem
from assistant.study_records import StudyItem
from memory.mastery import TopicMastery
from ui import resources

REVIEW_BATCH = 10

Question = tuple[QuizItem, StudyItem | None]  # an item, and the due entry it reviews


def due_entries() -> list[StudyItem]:
    return resources.study_memory().due(limit=REVIEW_BATCH)


def review_questions(entries: list[StudyItem]) -> Iterator[Question]:
    """A fresh question per due entry, written when it is asked for (one model call each)."""
    memory = resources.study_memory()
    for entry in entries:
        yield memory.review_item(entry, resources.generator()), entry


def new_questions(items: Iterator[QuizItem]) -> Iterator[Question]:
    for item in items:
        yield item, None


def topic_questions(topic: TopicMastery, count: int) -> Iterator[Question]:
    return new_questions(resources.study_memory().practise(topic, resources.generator(), count))


def record_answer(item: QuizItem, response: str, grade: Grade,
                  review_of: StudyItem | None) -> None:
    resources.study_memory().record(item, response, grade, review_of=review_of)
