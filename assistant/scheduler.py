"""Spaced-repetition scheduling: a thin wrapper over the ``fsrs`` library (FSRS-6).

We never compute intervals ourselves: a verdict becomes an fsrs ``Rating`` and fsrs moves the
card (1 and 10 minute learning steps, then day intervals aiming at 90% recall). Fuzzing is off,
so the same answers at the same times always give the same card: histories merged from two
machines are replayed exactly, and tests can use fsrs itself as the oracle. The clock is always
passed in (``now``), never read here.

>>> from datetime import UTC, datetime, timedelta
>>> s = StudyScheduler()
>>> t0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
>>> card = s.review(s.new_card(t0), "correct", t0)
>>> card.due - t0
datetime.timedelta(seconds=600)
>>> s.review(card, "correct", t0 + timedelta(minutes=10)).due - t0 > timedelta(days=1)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler, State

VERDICTS = ("correct", "partial", "incorrect")
VERDICT_RATINGS = {"correct": Rating.Good, "partial": Rating.Hard, "incorrect": Rating.Again}
"""A correct answer is an ordinary recall (Good, not Easy: a quiz cannot tell effortless recall);
a partial one a hard recall; a wrong one a lapse."""


@dataclass(frozen=True)
class CardState:
    """An fsrs card's fields as stored with a practised item."""

    state: int  # fsrs State: 1 learning, 2 review, 3 relearning
    step: int | None
    stability: float | None  # days until recall falls to 90%; None before the first answer
    difficulty: float | None
    due: datetime  # UTC
    last_review: datetime | None


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (fsrs insists); a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class StudyScheduler:
    def __init__(self, fsrs_scheduler: Scheduler | None = None):
        self.fsrs = fsrs_scheduler or Scheduler(enable_fuzzing=False)

    def new_card(self, now: datetime) -> CardState:
        """A never-answered card, due at once."""
        return _state_of(Card(card_id=0, due=utc(now)))

    def review(self, card: CardState, verdict: str, now: datetime) -> CardState:
        """The card after an answer with ``verdict`` at ``now``."""
        reviewed, _ = self.fsrs.review_card(_card_of(card), rating_of(verdict), utc(now))
        return _state_of(reviewed)

    def replay(self, answers: Iterable[tuple[datetime, str]], created: datetime) -> CardState:
        """The card after every ``(time, verdict)`` answer, oldest first."""
        card = self.new_card(created)
        for moment, verdict in sorted(answers, key=lambda answer: utc(answer[0])):
            card = self.review(card, verdict, moment)
        return card

    def retrievability(self, card: CardState, now: datetime) -> float:
        """fsrs's predicted chance of recalling the card at ``now`` (0 before any answer)."""
        return float(self.fsrs.get_card_retrievability(_card_of(card), utc(now)))


def rating_of(verdict: str) -> Rating:
    try:
        return VERDICT_RATINGS[verdict]
    except KeyError:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}") from None


def _card_of(state: CardState) -> Card:
    return Card(
        card_id=0,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=utc(state.due),
        last_review=utc(state.last_review) if state.last_review else None,
    )


def _state_of(card: Card) -> CardState:
    return CardState(
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        utc(card.due),
        utc(card.last_review) if card.last_review else None,
    )
