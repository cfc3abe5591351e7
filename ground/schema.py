"""The library file's SQLite schema, as a list of migrations keyed by ``PRAGMA user_version``.

One file holds every step's tables (documents and passages, study history, the question bank,
per-student history), so it has one migration list here, on the ground floor: a new library is
created whole and a newer one refused, whichever step opens it first.

To change the schema, append a function to ``MIGRATIONS``; never edit one that has shipped.
``migrate`` runs each missing step in its own transaction and bumps ``user_version`` inside it,
so a crash mid-upgrade leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ground.errors import LibraryStateError


def _v1_documents_and_chunks(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL UNIQUE,      -- absolute path of the file
            title TEXT NOT NULL,
            format TEXT NOT NULL,             -- md, txt, html, docx, pdf
            encoding TEXT,                    -- of text formats
            sha256 TEXT NOT NULL,             -- of the file's bytes
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            chunking TEXT NOT NULL,           -- chunker version and window that made the chunks
            chunk_count INTEGER NOT NULL,     -- lets a check prove no file is half-written
            ingested_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: vector ids key on it
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            heading_path TEXT NOT NULL,             -- JSON array
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            page INTEGER,
            text TEXT NOT NULL,
            content_hash TEXT NOT NULL,             -- sha256 of the embedded text
            token_count INTEGER NOT NULL,
            norm_hash TEXT NOT NULL,                -- sha256 of the duplicate-normalized text
            sketch BLOB NOT NULL,                   -- bottom-k 3-gram sketch (duplicates.py)
            group_id INTEGER REFERENCES duplicate_groups(id) ON DELETE SET NULL
        )"""
    )
    db.execute("CREATE INDEX chunks_by_doc ON chunks(doc_id, ordinal)")
    db.execute("CREATE INDEX chunks_by_content ON chunks(content_hash)")
    db.execute("CREATE INDEX chunks_by_group ON chunks(group_id)")
    db.execute(
        """CREATE TABLE duplicate_groups (
            id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,  -- the representative
            kind TEXT NOT NULL CHECK (kind IN ('exact', 'near')),
            size INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v2_study_history(db: sqlite3.Connection) -> None:
    """Practised items with their fsrs cards, and every answer (``memory/study_log.py``).

    Items outlive their chunks: ``chunk_id`` is only a link (set to NULL when the chunk goes,
    re-made by content hash or location), and each item keeps its source, heading path and the
    last question asked.
    """
    db.execute(
        """CREATE TABLE study_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_key TEXT NOT NULL UNIQUE,          -- content_hash of the chunk first practised
            source TEXT NOT NULL,
            heading_path TEXT NOT NULL,             -- JSON array
            chunk_id INTEGER REFERENCES chunks(id) ON DELETE SET NULL,
            topic_key TEXT NOT NULL,                -- assistant/topics.py: question, group or path
            topic_label TEXT NOT NULL,
            question TEXT NOT NULL,                 -- the last question asked
            item_json TEXT NOT NULL,                -- the last QuizItem asked
            created_at TEXT NOT NULL,               -- ISO 8601 UTC, microseconds
            card_state INTEGER NOT NULL,            -- the fsrs card: State
            card_step INTEGER,
            stability REAL,                         -- days
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT
        )"""
    )
    db.execute("CREATE INDEX study_items_by_due ON study_items(due)")
    db.execute("CREATE INDEX study_items_by_chunk ON study_items(chunk_id)")
    db.execute("CREATE INDEX study_items_by_topic ON study_items(topic_key)")
    db.execute(
        """CREATE TABLE study_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,               -- random: merging histories never doubles one
            item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
            answered_at TEXT NOT NULL,
            question TEXT NOT NULL,
            item_json TEXT NOT NULL,
            response TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'partial', 'incorrect')),
            missing TEXT NOT NULL,
            rating INTEGER NOT NULL                 -- the fsrs Rating the verdict became
        )"""
    )
    db.execute("CREATE INDEX study_answers_by_item ON study_answers(item_id, answered_at)")


def _v3_question_bank(db: sqlite3.Connection) -> None:
    """The question bank (``assistant/bank_store.py``): items per passage, keyed by the passage's
    content hash, never by chunk id, so they outlive re-ingests and follow edits.

    ``bank_passages`` is one row per passage the bank knows (and the background worker's to-do
    list); ``bank_items`` holds extracted and model-made items with their provenance, how they
    were made, their verification record and their own fsrs card; ``bank_rejections`` keeps
    every model draft the verifier turned down, with its reasons. ``(passage_hash, slot)`` is
    unique in items and rejections together: a slot is filled once, so a worker killed mid-item
    and restarted neither loses nor doubles anything.
    """
    db.execute(
        """CREATE TABLE bank_passages (
            passage_hash TEXT PRIMARY KEY,          -- chunks.content_hash
            source TEXT NOT NULL,
            heading_path TEXT NOT NULL,             -- JSON array
            start_line INTEGER NOT NULL,
            end_line INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'changed', 'retired')),
            replaced_by TEXT,                       -- the edited passage's new hash
            model_state TEXT NOT NULL DEFAULT 'pending'
                CHECK (model_state IN ('pending', 'done', 'skipped')),
            priority INTEGER NOT NULL DEFAULT 0,    -- higher first (topics the student asked for)
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX bank_passages_todo ON bank_passages(status, model_state, priority)")
    db.execute(
        """CREATE TABLE bank_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_key TEXT NOT NULL UNIQUE,          -- sha256 of passage hash, slot and content
            passage_hash TEXT NOT NULL,
            slot TEXT NOT NULL,                     -- e.g. x:qa:0 (extracted), m:mcq (model)
            kind TEXT NOT NULL,                     -- flashcard, cloze, mcq, truefalse, short
            item_json TEXT NOT NULL,                -- the QuizItem
            source TEXT NOT NULL,
            heading_path TEXT NOT NULL,             -- JSON array
            start_line INTEGER NOT NULL,            -- the lines the item is answered from
            end_line INTEGER NOT NULL,
            made_by TEXT NOT NULL,                  -- extracted:<rule> or model:<model name>
            verification TEXT NOT NULL,             -- JSON: checks passed, evidence
            status TEXT NOT NULL CHECK (status IN ('active', 'set_aside', 'retired', 'reported')),
            note_changed INTEGER NOT NULL DEFAULT 0,  -- history carried over from an edited note
            created_at TEXT NOT NULL,
            card_state INTEGER NOT NULL,            -- the item's fsrs card (assistant/scheduler.py)
            card_step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            reps INTEGER NOT NULL DEFAULT 0,
            UNIQUE (passage_hash, slot)
        )"""
    )
    db.execute("CREATE INDEX bank_items_by_passage ON bank_items(passage_hash, status)")
    db.execute("CREATE INDEX bank_items_by_due ON bank_items(status, due)")
    db.execute(
        """CREATE TABLE bank_rejections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            passage_hash TEXT NOT NULL,
            slot TEXT NOT NULL,
            kind TEXT NOT NULL,
            draft_json TEXT NOT NULL,               -- the draft as the model wrote it (or {})
            reasons TEXT NOT NULL,                  -- JSON array of why it was turned down
            made_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (passage_hash, slot)
        )"""
    )


DEFAULT_USER = "default"  # whose history a single-user library (and every pre-v4 row) is


def _v4_study_history_per_user(db: sqlite3.Connection) -> None:
    """Every study row carries its user (class mode, ``ui/class_mode_accounts.py``): a passage
    is an item once per user, so ``item_key`` is unique per user, not overall. The two tables
    are rebuilt (SQLite cannot drop a UNIQUE constraint) with their ids, so answers keep their
    items; rows written before this step are the default user's, and a single-user library
    keeps reading them as its own."""
    db.execute("ALTER TABLE study_answers RENAME TO study_answers_v3")
    db.execute("ALTER TABLE study_items RENAME TO study_items_v3")  # its FK follows the rename
    db.execute(
        f"""CREATE TABLE study_items (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_name TEXT NOT NULL DEFAULT '{DEFAULT_USER}',
            item_key TEXT NOT NULL,                 -- content_hash of the chunk first practised
            source TEXT NOT NULL,
            heading_path TEXT NOT NULL,             -- JSON array
            chunk_id INTEGER REFERENCES chunks(id) ON DELETE SET NULL,
            topic_key TEXT NOT NULL,
            topic_label TEXT NOT NULL,
            question TEXT NOT NULL,
            item_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            card_state INTEGER NOT NULL,
            card_step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            UNIQUE (user_name, item_key)
        )"""
    )
    db.execute(
        f"""CREATE TABLE study_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_name TEXT NOT NULL DEFAULT '{DEFAULT_USER}',
            uid TEXT NOT NULL UNIQUE,
            item_id INTEGER NOT NULL REFERENCES study_items(id) ON DELETE CASCADE,
            answered_at TEXT NOT NULL,
            question TEXT NOT NULL,
            item_json TEXT NOT NULL,
            response TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('correct', 'partial', 'incorrect')),
            missing TEXT NOT NULL,
            rating INTEGER NOT NULL
        )"""
    )
    items = ("id, item_key, source, heading_path, chunk_id, topic_key, topic_label, question, "
             "item_json, created_at, card_state, card_step, stability, difficulty, due, "
             "last_review")
    answers = ("id, uid, item_id, answered_at, question, item_json, response, verdict, missing, "
               "rating")
    db.execute(f"INSERT INTO study_items ({items}) SELECT {items} FROM study_items_v3")
    db.execute(f"INSERT INTO study_answers ({answers}) SELECT {answers} FROM study_answers_v3")
    db.execute("DROP TABLE study_answers_v3")
    db.execute("DROP TABLE study_items_v3")  # nothing refers to it any more: no cascade
    db.execute("CREATE INDEX study_items_by_due ON study_items(user_name, due)")
    db.execute("CREATE INDEX study_items_by_chunk ON study_items(chunk_id)")
    db.execute("CREATE INDEX study_items_by_topic ON study_items(topic_key)")
    db.execute("CREATE INDEX study_answers_by_item ON study_answers(item_id, answered_at)")
    db.execute("CREATE INDEX study_answers_by_user ON study_answers(user_name)")


def _v5_bank_cards_per_user(db: sqlite3.Connection) -> None:
    """Each student's own review schedule for the question bank's items (class mode,
    ``assistant/bank_store.py``): one row per user and item, once that user has answered it.
    The default user's cards stay in ``bank_items``, where every older library has them (and
    where an edited passage's items carry them over)."""
    db.execute(
        """CREATE TABLE bank_cards (
            user_name TEXT NOT NULL,
            item_id INTEGER NOT NULL REFERENCES bank_items(id) ON DELETE CASCADE,
            card_state INTEGER NOT NULL,            -- the user's fsrs card for the item
            card_step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            reps INTEGER NOT NULL,
            PRIMARY KEY (user_name, item_id)
        )"""
    )


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_documents_and_chunks,
    _v2_study_history,
    _v3_question_bank,
    _v4_study_history_per_user,
    _v5_bank_cards_per_user,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> None:
    """Bring ``db`` (in autocommit mode) up to ``SCHEMA_VERSION``."""
    while (version := _version(db)) < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            if _version(db) == version:  # else another process migrated meanwhile
                MIGRATIONS[version](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _version(db: sqlite3.Connection) -> int:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise LibraryStateError(
            f"library schema {version} is newer than this program's ({SCHEMA_VERSION}); "
            "upgrade the study assistant"
        )
    return version
