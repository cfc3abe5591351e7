"""The question bank's review schedule is each user's own (class mode): a student's answer
moves that student's card of a banked item, never another's, and the bank serves each student
by their own cards; a library from before per-user cards keeps its cards as the default
user's. A real library and bank (SQLite, extracted cards) over the fake embedder: seconds."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fakes import FakeModelsLibrary
from pg_support import (  # noqa: F401 (postgres_server_fixture, study_backend_fixture: fixtures)
    postgres_server_fixture,
    study_backend_fixture,
)
from test_study_memory_postgres import NOTE

from assistant.bank import QuestionBank
from assistant.grading import Grade
from ground.database import LIBRARY_FILE_NAME
from ground.schema import DEFAULT_USER, MIGRATIONS
from memory.study_memory import StudyMemory

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def class_library(fake_settings, tmp_path, study_backend):
    """A library of one note with its question bank, its study memory on either backend."""
    note = tmp_path / "notes" / "mini.md"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    settings = fake_settings.replace(
        home=tmp_path / "home", database_url=study_backend.database_url()
    )
    library = FakeModelsLibrary.open(settings)
    library.ingest([note])
    bank = QuestionBank.open(library)
    memory = StudyMemory.open(library, clock=lambda: T0)
    yield library, bank, memory
    memory.close()
    bank.close()
    library.close()


def right(memory: StudyMemory, item, now: datetime) -> None:
    memory.record(item, item.answer, Grade("correct", "", item.answer, item.citation), now)


def test_a_students_answer_moves_only_that_students_card(class_library):
    library, bank, memory = class_library
    asked = bank.for_user("ana").serve(count=1, seed=1, now=T0)[0]
    right(memory.for_user("ana"), asked, T0)
    right(memory.for_user("ana"), asked, T0 + timedelta(minutes=15))
    cards = {
        user: bank.store.for_user(user).item(asked.bank_key)
        for user in ("ana", "ben", DEFAULT_USER)
    }
    assert cards["ana"].reps == 2 and cards["ana"].card.due > T0 + timedelta(days=1)
    assert (cards["ben"].reps, cards["ben"].card.last_review) == (0, None)
    assert (cards[DEFAULT_USER].reps, cards[DEFAULT_USER].card.last_review) == (0, None)
    # each is served by their own schedule: for ana the item is learnt and comes last,
    # for ben it is as new as every other item
    week = T0 + timedelta(days=1)
    everything = len(bank.store.items("active"))
    assert bank.for_user("ana").serve(count=everything, now=week)[-1].bank_key == asked.bank_key
    assert bank.for_user("ana").due(week) == []
    right(memory.for_user("ben"), asked, week)
    assert bank.store.for_user("ben").item(asked.bank_key).reps == 1
    assert bank.store.for_user("ana").item(asked.bank_key).reps == 2


def test_the_single_users_cards_stay_in_the_bank_items(class_library):
    library, bank, memory = class_library
    asked = bank.serve(count=1, seed=2, now=T0)[0]
    right(memory, asked, T0)
    with sqlite3.connect(library.settings.home / LIBRARY_FILE_NAME) as db:
        assert db.execute(
            "SELECT reps FROM bank_items WHERE item_key = ?", (asked.bank_key,)
        ).fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM bank_cards").fetchone() == (0,)
    assert bank.store.for_user("ana").item(asked.bank_key).reps == 0


def test_a_library_from_before_per_user_cards_keeps_them_as_the_default_users(tmp_path):
    home = tmp_path / "v4-home"
    home.mkdir()
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    for migration in MIGRATIONS[:4]:
        migration(db)
    db.execute("PRAGMA user_version = 4")
    db.execute(
        "INSERT INTO bank_items (item_key, passage_hash, slot, kind, item_json, source, "
        "heading_path, start_line, end_line, made_by, verification, status, created_at, "
        "card_state, card_step, stability, difficulty, due, last_review, reps) VALUES "
        "('key-1', 'hash-1', 'x:qa:0', 'flashcard', ?, '/notes/a.md', '[\"梯度裁剪\"]', 3, 4, "
        "'extracted:qa', '{}', 'active', '2026-01-01T00:00:00.000000+00:00', 2, NULL, 3.5, "
        "5.0, '2026-01-09T00:00:00.000000+00:00', '2026-01-02T00:00:00.000000+00:00', 2)",
        (_item_json(),),
    )
    db.commit()
    db.close()
    from assistant.bank_store import BankStore

    store = BankStore.open(home)
    kept = store.item("key-1")
    assert (kept.reps, kept.card.stability, kept.card.state) == (2, 3.5, 2)
    fresh = store.for_user("ana").item("key-1")
    assert (fresh.reps, fresh.card.stability, fresh.card.state) == (0, None, 1)
    store.close()


def _item_json() -> str:
    import json

    return json.dumps(
        {
            "kind": "flashcard",
            "question": "什么是梯度裁剪？",
            "options": [],
            "answer_index": None,
            "answer": "限制梯度",
            "explanation": "",
            "citation": {
                "number": 1,
                "chunk_id": 1,
                "source": "/notes/a.md",
                "heading": "梯度裁剪",
                "start_line": 3,
                "end_line": 4,
            },
            "passage": "梯度裁剪：限制梯度",
            "generated": False,
        },
        ensure_ascii=False,
    )


@pytest.mark.parametrize(("user", "role"), [("ana", "student"), ("tess", "teacher")])
def test_only_the_teacher_sees_the_banks_pause_and_export_controls(
    fake_models, tmp_path, monkeypatch, user, role
):
    """The Practice page in class mode (AppTest, signed in as the account): a student sees
    the bank's progress and practises; pausing the worker and exporting are the teacher's."""
    from conftest import REPO_ROOT
    from streamlit.testing.v1 import AppTest

    from ui.class_mode_accounts import add_account
    from ui.cli import main

    home = tmp_path / "home"
    note = tmp_path / "notes" / "mini.md"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    assert main(["--home", str(home), "ingest", str(note)]) == 0
    add_account(home, user, role, "a long enough password")
    for name, value in (
        ("STUDY_HOME", str(home)),
        ("STUDY_UI_LANGUAGE", "en"),
        ("STUDY_CLASS_MODE", "on"),
        ("STUDY_BANK_WORKER", "off"),
    ):
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(REPO_ROOT / "ui" / "app.py"), default_timeout=30)
    app.session_state["authentication_status"] = True  # as the login form leaves it
    app.session_state["username"] = user
    app.session_state["roles"] = [role]
    app.run()
    app.switch_page("screens/practice.py").run()
    assert not app.exception, app.exception
    assert any(c.value.startswith("question bank: ") for c in app.caption)
    labels = {button.label for button in app.button}
    assert {"Start practice", "Log out"} <= labels, labels  # signed in, practising
    exports = {"Export Anki deck", "Export CSV"} & labels
    assert exports == (set() if role == "student" else {"Export Anki deck", "Export CSV"})
