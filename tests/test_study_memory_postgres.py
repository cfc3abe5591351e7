"""Study memory where PostgreSQL differs from SQLite: an unreachable server is one line naming
the URL (password masked), the schema is migrated once and a newer one refused, a failed COMMIT
leaves nothing behind, a lost connection fails one call and the next reconnects, two app
servers answering at once lose nothing, and items re-link to the library's passages although
those stay in its SQLite file (run on both backends). A real server (``tests/pg_support.py``),
hand-made items and the fake embedder: seconds."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from datetime import timedelta

import psycopg
import pytest
from browser_support import free_port
from pg_support import (  # noqa: F401 (postgres_server_fixture, study_backend_fixture: fixtures)
    StudyBackend,
    postgres_server_fixture,
    study_backend_fixture,
)
from test_study_memory import T0, Clock, answer, build_history, grade, item, open_memory

from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from ground.database import LIBRARY_FILE_NAME
from ground.errors import LibraryStateError
from ground.records import Hit
from ground.settings import Settings
from memory.study_database import open_study_database
from memory.study_memory import StudyMemory
from memory.study_schema_postgres import SCHEMA_VERSION
from ui.cli import main

NOTE = """# 训练技巧

## 什么是梯度裁剪？

答案：梯度裁剪在反向传播后把梯度范数限制在阈值以内，防止梯度爆炸。

## 什么是早停？

答案：早停在验证集损失连续若干轮不再下降时停止训练，以免过拟合。
"""


def test_an_unreachable_server_is_one_line_naming_the_url_without_its_password(
    tmp_path, monkeypatch, capsys
):
    url = f"postgresql://ana:s3cret@127.0.0.1:{free_port()}/study"  # nothing listens there
    settings = Settings.load(home=tmp_path / "home", env={"STUDY_DATABASE_URL": url})
    with pytest.raises(LibraryStateError) as raised:
        open_study_database(settings)
    message = str(raised.value)
    masked = url.replace("s3cret", "***")
    assert message.startswith(f"study database {masked}: cannot connect (")
    assert "\n" not in message and "s3cret" not in message
    monkeypatch.setenv("STUDY_DATABASE_URL", url)
    code = main(["--home", str(tmp_path / "home"), "progress"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith(f"error: study database {masked}: cannot connect")
    assert err.count("\n") == 0 and "s3cret" not in err


@pytest.mark.postgres
def test_the_schema_is_migrated_once_and_a_newer_one_refused(postgres_server, tmp_path):
    url = postgres_server.fresh_url()
    settings = Settings.load(home=tmp_path / "home", env={"STUDY_DATABASE_URL": url})
    for _ in range(2):  # a second server starting finds the tables made
        database = open_study_database(settings)
        assert database.query("SELECT version FROM study_schema") == [(SCHEMA_VERSION,)]
        assert database.query("SELECT COUNT(*) FROM study_items") == [(0,)]
        database.close()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("UPDATE study_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(LibraryStateError, match=f"schema {SCHEMA_VERSION + 1} is newer"):
        open_study_database(settings)


@pytest.mark.postgres
def test_a_failed_commit_on_postgres_leaves_nothing_and_the_next_answer_lands(
    postgres_server, tmp_path
):
    """A deferred constraint trigger refuses every COMMIT that stored an answer (as a full
    disk or a lost server would): the answer and its new item are rolled back together, the
    connection is idle again, and once the trigger goes the next answer is stored."""
    memory = open_memory(tmp_path / "home", Clock(T0), StudyBackend("postgres", postgres_server))
    connection = memory.log.database.connection
    connection.execute(
        "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'commit refused'; END $$"
    )
    connection.execute(
        "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON study_answers DEFERRABLE "
        "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"
    )
    with pytest.raises(psycopg.Error, match="commit refused"):
        answer(memory, item(1), "correct", now=T0)
    assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert memory.items() == [] and memory.answers() == {}
    connection.execute("DROP TRIGGER refuse_commit ON study_answers")
    recorded = answer(memory, item(1), "correct", now=T0)
    assert recorded.new_item and [i.id for i in memory.items()] == [recorded.item_id]
    memory.close()
    memory.library.close()


@pytest.mark.postgres
def test_two_app_servers_answering_the_same_new_item_at_once_lose_nothing(
    postgres_server, tmp_path
):
    """Two servers (two connections) record answers on one passage that neither has stored
    yet, from several threads at once: one item, every answer, and a card moved by each."""
    url = postgres_server.fresh_url()
    servers = [
        open_memory(
            tmp_path / f"home{n}", Clock(T0), StudyBackend("postgres", postgres_server, url)
        )
        for n in (1, 2)
    ]
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def answer_twice(memory: StudyMemory, n: int) -> None:
        start.wait()
        try:
            for k in range(2):
                answer(
                    memory.for_user("ana"),
                    item(1),
                    "correct",
                    now=T0 + timedelta(minutes=10 * k + n),
                )
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=answer_twice, args=(servers[n % 2], n)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    (stored,) = servers[0].for_user("ana").items()
    assert len(servers[1].for_user("ana").answers()[stored.id]) == 12
    assert stored.card.last_review is not None and stored.card.due > T0
    for memory in servers:
        memory.close()
        memory.library.close()


def test_items_relink_to_the_librarys_passages_on_either_backend(
    fake_settings, tmp_path, study_backend
):
    """The library's chunks stay in its SQLite file while the study tables may be in
    PostgreSQL: an edited passage re-links by place, a removed one unlinks, and a re-ingested
    one links to its new chunk, as on SQLite alone."""
    from fakes import FakeModelsLibrary

    note = tmp_path / "notes" / "mini.md"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    settings = fake_settings.replace(
        home=tmp_path / "home", database_url=study_backend.database_url()
    )
    with FakeModelsLibrary.open(settings) as library, StudyMemory.open(library) as memory:
        library.ingest([note])
        doc = library.store.document(str(note))
        clipping, stopping = library.chunks(doc.id)
        for chunk in (clipping, stopping):
            memory.record(_item_on(chunk), "…", grade(_item_on(chunk), "incorrect"), now=T0)

        note.write_text(NOTE.replace("阈值以内", "阈值以内（clip_grad_norm）"), "utf-8")
        library.ingest([note])
        edited = next(c for c in library.chunks(doc.id) if "clip_grad_norm" in c.text)
        links = {i.item_key: i.chunk_id for i in memory.items()}
        assert links == {clipping.content_hash: edited.id, stopping.content_hash: stopping.id}

        library.remove(doc.id)
        assert [entry.chunk_id for entry in memory.due(now=T0 + timedelta(hours=1))] == [None] * 2

        library.ingest([note])
        again = {c.content_hash: c.id for c in library.chunks(library.store.document(str(note)).id)}
        relinked = {i.item_key: i.chunk_id for i in memory.items()}
        assert relinked[stopping.content_hash] == again[stopping.content_hash] != stopping.id
        assert relinked[clipping.content_hash] == again[edited.content_hash]


def _item_on(chunk) -> QuizItem:
    citation = Citation.of(1, Hit(chunk, 0.0))
    return QuizItem(
        "short", chunk.heading_path[-1], (), None, "参考答案", "", citation, chunk.text[:200], False
    )


@pytest.mark.postgres
def test_a_lost_connection_fails_one_call_in_one_line_and_the_next_reconnects(
    postgres_server, tmp_path
):
    """The server drops study memory's connection (a restart, a network cut): the call in
    progress fails with one line naming the URL, and the next call connects again."""
    memory = open_memory(tmp_path / "home", Clock(T0), StudyBackend("postgres", postgres_server))
    answer(memory, item(1), "correct", now=T0)
    database = memory.log.database
    (pid,) = database.query("SELECT pg_backend_pid()")[0]
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(LibraryStateError) as raised:
        memory.items()
    message = str(raised.value)
    assert message.startswith(f"study database {database.where}: connection lost")
    assert "\n" not in message
    answer(memory, item(2), "correct", now=T0)  # connected again
    assert [i.question for i in memory.items()] == ["概念1是什么？", "概念2是什么？"]
    memory.close()
    memory.library.close()


def test_history_and_progress_through_the_cli_on_either_backend(
    tmp_path, monkeypatch, capsys, study_backend
):
    """``study history import`` and ``study progress --json`` with ``STUDY_DATABASE_URL``
    set (or not): the CLI's history lands where the setting says, and reads back."""
    source = open_memory(tmp_path / "source", Clock(T0))
    build_history(source)
    exported = tmp_path / "history.json"
    source.export(exported)
    expected = [t.label for t in source.mastery()]
    source.close()
    source.library.close()
    for name, value in study_backend.env().items():
        monkeypatch.setenv(name, value)
    home = str(tmp_path / "home")
    assert main(["--home", home, "history", "import", str(exported)]) == 0
    capsys.readouterr()
    assert main(["--home", home, "progress", "--json"]) == 0
    topics = json.loads(capsys.readouterr().out)["topics"]
    assert sorted(t["label"] for t in topics) == sorted(expected)
    assert sum(t["attempts"] for t in topics) == 7
    with closing(sqlite3.connect(tmp_path / "home" / LIBRARY_FILE_NAME)) as db:
        in_library_file = db.execute("SELECT COUNT(*) FROM study_answers").fetchone()[0]
    assert in_library_file == (7 if study_backend.name == "sqlite" else 0)
