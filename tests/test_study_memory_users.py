"""Per-user study memory (class mode) on real SQLite and real PostgreSQL (``study_backend``):
every study row carries its user, a student sees only their own history, and a library from
before users keeps its history as the default user's. Hand-made items (plumbing), no model:
this file runs in seconds."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from pg_support import (  # noqa: F401 (postgres_server_fixture, study_backend_fixture: fixtures)
    postgres_server_fixture,
    study_backend_fixture,
)
from test_study_memory import T0, Clock, answer, build_history, item, open_memory

from ground.database import LIBRARY_FILE_NAME
from ground.schema import DEFAULT_USER, MIGRATIONS


def test_two_students_each_see_only_their_own_history(tmp_path, study_backend):
    memory = open_memory(tmp_path / "home", Clock(T0), study_backend)
    ana, ben = memory.for_user("ana"), memory.for_user("ben")
    answer(ana, item(1), "correct", now=T0)
    answer(ana, item(2), "incorrect", now=T0 + timedelta(minutes=1))
    answer(ben, item(1), "incorrect", now=T0 + timedelta(minutes=2))  # the same passage
    assert [i.question for i in ana.items()] == ["概念1是什么？", "概念2是什么？"]
    assert [i.question for i in ben.items()] == ["概念1是什么？"]
    assert memory.items() == []  # the default user practised nothing
    ben_item = ben.items()[0]
    assert [a.verdict for a in ben.answers()[ben_item.id]] == ["incorrect"]
    assert ben_item.id not in ana.answers()
    assert {m.attempts for m in ana.mastery(T0)} == {1}
    assert sum(m.attempts for m in ben.mastery(T0)) == 1
    later = T0 + timedelta(days=400)
    assert (ana.due_count(later), ben.due_count(later), memory.due_count(later)) == (2, 1, 0)
    database = memory.log.database  # the rows as stored, in whichever database holds them
    rows = database.query("SELECT user_name, COUNT(*) FROM study_answers GROUP BY user_name")
    assert dict(rows) == {"ana": 2, "ben": 1}
    item_users = database.query("SELECT DISTINCT user_name FROM study_items")
    assert sorted(item_users) == [("ana",), ("ben",)]
    memory.close()
    memory.library.close()


def test_a_review_of_another_students_item_is_refused(tmp_path, study_backend):
    memory = open_memory(tmp_path / "home", Clock(T0), study_backend)
    ana, ben = memory.for_user("ana"), memory.for_user("ben")
    answer(ana, item(1), "correct", now=T0)
    anas_item = ana.items()[0]
    try:
        answer(ben, item(1), "correct", now=T0, review_of=anas_item)
    except Exception as error:  # noqa: BLE001 - the library's own error, whatever its class
        assert "is gone" in str(error)
    else:
        raise AssertionError("ben's answer moved ana's card")
    assert [a.verdict for a in ana.answers()[anas_item.id]] == ["correct"]
    assert ben.items() == []
    memory.close()
    memory.library.close()


def test_history_moves_between_users_by_export_and_import(tmp_path, study_backend):
    memory = open_memory(tmp_path / "home", Clock(T0), study_backend)
    build_history(memory.for_user("ana"))
    written = memory.for_user("ana").export(tmp_path / "ana.json")
    assert (written.items, written.answers) == (5, 7)
    assert memory.export(tmp_path / "default.json").answers == 0
    imported = memory.for_user("cai").import_(tmp_path / "ana.json")
    # answer ids are global: the same answers are known, so the file lands nowhere twice
    assert imported.answers_known == 7
    memory.close()
    memory.library.close()


def test_a_library_from_before_users_keeps_its_history_as_the_default_users(tmp_path):
    home = tmp_path / "v3-home"
    home.mkdir()
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    for migration in MIGRATIONS[:3]:
        migration(db)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO study_items (id, item_key, source, heading_path, chunk_id, topic_key, "
        "topic_label, question, item_json, created_at, card_state, due) VALUES (7, 'key-7', "
        "'/notes/a.md', '[\"梯度裁剪\"]', NULL, 'topic', '梯度裁剪', '什么是梯度裁剪？', ?, "
        "'2024-01-01T00:00:00.000000+00:00', 1, '2024-01-02T00:00:00.000000+00:00')",
        (_item_json(),),
    )
    db.execute(
        "INSERT INTO study_answers (uid, item_id, answered_at, question, item_json, response, "
        "verdict, missing, rating) VALUES ('answer-1', 7, '2024-01-01T00:00:00.000000+00:00', "
        "'什么是梯度裁剪？', ?, '限制梯度', 'correct', '', 3)",
        (_item_json(),),
    )
    db.commit()
    db.close()
    memory = open_memory(home, Clock(T0))
    assert memory.user == DEFAULT_USER
    (kept,) = memory.items()
    assert (kept.id, kept.question) == (7, "什么是梯度裁剪？")
    assert [a.uid for a in memory.answers()[7]] == ["answer-1"]
    assert memory.for_user("ana").items() == []
    answer(memory, item(1), "correct", now=T0)  # and the default user goes on practising
    assert len(memory.items()) == 2
    memory.close()
    memory.library.close()


def _item_json() -> str:
    import json

    return json.dumps(item(7).as_json(), ensure_ascii=False)
