"""Study history: practised items, their fsrs cards, every answer.

The tables (``study_items``, ``study_answers``) live in the library's SQLite file (migrations 2
and 4 in ``ground/schema.py``) or, with ``database_url`` set, in PostgreSQL
(``study_schema_postgres.py``); ``study_database.py`` is the seam between the two, and every
query here is written once for both. This module has its own connection, so answering never
waits for an ingest's write lock (an ingest takes minutes; its SQLite transactions take
milliseconds, and ``busy_timeout`` covers them). Every write is one transaction: an answer and
its card update land together, and an import lands whole or not at all.

Links to chunks are repaired by ``refresh``: an item whose chunk was removed or re-ingested is
linked again to a chunk with the same content hash (the same passage, maybe in another file),
else to the chunk at the same source and heading path (the passage was edited), and its topic
is recomputed from the chunk's duplicate group. Items whose passage is gone keep their topic.
The chunks are read from the library's SQLite file and matched in Python, so the study tables
may live elsewhere.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from assistant.scheduler import CardState
from assistant.study_records import (
    Answer,
    ItemHistory,
    StudyItem,
    item_from_json,
    parse_stamp,
    stamp,
)
from assistant.topics import Topic, topic_of
from ground.database import open_library_file
from ground.errors import LibraryStateError
from ground.schema import DEFAULT_USER
from ground.settings import Settings
from memory.study_database import StudyDatabase, open_study_database

_ITEM_COLUMNS = (
    "id, item_key, source, heading_path, chunk_id, topic_key, topic_label, question, item_json, "
    "created_at, card_state, card_step, stability, difficulty, due, last_review"
)
_ANSWER_COLUMNS = "uid, answered_at, question, item_json, response, verdict, missing, rating"


@dataclass(frozen=True)
class ItemDraft:
    """A passage practised for the first time (becomes a ``study_items`` row)."""

    item_key: str
    source: str
    heading_path: tuple[str, ...]
    chunk_id: int | None
    topic: Topic


@dataclass(frozen=True)
class MergeCounts:
    items_added: int
    answers_added: int
    answers_known: int  # already in this history (same uid): not added again


class StudyLog:
    """One user's study history. Safe to share between threads (calls are serialized, like
    ``Store``); ``for_user`` gives another user's view over the same connections.

    ``database`` holds the study tables; ``chunks`` is the library's SQLite file, read to
    re-link items to passages (the same connection when the study tables live there too)."""

    def __init__(self, database: StudyDatabase, chunks: sqlite3.Connection,
                 user: str = DEFAULT_USER):
        self.database = database
        self._chunks = chunks
        self.user = user

    def for_user(self, user: str) -> StudyLog:
        """The history of ``user`` in the same database (the connections stay this log's)."""
        return StudyLog(self.database, self._chunks, user)

    @classmethod
    def open(cls, settings: Settings, user: str = DEFAULT_USER) -> StudyLog:
        database = open_study_database(settings)
        if database.postgres:
            return cls(database, open_library_file(settings.home, "the library's passages"), user)
        return cls(database, database.connection, user)

    @property
    def where(self) -> str:
        """The library file or the database URL (password masked), for messages."""
        return self.database.where

    def close(self) -> None:
        with self.database.mutex:
            if self._chunks is not self.database.connection:
                self._chunks.close()
            self.database.close()

    # -- reading ---------------------------------------------------------------------------

    def items(self) -> list[StudyItem]:
        return self._items("TRUE ORDER BY created_at, item_key")

    def item(self, item_id: int) -> StudyItem | None:
        found = self._items("id = ?", item_id)
        return found[0] if found else None

    def due(self, now: datetime, limit: int | None = None) -> list[StudyItem]:
        """Items due at ``now``, most overdue first."""
        if limit is None:
            return self._items("due <= ? ORDER BY due, id", stamp(now))
        return self._items("due <= ? ORDER BY due, id LIMIT ?", stamp(now), limit)

    def due_count(self, now: datetime) -> int:
        return self._query("SELECT COUNT(*) FROM study_items WHERE user_name = ? AND due <= ?",
                           self.user, stamp(now))[0][0]

    def next_due(self, now: datetime) -> datetime | None:
        """When the next item falls due after ``now`` (None when nothing is scheduled)."""
        row = self._query("SELECT MIN(due) FROM study_items WHERE user_name = ? AND due > ?",
                          self.user, stamp(now))[0]
        return parse_stamp(row[0]) if row[0] else None

    def answers(self) -> dict[int, list[Answer]]:
        """Every answer by item id, oldest first."""
        by_item: dict[int, list[Answer]] = {}
        for item_id, *row in self._query(
            f"SELECT item_id, {_ANSWER_COLUMNS} FROM study_answers WHERE user_name = ? "
            "ORDER BY answered_at, uid", self.user
        ):
            by_item.setdefault(item_id, []).append(_answer(row))
        return by_item

    def answer_count(self, item_id: int) -> int:
        return self._query("SELECT COUNT(*) FROM study_answers WHERE user_name = ? AND "
                           "item_id = ?", self.user, item_id)[0][0]

    def find(
        self,
        chunk_id: int | None,
        item_key: str,
        source: str,
        heading_path: tuple[str, ...],
        question: str,
    ) -> StudyItem | None:
        """The item a new answer belongs to: the one linked to the chunk, else the one first
        practised on the same passage, else (passage gone) the same question at its place."""
        if chunk_id is not None:
            found = self._items("chunk_id = ? ORDER BY id LIMIT 1", chunk_id)
            if found:
                return found[0]
        found = self._items("item_key = ?", item_key) or self._items(
            "source = ? AND heading_path = ? AND question = ? ORDER BY id LIMIT 1",
            source,
            _path_json(heading_path),
            question,
        )
        return found[0] if found else None

    def histories(self) -> list[ItemHistory]:
        """Every item with its answers, in a machine-independent order (for export)."""
        answers = self.answers()
        return [
            ItemHistory(
                item.item_key,
                item.source,
                item.heading_path,
                item.topic,
                item.question,
                item.item,
                item.created_at,
                item.card,
                tuple(answers.get(item.id, ())),
            )
            for item in self.items()
        ]

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        item_id: int | None,
        draft: ItemDraft | None,
        answer: Answer,
        advance: Callable[[CardState | None], CardState],
    ) -> StudyItem:
        """Store ``answer`` for item ``item_id`` (or a new item from ``draft``) and move its card
        to ``advance(card)``, reading and writing the card in one transaction. A draft another
        app server stored meanwhile (the same user and passage) is answered as that item."""
        with self.database.transaction() as db:
            if item_id is None:
                if draft is None:
                    raise ValueError("record needs an item id or a draft")
                item_id = _insert_item(db, self.user, draft, answer, advance(None))
                if item_id is None:
                    item_id = db.execute(
                        "SELECT id FROM study_items WHERE user_name = ? AND item_key = ?",
                        (self.user, draft.item_key)).fetchone()[0]
                    self._advance(db, item_id, answer, advance)
            else:
                self._advance(db, item_id, answer, advance)
            _insert_answer(db, self.user, item_id, answer)
            return _item(
                db.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM study_items WHERE id = ?", (item_id,)
                ).fetchone()
            )

    def _advance(self, db: StudyDatabase, item_id: int, answer: Answer,
                 advance: Callable[[CardState | None], CardState]) -> None:
        row = db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM study_items WHERE id = ? AND user_name = ?"
            f"{db.for_update}",
            (item_id, self.user),
        ).fetchone()
        if row is None:
            raise LibraryStateError(f"{self.where}: study item {item_id} is gone")
        card = advance(_item(row).card)
        db.execute(
            "UPDATE study_items SET question = ?, item_json = ?, card_state = ?, "
            "card_step = ?, stability = ?, difficulty = ?, due = ?, last_review = ? "
            "WHERE id = ?",
            (answer.question, _item_json(answer), *_card_row(card), item_id),
        )

    def merge(
        self,
        histories: Sequence[ItemHistory],
        replay: Callable[[Sequence[Answer], datetime], CardState],
    ) -> MergeCounts:
        """Add ``histories`` (one transaction). A new item arrives as it was; a known one gains
        the answers it lacks, and its card is replayed from all of its answers."""
        items_added = answers_added = answers_known = 0
        with self.database.transaction() as db:
            known_uids = {row[0] for row in db.execute("SELECT uid FROM study_answers")}
            for history in histories:
                fresh = [a for a in history.answers if a.uid not in known_uids]
                answers_known += len(history.answers) - len(fresh)
                known_uids.update(a.uid for a in fresh)
                row = db.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM study_items WHERE user_name = ? AND "
                    f"item_key = ?{db.for_update}",
                    (self.user, history.item_key),
                ).fetchone()
                if row is None:
                    item_id = _insert_history_item(db, self.user, history)
                    items_added += 1
                else:
                    item_id = row[0]
                    if fresh:
                        _update_merged_item(db, _item(row), history, fresh, replay)
                for answer in fresh:
                    _insert_answer(db, self.user, item_id, answer)
                answers_added += len(fresh)
        return MergeCounts(items_added, answers_added, answers_known)

    def refresh(self) -> int:
        """Re-link this user's items to the library's current chunks and recompute their
        topics; returns how many items changed (reads only, unless something did)."""
        rows = self._query(
            "SELECT id, item_key, source, heading_path, chunk_id, topic_key, topic_label "
            "FROM study_items WHERE user_name = ? ORDER BY id", self.user)
        linked = self._chunks_by_id([row[4] for row in rows if row[4] is not None])
        changes = [
            change
            for row in rows
            if (change := self._relinked(row, linked.get(row[4]))) is not None
        ]
        if changes:
            with self.database.transaction() as db:
                db.executemany(
                    "UPDATE study_items SET chunk_id = ?, source = ?, heading_path = ?, "
                    "topic_key = ?, topic_label = ? WHERE id = ?",
                    changes,
                )
        return len(changes)

    # -- internals -------------------------------------------------------------------------

    def _relinked(self, row: tuple, linked: tuple | None) -> tuple | None:
        """The update ``row`` needs (None: none), ``linked`` being its chunk now (None: the
        chunk is gone, or it never had one)."""
        item_id, item_key, source, path, chunk_id, topic_key, topic_label = row
        if linked is None:
            linked = self._relink(item_key, source, path)
        if linked is None:
            wanted = (None, source, path, topic_key, topic_label)
        else:
            new_chunk, new_source, new_path, group_hash, group_path = linked
            group = (group_hash, tuple(json.loads(group_path))) if group_hash else None
            topic = topic_of(tuple(json.loads(new_path)), group)
            wanted = (new_chunk, new_source, new_path, topic.key, topic.label)
        if wanted == (chunk_id, source, path, topic_key, topic_label):
            return None
        return (*wanted, item_id)

    def _chunks_by_id(self, chunk_ids: list[int]) -> dict[int, tuple]:
        """The library's chunks with these ids (those still there), as ``_CHUNK_QUERY`` rows."""
        found: dict[int, tuple] = {}
        for start in range(0, len(chunk_ids), 500):
            batch = chunk_ids[start:start + 500]
            for row in self._chunk_rows(
                    f"{_CHUNK_QUERY} WHERE c.id IN ({','.join('?' * len(batch))})", *batch):
                found[row[0]] = row
        return found

    def _relink(self, item_key: str, source: str, path: str) -> tuple | None:
        rows = self._chunk_rows(
            f"{_CHUNK_QUERY} WHERE c.content_hash = ? ORDER BY d.source != ?, c.id LIMIT 1",
            item_key,
            source,
        ) or self._chunk_rows(
            f"{_CHUNK_QUERY} WHERE d.source = ? AND c.heading_path = ? ORDER BY c.ordinal LIMIT 1",
            source,
            path,
        )
        return rows[0] if rows else None

    def _chunk_rows(self, sql: str, *params: object) -> list[tuple]:
        with self.database.mutex:
            return self._chunks.execute(sql, params).fetchall()

    def _items(self, clause: str, *params: object) -> list[StudyItem]:
        return [
            _item(row)
            for row in self._query(
                f"SELECT {_ITEM_COLUMNS} FROM study_items WHERE user_name = ? AND {clause}",
                self.user, *params)
        ]

    def _query(self, sql: str, *params: object) -> list[tuple]:
        return self.database.query(sql, *params)


_CHUNK_QUERY = (
    "SELECT c.id, d.source, c.heading_path, rep.content_hash, rep.heading_path FROM chunks c "
    "JOIN documents d ON d.id = c.doc_id LEFT JOIN chunks rep ON rep.id = c.group_id"
)


def _insert_item(db: StudyDatabase, user: str, draft: ItemDraft, answer: Answer,
                 card: CardState) -> int | None:
    """The new item's id, or None when the user already has an item on that passage."""
    row = db.execute(
        "INSERT INTO study_items (user_name, item_key, source, heading_path, chunk_id, "
        "topic_key, topic_label, question, item_json, created_at, card_state, card_step, "
        "stability, difficulty, due, last_review) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (user_name, item_key) DO NOTHING RETURNING id",
        (
            user,
            draft.item_key,
            draft.source,
            _path_json(draft.heading_path),
            draft.chunk_id,
            draft.topic.key,
            draft.topic.label,
            answer.question,
            _item_json(answer),
            stamp(answer.answered_at),
            *_card_row(card),
        ),
    ).fetchone()
    return row[0] if row else None


def _insert_history_item(db: StudyDatabase, user: str, history: ItemHistory) -> int:
    return db.execute(
        "INSERT INTO study_items (user_name, item_key, source, heading_path, chunk_id, "
        "topic_key, topic_label, question, item_json, created_at, card_state, card_step, "
        "stability, difficulty, due, last_review) VALUES (?,?,?,?,NULL,?,?,?,?,?,?,?,?,?,?,?) "
        "RETURNING id",
        (
            user,
            history.item_key,
            history.source,
            _path_json(history.heading_path),
            history.topic.key,
            history.topic.label,
            history.question,
            _json(history.item.as_json()),
            stamp(history.created_at),
            *_card_row(history.card),
        ),
    ).fetchone()[0]


def _update_merged_item(
    db: StudyDatabase, item: StudyItem, history: ItemHistory, fresh: list[Answer], replay
) -> None:
    held = [
        _answer(row)
        for row in db.execute(
            f"SELECT {_ANSWER_COLUMNS} FROM study_answers WHERE item_id = ?", (item.id,)
        )
    ]
    every = sorted([*held, *fresh], key=lambda a: (a.answered_at, a.uid))
    created = min(item.created_at, history.created_at)
    card = replay(every, created)
    latest = every[-1]
    db.execute(
        "UPDATE study_items SET question = ?, item_json = ?, created_at = ?, card_state = ?, "
        "card_step = ?, stability = ?, difficulty = ?, due = ?, last_review = ? WHERE id = ?",
        (latest.question, _item_json(latest), stamp(created), *_card_row(card), item.id),
    )


def _insert_answer(db: StudyDatabase, user: str, item_id: int, answer: Answer) -> None:
    db.execute(
        "INSERT INTO study_answers (user_name, uid, item_id, answered_at, question, item_json, "
        "response, verdict, missing, rating) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            user,
            answer.uid,
            item_id,
            stamp(answer.answered_at),
            answer.question,
            _item_json(answer),
            answer.response,
            answer.verdict,
            answer.missing,
            answer.rating,
        ),
    )


def _item(row: tuple) -> StudyItem:
    (
        item_id,
        item_key,
        source,
        path,
        chunk_id,
        topic_key,
        topic_label,
        question,
        item_json,
        created_at,
        state,
        step,
        stability,
        difficulty,
        due,
        last_review,
    ) = row
    card = CardState(
        state,
        step,
        stability,
        difficulty,
        parse_stamp(due),
        parse_stamp(last_review) if last_review else None,
    )
    return StudyItem(
        item_id,
        item_key,
        source,
        tuple(json.loads(path)),
        chunk_id,
        Topic(topic_key, topic_label),
        question,
        item_from_json(json.loads(item_json)),
        parse_stamp(created_at),
        card,
    )


def _answer(row: Sequence) -> Answer:
    uid, answered_at, question, item_json, response, verdict, missing, rating = row
    return Answer(
        uid,
        parse_stamp(answered_at),
        question,
        item_from_json(json.loads(item_json)),
        response,
        verdict,
        missing,
        rating,
    )


def _card_row(card: CardState) -> tuple:
    return (
        card.state,
        card.step,
        card.stability,
        card.difficulty,
        stamp(card.due),
        stamp(card.last_review) if card.last_review else None,
    )


def _item_json(answer: Answer) -> str:
    return _json(answer.item.as_json())


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _path_json(heading_path: tuple[str, ...]) -> str:
    """The heading path as the chunk store writes it, so the two compare as text."""
    return json.dumps(list(heading_path), ensure_ascii=False)
