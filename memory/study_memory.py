"""``StudyMemory``: the one object the CLI, the UI and the tests call for practice history.

    memory = StudyMemory.open(library)
    memory.record(item, response, grade)        # after every graded answer
    for entry in memory.due():                  # spaced review
        item = memory.review_item(entry, generator)
    memory.mastery()                            # per topic, weakest first
    memory.export("history.json"); memory.import_("history.json")

Time comes from ``clock`` (or a ``now`` argument), so tests can replay weeks in a second.
Like ``Assistant``, it keeps no session state. Its history is one user's (``DEFAULT_USER``
unless opened for another); ``memory.for_user(name)`` is another user's view over the same
connection, so one open instance serves every session of a class.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from assistant.bank import QuestionBank
from assistant.bank_store import BankStore
from assistant.generator import Generator
from assistant.grading import Grade
from assistant.quiz import item_on_chunk
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from assistant.scheduler import CardState, StudyScheduler, rating_of, utc
from assistant.study_records import Answer, StudyItem
from assistant.topics import topic_of
from ground.records import HEADING_SEPARATOR, Chunk, Hit, embed_text_of
from ground.schema import DEFAULT_USER
from index.library import Library
from memory.history_file import read_history, write_history
from memory.mastery import TopicMastery, topic_mastery
from memory.study_log import ItemDraft, MergeCounts, StudyLog

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Recorded:
    """What recording an answer did: the item's id and its card's new state."""

    item_id: int
    verdict: str
    card: CardState
    new_item: bool

    @property
    def due(self) -> datetime:
        return self.card.due


@dataclass(frozen=True)
class HistoryTransfer:
    """What an export wrote or an import added."""

    path: Path
    items: int
    answers: int
    answers_known: int = 0  # import: answers already in this history, not added again


class StudyMemory:
    def __init__(
        self,
        library: Library,
        log: StudyLog,
        scheduler: StudyScheduler | None = None,
        clock: Clock = utc_now,
        bank: BankStore | None = None,
    ):
        self.library = library
        self.log = log
        self.scheduler = scheduler or StudyScheduler()
        self.clock = clock
        self.bank = bank  # the question bank: an item from it also moves its own card

    @classmethod
    def open(
        cls, library: Library, scheduler: StudyScheduler | None = None, clock: Clock = utc_now,
        user: str = DEFAULT_USER,
    ) -> StudyMemory:
        """Study memory of ``library`` (an open ``Library``): in its SQLite file, or in
        PostgreSQL when its settings name a ``database_url``."""
        log = StudyLog.open(library.settings, user)
        return cls(library, log, scheduler, clock, BankStore.open(library.settings.home))

    @property
    def user(self) -> str:
        return self.log.user

    def for_user(self, user: str) -> StudyMemory:
        """``user``'s study memory over this one's connections (close this one, not it)."""
        if user == self.log.user:
            return self
        return StudyMemory(self.library, self.log.for_user(user), self.scheduler, self.clock,
                           self.bank)

    def close(self) -> None:
        self.log.close()
        if self.bank is not None:
            self.bank.close()

    def __enter__(self) -> StudyMemory:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def now(self, now: datetime | None = None) -> datetime:
        return utc(now or self.clock())

    # -- recording -------------------------------------------------------------------------

    def record(
        self,
        item: QuizItem,
        response: str,
        grade: Grade,
        now: datetime | None = None,
        review_of: StudyItem | None = None,
    ) -> Recorded:
        """Store one graded answer and reschedule its passage's card as fsrs says.

        The card is found by ``review_of`` (an entry of ``due()``), else by the item's cited
        chunk, else by the passage's content hash, else created."""
        now = self.now(now)
        chunk = self._chunk(item.citation.chunk_id)
        draft = self._draft(item, chunk)
        existing = review_of or self.log.find(
            chunk.id if chunk else None,
            draft.item_key,
            draft.source,
            draft.heading_path,
            item.question,
        )
        answer = Answer(
            uuid.uuid4().hex,
            now,
            item.question,
            item,
            response,
            grade.verdict,
            grade.missing,
            int(rating_of(grade.verdict)),
        )

        def advance(card: CardState | None) -> CardState:
            return self.scheduler.review(card or self.scheduler.new_card(now), grade.verdict, now)

        stored = self.log.record(existing.id if existing else None, draft, answer, advance)
        if item.bank_key and self.bank is not None:  # the item's card, this user's own
            self.bank.for_user(self.user).review(
                item.bank_key, lambda card: self.scheduler.review(card, grade.verdict, now))
        return Recorded(stored.id, grade.verdict, stored.card, existing is None)

    def report(self, item: QuizItem) -> bool:
        """"This question is wrong": the item leaves the bank and its review schedule."""
        return bool(item.bank_key) and self.bank is not None and self.bank.report(item.bank_key)

    # -- reviewing -------------------------------------------------------------------------

    def due(self, now: datetime | None = None, limit: int | None = None) -> list[StudyItem]:
        """Items due for review at ``now``, most overdue first."""
        self.log.refresh()
        return self.log.due(self.now(now), limit)

    def due_count(self, now: datetime | None = None) -> int:
        return self.log.due_count(self.now(now))

    def next_due(self, now: datetime | None = None) -> datetime | None:
        """When the next review falls due (after ``now``), or None with no history."""
        return self.log.next_due(self.now(now))

    def review_item(self, entry: StudyItem, generator: Generator | None = None) -> QuizItem:
        """The question to ask for a due entry: another banked item on the same passage (at
        once, and verified; so the student recalls the idea, not an option letter), else a
        fresh one ``generator`` writes now (when given and available), else the stored one
        with its options reshuffled."""
        seed = self.log.answer_count(entry.id)
        chunk = self._chunk(entry.chunk_id) if entry.chunk_id is not None else None
        banked = self._banked_item(chunk, entry, seed)
        if banked is not None:
            return banked
        if chunk is not None and generator is not None and generator.available:
            fresh = item_on_chunk(
                self.library,
                generator,
                chunk,
                entry.item.kind,
                seed,
                earlier=[entry.question],
            )
            if fresh is not None:
                return fresh
        item = entry.item
        if chunk is not None:  # cite where the passage stands now
            item = replace(item, citation=Citation.of(item.citation.number, Hit(chunk, 0.0)))
        return reshuffled(item, seed)

    def practise(
        self, topic: TopicMastery, generator: Generator, count: int = 3
    ) -> Iterator[QuizItem]:
        """New items on a topic's passages (the Progress page's "practise" button)."""
        chunks = self.library.store.chunks_by_id(list(topic.chunk_ids))
        made = 0
        for number in range(count * 2):
            if made == count or not chunks:
                return
            chunk = chunks[number % len(chunks)]
            item = item_on_chunk(self.library, generator, chunk, "mcq", number)
            if item is not None:
                made += 1
                yield item

    # -- progress --------------------------------------------------------------------------

    def mastery(self, now: datetime | None = None) -> list[TopicMastery]:
        """Every practised topic, weakest first (``memory/mastery.py`` has the formula)."""
        self.log.refresh()
        return topic_mastery(self.log.items(), self.log.answers(), self.scheduler, self.now(now))

    def weakest(self, n: int = 5, now: datetime | None = None) -> list[TopicMastery]:
        return self.mastery(now)[:n]

    def items(self) -> list[StudyItem]:
        self.log.refresh()
        return self.log.items()

    def answers(self) -> dict[int, list[Answer]]:
        return self.log.answers()

    # -- moving history --------------------------------------------------------------------

    def export(self, path: str | Path, now: datetime | None = None) -> HistoryTransfer:
        self.log.refresh()
        histories = self.log.histories()
        write_history(path, histories, self.now(now))
        return HistoryTransfer(Path(path), len(histories), sum(len(h.answers) for h in histories))

    def import_(self, path: str | Path) -> HistoryTransfer:
        """Merge a history file into this one (all or nothing; answers never doubled)."""
        histories = read_history(path)
        counts: MergeCounts = self.log.merge(
            histories,
            lambda answers, created: self.scheduler.replay(
                [(a.answered_at, a.verdict) for a in answers], created
            ),
        )
        self.log.refresh()
        return HistoryTransfer(
            Path(path), counts.items_added, counts.answers_added, counts.answers_known
        )

    # -- internals -------------------------------------------------------------------------

    def _banked_item(self, chunk: Chunk | None, entry: StudyItem, seed: int) -> QuizItem | None:
        """A banked item on the passage (at once, no model): another one than last time."""
        if chunk is None or self.bank is None:
            return None
        items = QuestionBank(self.library, self.bank).items_on(chunk.content_hash)
        fresh = [item for item in items if item.question != entry.question] or items
        same_kind = [item for item in fresh if item.kind == entry.item.kind]
        fresh = same_kind or fresh
        return fresh[seed % len(fresh)] if fresh else None

    def _chunk(self, chunk_id: int) -> Chunk | None:
        found = self.library.store.chunks_by_id([chunk_id])
        return found[0] if found else None

    def _draft(self, item: QuizItem, chunk: Chunk | None) -> ItemDraft:
        if chunk is None:  # the passage left the library since the item was made
            path = tuple(item.citation.heading.split(HEADING_SEPARATOR))
            text = embed_text_of(path, item.passage)
            key = hashlib.sha256(text.encode("utf-8")).hexdigest()
            return ItemDraft(key, item.citation.source, path, None, topic_of(path))
        group = None
        if chunk.group_id is not None:
            representative = self._chunk(chunk.group_id)
            if representative is not None:
                group = (representative.content_hash, representative.heading_path)
        return ItemDraft(
            chunk.content_hash,
            chunk.source,
            chunk.heading_path,
            chunk.id,
            topic_of(chunk.heading_path, group),
        )


def reshuffled(item: QuizItem, seed: int) -> QuizItem:
    """An MCQ with its options in a new order (other kinds unchanged), so a review tests the
    idea rather than the remembered letter.

    >>> c = Citation(1, 1, "f", "h", 1, 2)
    >>> item = QuizItem("mcq", "Q", ("a", "b", "c", "d"), 1, "b", "", c, "", True)
    >>> moved = reshuffled(item, 3)
    >>> moved.options != item.options, moved.options[moved.answer_index]
    (True, 'b')
    """
    if item.kind != "mcq" or item.answer_index is None or len(set(item.options)) < 2:
        return item
    rng = random.Random(f"{seed}:{item.question}")
    options = list(item.options)
    while tuple(options) == item.options:
        rng.shuffle(options)
    correct = item.options[item.answer_index]
    return replace(item, options=tuple(options), answer_index=options.index(correct))
