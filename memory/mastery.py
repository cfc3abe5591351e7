"""Mastery per topic, from the answers given and the fsrs cards of the topic's items.

For a topic with ``n`` answers (``c`` correct, ``p`` partial) over items with fsrs stability
``S_i`` (days) and retrievability ``R_i`` now::

    evidence   E = (c + p/2 + 0.5) / (n + 1)    share correct, smoothed (Jeffreys prior): one
                                                 right answer is 0.75, one wrong 0.25, three
                                                 wrong 0.125, ten right 0.95
    recall     R = mean R_i                      fsrs's chance of recalling it today: 1 just
                                                 after practice, falling faster the less stable
    durability D = mean S_i / (S_i + 30)         how long the memory lasts: 0.5 at a month
    retention  K = 0.5 + 0.3 R + 0.2 D           in [0.5, 1]
    mastery      = E * K                         in [0, E]

Mastery never exceeds the evidence: what the student showed caps it, and recall and durability
only decide how much of it is kept (a topic last practised months ago fades to half). A topic
never answered right stays near the bottom however recently it was practised — adding recall
to accuracy instead let three wrong answers yesterday read as 0.3 and one wrong answer as 0.47,
a half-full bar. Topics sort weakest first (lowest mastery, then fewest answers, then label).

>>> round(score(correct=1, partial=0, attempts=1, recall=1.0, durability=0.0), 3)
0.6
>>> round(score(correct=0, partial=0, attempts=1, recall=1.0, durability=0.0), 3)
0.2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from assistant.scheduler import StudyScheduler
from assistant.study_records import Answer, StudyItem, stamp

RETAINED_FLOOR = 0.5  # what a faded, fragile memory keeps of the evidence
RECALL_WEIGHT = 0.3
DURABILITY_WEIGHT = 0.2
DURABLE_DAYS = 30.0  # the stability at which durability reaches 0.5


@dataclass(frozen=True)
class TopicMastery:
    key: str
    label: str
    items: int  # practised passages in the topic
    attempts: int
    correct: int
    partial: int
    share_correct: float  # (correct + partial/2) / attempts, unsmoothed, for display
    last_practised: datetime
    stability_days: float  # mean fsrs stability of the topic's items
    recall: float  # mean fsrs retrievability now
    due_now: int  # items due for review now
    next_due: datetime  # the earliest due date among the topic's items
    score: float  # mastery in [0, 1] (module docstring)
    sources: tuple[str, ...]  # files the topic's passages come from
    chunk_ids: tuple[int, ...]  # the passages in the library now (to practise the topic)

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "items": self.items,
            "attempts": self.attempts,
            "correct": self.correct,
            "partial": self.partial,
            "share_correct": round(self.share_correct, 4),
            "last_practised": stamp(self.last_practised),
            "stability_days": round(self.stability_days, 4),
            "recall": round(self.recall, 4),
            "due_now": self.due_now,
            "next_due": stamp(self.next_due),
            "mastery": round(self.score, 4),
            "sources": [Path(source).name for source in self.sources],
            "chunk_ids": list(self.chunk_ids),
        }


def evidence(correct: int, partial: int, attempts: int) -> float:
    """The smoothed share correct: the most mastery the answers can show."""
    return (correct + partial / 2 + 0.5) / (attempts + 1)


def score(correct: int, partial: int, attempts: int, recall: float, durability: float) -> float:
    retention = RETAINED_FLOOR + RECALL_WEIGHT * recall + DURABILITY_WEIGHT * durability
    return evidence(correct, partial, attempts) * retention


def topic_mastery(
    items: Sequence[StudyItem],
    answers: Mapping[int, Sequence[Answer]],
    scheduler: StudyScheduler,
    now: datetime,
) -> list[TopicMastery]:
    """Mastery of every practised topic, weakest first."""
    by_topic: dict[str, list[StudyItem]] = {}
    for item in items:
        if answers.get(item.id):
            by_topic.setdefault(item.topic.key, []).append(item)
    found = [_one_topic(group, answers, scheduler, now) for group in by_topic.values()]
    return sorted(found, key=lambda t: (t.score, t.attempts, t.label, t.key))


def _one_topic(
    items: list[StudyItem],
    answers: Mapping[int, Sequence[Answer]],
    scheduler: StudyScheduler,
    now: datetime,
) -> TopicMastery:
    given = [answer for item in items for answer in answers[item.id]]
    correct = sum(a.verdict == "correct" for a in given)
    partial = sum(a.verdict == "partial" for a in given)
    stabilities = [item.card.stability or 0.0 for item in items]
    recall = sum(scheduler.retrievability(item.card, now) for item in items) / len(items)
    durability = sum(s / (s + DURABLE_DAYS) for s in stabilities) / len(items)
    latest = max(items, key=lambda item: item.created_at)  # the label of the newest wording
    return TopicMastery(
        key=latest.topic.key,
        label=latest.topic.label,
        items=len(items),
        attempts=len(given),
        correct=correct,
        partial=partial,
        share_correct=(correct + partial / 2) / len(given),
        last_practised=max(a.answered_at for a in given),
        stability_days=sum(stabilities) / len(items),
        recall=recall,
        due_now=sum(item.card.due <= now for item in items),
        next_due=min(item.card.due for item in items),
        score=score(correct, partial, len(given), recall, durability),
        sources=tuple(sorted({item.source for item in items})),
        chunk_ids=tuple(item.chunk_id for item in items if item.chunk_id is not None),
    )
