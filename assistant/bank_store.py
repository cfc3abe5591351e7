"""The question bank in the library's SQLite file (tables from migration 3, ``ground/schema.py``).

The items are shared by every user of the library; their review schedule is each user's own
(class mode): the default user's cards are in ``bank_items``, every other user's in
``bank_cards`` (migration 5), and ``for_user`` gives a user's view, whose items carry that
user's cards (a new card for an item the user never answered).

Its own connection, like ``StudyLog``: practising never waits for an ingest. Every write is one
``BEGIN IMMEDIATE`` transaction, so a process killed at any moment leaves the bank at its old
or its new state; ``(passage_hash, slot)`` is unique across items and rejections, so writing
the same outcome twice (a worker restarted after a kill) changes nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from assistant.bank_records import BankItem, BankPassage, BankProgress, Draft, Rejection
from assistant.scheduler import CardState
from assistant.study_records import item_from_json, parse_stamp, stamp
from ground.database import LIBRARY_FILE_NAME, open_library_file, transaction
from ground.schema import DEFAULT_USER

_ITEM_COLUMNS = (
    "id, item_key, passage_hash, slot, item_json, source, heading_path, start_line, end_line, "
    "made_by, verification, status, note_changed, card_state, card_step, stability, difficulty, "
    "due, last_review, reps"
)
_PASSAGE_COLUMNS = (
    "passage_hash, source, heading_path, start_line, end_line, status, replaced_by, model_state, "
    "priority"
)
_PAUSED_KEY = "bank_paused"
_CARD_COLUMNS = "card_state, card_step, stability, difficulty, due, last_review, reps"
# bank_items as one user (not the default one) sees it: the same columns, the cards theirs
_USER_ITEMS = (
    "(SELECT i.id, i.item_key, i.passage_hash, i.slot, i.item_json, i.source, i.heading_path, "
    "i.start_line, i.end_line, i.made_by, i.verification, i.status, i.note_changed, "
    "COALESCE(c.card_state, 1) AS card_state, "
    "CASE WHEN c.item_id IS NULL THEN 0 ELSE c.card_step END AS card_step, c.stability, "
    "c.difficulty, COALESCE(c.due, i.created_at) AS due, c.last_review, "
    "COALESCE(c.reps, 0) AS reps FROM bank_items i LEFT JOIN bank_cards c "
    "ON c.item_id = i.id AND c.user_name = ?) AS bank_items"
)


class BankStore:
    """Safe to share between threads (calls are serialized). Its cards are ``user``'s."""

    def __init__(self, db: sqlite3.Connection, path: Path, user: str = DEFAULT_USER,
                 mutex: threading.RLock | None = None):
        self._db = db
        self.path = path
        self.user = user
        self._mutex = mutex or threading.RLock()

    def for_user(self, user: str) -> BankStore:
        """The bank with ``user``'s review schedule (the connection stays this store's)."""
        if user == self.user:
            return self
        return BankStore(self._db, self.path, user, self._mutex)

    @classmethod
    def open(cls, home: str | Path) -> BankStore:
        db = open_library_file(home, "the question bank", foreign_keys=False)
        return cls(db, Path(home).expanduser() / LIBRARY_FILE_NAME)

    def close(self) -> None:
        with self._mutex:
            self._db.close()

    # -- passages --------------------------------------------------------------------------

    def passages(self) -> dict[str, BankPassage]:
        return {row[0]: _passage(row)
                for row in self._query(f"SELECT {_PASSAGE_COLUMNS} FROM bank_passages")}

    def next_pending(self, exclude: Sequence[str] = ()) -> BankPassage | None:
        """The active passage whose model items are still to be made, most wanted first."""
        rows = self._query(
            f"SELECT {_PASSAGE_COLUMNS} FROM bank_passages WHERE status = 'active' AND "
            "model_state = 'pending' ORDER BY priority DESC, source, start_line LIMIT ?",
            len(exclude) + 1,
        )
        found = [_passage(row) for row in rows if row[0] not in set(exclude)]
        return found[0] if found else None

    def prioritize(self, passage_hashes: Iterable[str], priority: int) -> None:
        hashes = list(dict.fromkeys(passage_hashes))
        if not hashes:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE bank_passages SET priority = MAX(priority, ?) WHERE passage_hash = ?",
                [(priority, h) for h in hashes],
            )

    def done_slots(self, passage_hash: str) -> set[str]:
        """Model slots of a passage that already have an outcome (an item or a rejection)."""
        rows = self._query(
            "SELECT slot FROM bank_items WHERE passage_hash = ? AND slot LIKE 'm:%' UNION "
            "SELECT slot FROM bank_rejections WHERE passage_hash = ?", passage_hash, passage_hash)
        return {row[0] for row in rows}

    # -- writing ---------------------------------------------------------------------------

    def add_passage(self, passage: BankPassage, drafts: Sequence[Draft], now: datetime,
                    carried: dict[str, CardState] | None = None) -> int:
        """A passage new to the bank with its extracted cards (one transaction); ``carried``
        maps slots to the cards of the edited passage it replaces."""
        with self._transaction() as db:
            _upsert_passage(db, passage, now)
            cards = carried or {}
            return sum(_insert_item(db, draft, passage, now, cards.get(draft.slot),
                                    draft.slot in cards) for draft in drafts)

    def replace_extracted(self, passage: BankPassage, drafts: Sequence[Draft],
                          now: datetime, keep: tuple[str, ...] = ()) -> tuple[int, int]:
        """The passage's extracted cards as the current rules make them (one transaction): a
        card whose slot exists is updated in place, keeping its fsrs card; cards the rules no
        longer make are retired, except slots starting with one of ``keep`` (cards made from
        other cards, which their maker looks after). Returns (added or changed, retired)."""
        with self._transaction() as db:
            rows = {slot: (key, status) for slot, key, status in db.execute(
                "SELECT slot, item_key, status FROM bank_items WHERE passage_hash = ? AND "
                "made_by LIKE 'extracted:%'", (passage.passage_hash,))}
            changed = 0
            for draft in drafts:
                old = rows.get(draft.slot)
                if old is None:
                    changed += _insert_item(db, draft, passage, now, None, False)
                elif old[0] != draft.item_key:
                    db.execute(
                        "UPDATE bank_items SET item_key = ?, kind = ?, item_json = ?, "
                        "start_line = ?, end_line = ?, made_by = ?, status = 'active' "
                        "WHERE passage_hash = ? AND slot = ?",
                        (draft.item_key, draft.item.kind, _item_json(draft.item),
                         draft.item.citation.start_line, draft.item.citation.end_line,
                         draft.made_by, passage.passage_hash, draft.slot))
                    changed += 1
            wanted = {draft.slot for draft in drafts}
            retired = sum(db.execute(
                "UPDATE bank_items SET status = 'retired' WHERE passage_hash = ? AND slot = ? "
                "AND status = 'active'", (passage.passage_hash, slot)).rowcount
                for slot in rows if slot not in wanted and not (keep and slot.startswith(keep)))
            return changed, retired

    def mark_changed(self, old_hash: str, new_hash: str | None, now: datetime) -> None:
        """The passage left the notes: edited (``new_hash``) or deleted. Its items are set aside
        (edited) or retired (deleted); their cards and answers stay for progress."""
        status, item_status = ("changed", "set_aside") if new_hash else ("retired", "retired")
        with self._transaction() as db:
            db.execute("UPDATE bank_passages SET status = ?, replaced_by = ?, updated_at = ? "
                       "WHERE passage_hash = ?", (status, new_hash, stamp(now), old_hash))
            db.execute("UPDATE bank_items SET status = ? WHERE passage_hash = ? AND status = "
                       "'active'", (item_status, old_hash))

    def reactivate(self, passage_hash: str, now: datetime) -> None:
        """A passage back in the notes (an edit undone, a file restored)."""
        with self._transaction() as db:
            db.execute("UPDATE bank_passages SET status = 'active', replaced_by = NULL, "
                       "updated_at = ? WHERE passage_hash = ?", (stamp(now), passage_hash))
            db.execute("UPDATE bank_items SET status = 'active' WHERE passage_hash = ? AND "
                       "status IN ('set_aside', 'retired')", (passage_hash,))

    def add_outcome(self, passage: BankPassage, slot: str, draft: Draft | None,
                    rejection: Rejection | None, now: datetime, slots: Sequence[str]) -> bool:
        """One model slot's outcome, and the passage marked done once every slot has one. A
        slot already filled is left as it is (False)."""
        with self._transaction() as db:
            filled = db.execute(
                "SELECT 1 FROM bank_items WHERE passage_hash = ? AND slot = ? UNION "
                "SELECT 1 FROM bank_rejections WHERE passage_hash = ? AND slot = ?",
                (passage.passage_hash, slot, passage.passage_hash, slot)).fetchone()
            if filled:
                return False
            if draft is not None:
                carried = _predecessor_card(db, passage.passage_hash, slot)
                _insert_item(db, draft, passage, now, carried, carried is not None)
            elif rejection is not None:
                db.execute(
                    "INSERT INTO bank_rejections (passage_hash, slot, kind, draft_json, reasons, "
                    "made_by, created_at) VALUES (?,?,?,?,?,?,?)",
                    (rejection.passage_hash, slot, rejection.kind, rejection.draft,
                     json.dumps(list(rejection.reasons), ensure_ascii=False), rejection.made_by,
                     stamp(now)))
            done = {row[0] for row in db.execute(
                "SELECT slot FROM bank_items WHERE passage_hash = ? UNION "
                "SELECT slot FROM bank_rejections WHERE passage_hash = ?",
                (passage.passage_hash, passage.passage_hash))}
            if set(slots) <= done:
                db.execute("UPDATE bank_passages SET model_state = 'done', updated_at = ? "
                           "WHERE passage_hash = ?", (stamp(now), passage.passage_hash))
            return True

    def mark_done(self, passage_hash: str, now: datetime) -> None:
        with self._transaction() as db:
            db.execute("UPDATE bank_passages SET model_state = 'done', updated_at = ? "
                       "WHERE passage_hash = ?", (stamp(now), passage_hash))

    def skip_model(self, passage_hash: str, now: datetime) -> None:
        """Nothing for the model to ask about here (too short): done without model items."""
        with self._transaction() as db:
            db.execute("UPDATE bank_passages SET model_state = 'skipped', updated_at = ? "
                       "WHERE passage_hash = ?", (stamp(now), passage_hash))

    def review(self, item_key: str, advance) -> BankItem | None:
        """Move this user's card of an item to ``advance(card)`` (read and written in one
        transaction)."""
        with self._transaction() as db:
            found = self._items("WHERE item_key = ?", item_key)
            if not found:
                return None
            card = advance(found[0].card)
            if self.user == DEFAULT_USER:
                db.execute("UPDATE bank_items SET card_state = ?, card_step = ?, stability = ?, "
                           "difficulty = ?, due = ?, last_review = ?, reps = reps + 1 "
                           "WHERE item_key = ?", (*_card_row(card), item_key))
            else:
                db.execute(
                    f"INSERT INTO bank_cards (user_name, item_id, {_CARD_COLUMNS}) "
                    "VALUES (?,?,?,?,?,?,?,?,1) ON CONFLICT(user_name, item_id) DO UPDATE SET "
                    "card_state = excluded.card_state, card_step = excluded.card_step, "
                    "stability = excluded.stability, difficulty = excluded.difficulty, "
                    "due = excluded.due, last_review = excluded.last_review, "
                    "reps = bank_cards.reps + 1",
                    (self.user, found[0].id, *_card_row(card)))
            return self._items("WHERE item_key = ?", item_key)[0]

    def retire_items(self, item_keys: Sequence[str]) -> int:
        with self._transaction() as db:
            return sum(db.execute("UPDATE bank_items SET status = 'retired' WHERE item_key = ? "
                                  "AND status = 'active'", (key,)).rowcount for key in item_keys)

    def report(self, item_key: str) -> bool:
        """A student says the item is wrong: it leaves the bank and its review schedule."""
        with self._transaction() as db:
            return db.execute("UPDATE bank_items SET status = 'reported' WHERE item_key = ? AND "
                              "status != 'reported'", (item_key,)).rowcount > 0

    def set_paused(self, paused: bool) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET value = excluded.value", (_PAUSED_KEY, "1" if paused else "0"))

    # -- reading ---------------------------------------------------------------------------

    def paused(self) -> bool:
        rows = self._query("SELECT value FROM meta WHERE key = ?", _PAUSED_KEY)
        return bool(rows) and rows[0][0] == "1"

    def item(self, item_key: str) -> BankItem | None:
        found = self._items("WHERE item_key = ?", item_key)
        return found[0] if found else None

    def items(self, status: str | None = "active",
              passage_hashes: Sequence[str] | None = None) -> list[BankItem]:
        clauses, params = [], []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if passage_hashes is not None:
            if not passage_hashes:
                return []
            clauses.append(f"passage_hash IN ({','.join('?' * len(passage_hashes))})")
            params.extend(passage_hashes)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._items(f"{where} ORDER BY source, start_line, slot", *params)

    def due(self, now: datetime, limit: int = -1) -> list[BankItem]:
        return self._items("WHERE status = 'active' AND reps > 0 AND due <= ? ORDER BY due "
                           "LIMIT ?", stamp(now), limit)

    def in_step(self) -> bool:
        """The active passages are exactly the library's chunk hashes (nothing to sync)."""
        chunk_hashes = {row[0] for row in self._query("SELECT DISTINCT content_hash FROM chunks")}
        active = {row[0] for row in self._query(
            "SELECT passage_hash FROM bank_passages WHERE status = 'active'")}
        return chunk_hashes == active

    def chunk_places(self, passage_hashes: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(chunk id, start line) of the chunk holding each passage now."""
        places: dict[str, tuple[int, int]] = {}
        hashes = list(passage_hashes)
        for start in range(0, len(hashes), 500):
            batch = hashes[start:start + 500]
            for h, chunk_id, line in self._query(
                    "SELECT content_hash, id, start_line FROM chunks WHERE content_hash IN "
                    f"({','.join('?' * len(batch))}) ORDER BY id", *batch):
                places.setdefault(h, (chunk_id, line))
        return places

    def passages_naming(self, topic: str, limit: int) -> list[str]:
        """Active passages whose heading or text names ``topic`` literally (case and spaces
        ignored), best first: named in the heading, then by how often the text names it; one per
        duplicate group. Plain
        SQL over the stored chunks: no embedder, so it answers the moment the app starts."""
        wanted = re.sub(r"\s+", "", topic).lower()
        if len(wanted) < 2:
            return []
        rows = self._query(
            "SELECT c.content_hash, c.group_id, lower(replace(c.heading_path, ' ', '')), "
            "lower(replace(c.text, ' ', '')) FROM chunks c JOIN bank_passages p "
            "ON p.passage_hash = c.content_hash WHERE p.status = 'active' AND "
            "(instr(lower(replace(c.heading_path, ' ', '')), ?) > 0 OR "
            "instr(lower(replace(c.text, ' ', '')), ?) > 0) ORDER BY c.id", wanted, wanted)
        scored: dict[str, tuple[int, int]] = {}
        groups: set[int] = set()  # one passage per duplicate group, as the search gives
        for passage_hash, group, heading, text in rows:
            if group is not None:
                if group in groups and passage_hash not in scored:
                    continue
                groups.add(group)
            score = (wanted in heading, text.count(wanted))
            scored[passage_hash] = max(score, scored.get(passage_hash, (False, 0)))
        ranked = sorted(scored, key=lambda h: scored[h], reverse=True)
        return ranked[:limit]

    def rejections(self) -> list[Rejection]:
        return [Rejection(h, slot, kind, draft, tuple(json.loads(reasons)), made_by)
                for h, slot, kind, draft, reasons, made_by in self._query(
                    "SELECT passage_hash, slot, kind, draft_json, reasons, made_by "
                    "FROM bank_rejections ORDER BY id")]

    def progress(self) -> BankProgress:
        (passages, done), = self._query(
            "SELECT COUNT(*), COALESCE(SUM(model_state != 'pending'), 0) FROM bank_passages "
            "WHERE status = 'active'")
        (extracted, generated, reported), = self._query(
            "SELECT COALESCE(SUM(status = 'active' AND made_by LIKE 'extracted:%'), 0), "
            "COALESCE(SUM(status = 'active' AND made_by LIKE 'model:%'), 0), "
            "COALESCE(SUM(status = 'reported'), 0) FROM bank_items")
        rejected = self._query("SELECT COUNT(*) FROM bank_rejections")[0][0]
        return BankProgress(passages, done, extracted, generated, rejected, reported)

    # -- internals -------------------------------------------------------------------------

    def _items(self, clause: str, *params: object) -> list[BankItem]:
        """Items (with this user's cards) matching ``clause`` over ``bank_items``' columns."""
        if self.user == DEFAULT_USER:
            return [_item(row) for row in
                    self._query(f"SELECT {_ITEM_COLUMNS} FROM bank_items {clause}", *params)]
        return [_item(row) for row in self._query(
            f"SELECT {_ITEM_COLUMNS} FROM {_USER_ITEMS} {clause}", self.user, *params)]

    def _query(self, sql: str, *params: object) -> list[tuple]:
        with self._mutex:
            return self._db.execute(sql, params).fetchall()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db, self._mutex)


def _upsert_passage(db: sqlite3.Connection, passage: BankPassage, now: datetime) -> None:
    db.execute(
        "INSERT INTO bank_passages (passage_hash, source, heading_path, start_line, end_line, "
        "status, replaced_by, model_state, priority, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(passage_hash) DO UPDATE SET source = excluded.source, heading_path = "
        "excluded.heading_path, start_line = excluded.start_line, end_line = excluded.end_line, "
        "status = 'active', replaced_by = NULL, updated_at = excluded.updated_at",
        (passage.passage_hash, passage.source, _path_json(passage.heading_path),
         passage.start_line, passage.end_line, passage.status, passage.replaced_by,
         passage.model_state, passage.priority, stamp(now)),
    )


def _insert_item(db: sqlite3.Connection, draft: Draft, passage: BankPassage, now: datetime,
                 card: CardState | None, note_changed: bool) -> int:
    item = draft.item
    card = card or CardState(1, 0, None, None, now, None)
    reps = 1 if card.last_review is not None else 0
    return db.execute(
        "INSERT OR IGNORE INTO bank_items (item_key, passage_hash, slot, kind, item_json, source, "
        "heading_path, start_line, end_line, made_by, verification, status, note_changed, "
        "created_at, card_state, card_step, stability, difficulty, due, last_review, reps) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,'active',?,?,?,?,?,?,?,?,?)",
        (draft.item_key, draft.passage_hash, draft.slot, item.kind,
         _item_json(item), passage.source,
         _path_json(passage.heading_path), item.citation.start_line, item.citation.end_line,
         draft.made_by, draft.evidence, int(note_changed), stamp(now), *_card_row(card), reps),
    ).rowcount


def _item_json(item) -> str:
    return json.dumps(item.as_json(), ensure_ascii=False, sort_keys=True)


def _predecessor_card(db: sqlite3.Connection, passage_hash: str, slot: str) -> CardState | None:
    """The card of the same slot on the passage this one replaced (an edit), if it was used."""
    row = db.execute(
        f"SELECT {_ITEM_COLUMNS} FROM bank_items WHERE slot = ? AND reps > 0 AND passage_hash IN "
        "(SELECT passage_hash FROM bank_passages WHERE replaced_by = ?) ORDER BY id DESC LIMIT 1",
        (slot, passage_hash)).fetchone()
    return _item(row).card if row else None


def _passage(row: tuple) -> BankPassage:
    h, source, path, start, end, status, replaced_by, model_state, priority = row
    return BankPassage(h, source, tuple(json.loads(path)), start, end, status, replaced_by,
                       model_state, priority)


def _item(row: tuple) -> BankItem:
    (item_id, key, passage_hash, slot, item_json, source, path, start, end, made_by, evidence,
     status, note_changed, state, step, stability, difficulty, due, last_review, reps) = row
    card = CardState(state, step, stability, difficulty, parse_stamp(due),
                     parse_stamp(last_review) if last_review else None)
    item = item_from_json(json.loads(item_json))
    return BankItem(item_id, key, passage_hash, slot, replace(item, bank_key=key), source,
                    tuple(json.loads(path)), start, end, made_by, evidence, status,
                    bool(note_changed), card, reps)


def _card_row(card: CardState) -> tuple:
    return (card.state, card.step, card.stability, card.difficulty, stamp(card.due),
            stamp(card.last_review) if card.last_review else None)


def _path_json(heading_path: tuple[str, ...]) -> str:
    return json.dumps(list(heading_path), ensure_ascii=False)
