"""``QuestionBank``: practice served from verified, stored items, in well under a second.

    bank = QuestionBank.open(library)          # in step with the library (extracts new cards)
    items = bank.serve("正则化", count=5)        # due reviews first, then new items, by topic
    bank.record(item, "correct")               # the item's own fsrs card moves
    bank.report(item)                          # "this question is wrong": gone from the bank
    bank.progress().line()                     # "question bank: 48 / 152 passages, …"

Items come from the passages that name the topic (plain SQL over the stored chunks, so the first
question needs no embedder), or, when none does, from the passages a topic search finds (another
wording, another language); without a topic, from every passage, spread by ``seed``;
per passage, one item at a time in turns, so five questions touch five passages. The requested
kind comes first, then the passage's other items (extracted cards while the background worker
has not yet made model items for it). Asking about a topic moves its passages to the front of
the worker's queue.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import UTC, datetime

from assistant.bank_records import BankItem, BankProgress
from assistant.bank_store import BankStore
from assistant.bank_sync import SyncReport, reextract, sync_bank
from assistant.quiz_schema import QuizItem
from assistant.scheduler import StudyScheduler, utc

TOPIC_PASSAGES = 12  # search hits a topic's items are drawn from


class QuestionBank:
    def __init__(self, library, store: BankStore, scheduler: StudyScheduler | None = None):
        self.library = library
        self.store = store
        self.scheduler = scheduler or StudyScheduler()

    @classmethod
    def open(cls, library, sync: bool = True) -> QuestionBank:
        bank = cls(library, BankStore.open(library.settings.home))
        if sync:
            bank.sync()
        return bank

    def for_user(self, user: str) -> QuestionBank:
        """The same bank, served and scheduled by ``user``'s own answers (class mode)."""
        return QuestionBank(self.library, self.store.for_user(user), self.scheduler)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> QuestionBank:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def sync(self, now: datetime | None = None) -> SyncReport:
        """Bring the bank in step with the library's passages (see ``bank_sync``); reads the
        chunks only when their hashes differ from the bank's active passages."""
        if self.store.in_step():
            return SyncReport(0, 0, 0, 0, 0)
        return sync_bank(self.store, self.library.chunks(), utc(now or datetime.now(UTC)))

    def reextract(self, now: datetime | None = None) -> tuple[int, int]:
        """Extracted cards made again by the current rules (see ``bank_sync.reextract``)."""
        return reextract(self.store, self.library.chunks(), utc(now or datetime.now(UTC)))

    # -- serving ---------------------------------------------------------------------------

    def serve(self, topic: str | None = None, count: int = 5, kind: str | None = None,
              seed: int = 0, now: datetime | None = None) -> list[QuizItem]:
        """Up to ``count`` items: due reviews first, then never-asked ones, then the rest."""
        now = utc(now or datetime.now(UTC))
        if topic:
            order = self.store.passages_naming(topic, TOPIC_PASSAGES)
            if not order:  # not named in the notes' words: the search finds it in others
                hits = self.library.search(topic, k=TOPIC_PASSAGES)
                order = list(dict.fromkeys(hit.chunk.content_hash for hit in hits))
            self.store.prioritize(order[: max(count, 3)], int(time.time()))
            items = self.store.items("active", order)
        else:
            items = self.store.items("active")
            order = list(dict.fromkeys(item.passage_hash for item in items))
            random.Random(seed).shuffle(order)
        rank = {h: i for i, h in enumerate(order)}
        picked = _in_turns(items, rank, kind, now, seed)[:count]
        return self._cited(picked)

    def item(self, item_key: str) -> QuizItem | None:
        found = self.store.item(item_key)
        return self._cited([found])[0] if found is not None and found.status == "active" else None

    def items_on(self, passage_hash: str) -> list[QuizItem]:
        """The active items of one passage (spaced review of a practised passage)."""
        return self._cited(self.store.items("active", [passage_hash]))

    def due(self, now: datetime | None = None, limit: int = -1) -> list[QuizItem]:
        return self._cited(self.store.due(utc(now or datetime.now(UTC)), limit))

    # -- answering -------------------------------------------------------------------------

    def record(self, item: QuizItem, verdict: str, now: datetime | None = None) -> BankItem | None:
        """Move the item's own fsrs card (no-op for an item that is not from the bank)."""
        if not item.bank_key:
            return None
        now = utc(now or datetime.now(UTC))
        return self.store.review(
            item.bank_key,
            lambda card: self.scheduler.review(card, verdict, now),
        )

    def report(self, item: QuizItem) -> bool:
        """The student says the item is wrong: it leaves the bank and its review schedule."""
        return bool(item.bank_key) and self.store.report(item.bank_key)

    def progress(self) -> BankProgress:
        return self.store.progress()

    # -- internals -------------------------------------------------------------------------

    def _cited(self, items: list[BankItem]) -> list[QuizItem]:
        """The items' citations pointing at the chunks holding their passages now (chunk ids
        change on re-ingest; lines move when text above the passage changes)."""
        passages = self.store.passages()
        places = self.store.chunk_places([item.passage_hash for item in items])
        cited = []
        for item in items:
            quiz = item.item
            place = places.get(item.passage_hash)
            passage = passages.get(item.passage_hash)
            if place is not None and passage is not None:
                shift = place[1] - passage.start_line
                quiz = replace(quiz, citation=replace(
                    quiz.citation, chunk_id=place[0],
                    start_line=quiz.citation.start_line + shift,
                    end_line=quiz.citation.end_line + shift))
            cited.append(quiz)
        return cited


_KIND_ORDER = {"mcq": 0, "truefalse": 1, "short": 2, "cloze": 3, "flashcard": 4}


def _in_turns(items: list[BankItem], rank: dict[str, int], kind: str | None, now: datetime,
              seed: int) -> list[BankItem]:
    """Items ordered for a session: due, then new, then the rest; the wanted kind first; one
    item per passage per turn, passages in ``rank`` order."""

    def urgency(item: BankItem) -> int:
        if item.reps > 0 and item.card.due <= now:
            return 0
        return 1 if item.reps == 0 else 2

    rng = random.Random(seed)
    shuffled = sorted(items, key=lambda item: rng.random())
    by_passage: dict[str, list[BankItem]] = {}
    for item in sorted(shuffled, key=lambda i: (urgency(i), i.item.kind != kind,
                                                _KIND_ORDER.get(i.item.kind, 9))):
        by_passage.setdefault(item.passage_hash, []).append(item)
    passages = sorted(by_passage, key=lambda h: rank.get(h, len(rank)))
    ordered: list[BankItem] = []
    turn = 0
    while len(ordered) < len(items):
        for passage_hash in passages:
            queue = by_passage[passage_hash]
            if turn < len(queue):
                ordered.append(queue[turn])
        turn += 1
    return sorted(ordered, key=lambda item: (urgency(item), item.item.kind != kind))


def attach(library) -> None:
    """Keep ``library``'s question bank in step with every ingest and removal it makes."""

    def extract(changed) -> None:
        with QuestionBank.open(changed, sync=False) as bank:
            bank.sync()

    library.on_change(extract)
