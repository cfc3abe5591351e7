"""Study memory on real SQLite and real PostgreSQL (``study_backend``: every test that stores
history runs on both, ``tests/pg_support.py``) with an injected clock: scheduling (fsrs as the
oracle), a week of reviews, mastery order, and export/import round trips. Items are built by
hand (plumbing); no model is loaded, so this file runs in seconds."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler
from pg_support import (  # noqa: F401 (postgres_server_fixture, study_backend_fixture: fixtures)
    StudyBackend,
    postgres_server_fixture,
    study_backend_fixture,
)

from assistant.grading import Grade
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from ground.database import LIBRARY_FILE_NAME
from ground.schema import MIGRATIONS, SCHEMA_VERSION
from ground.settings import Settings
from index.library import Library
from memory import mastery
from memory.history_file import HistoryFileError
from memory.study_memory import StudyMemory
from ui.cli import main
from ui.commands import study_cmd

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday morning
ORACLE_RATINGS = {"correct": Rating.Good, "partial": Rating.Hard, "incorrect": Rating.Again}


class Clock:
    """The time study memory sees; tests move it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def open_memory(home, clock: Clock, backend: StudyBackend | None = None) -> StudyMemory:
    """A library at ``home`` with its study memory where ``backend`` keeps it (a fresh,
    empty history on PostgreSQL; SQLite's is in the home)."""
    env = backend.env() if backend is not None else {}
    library = Library.open(Settings.load(home=home, env=env))
    return StudyMemory.open(library, clock=clock)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def memory(tmp_path, clock, study_backend):
    opened = open_memory(tmp_path / "home", clock, study_backend)
    yield opened
    opened.close()
    opened.library.close()


def item(n: int, heading: str | None = None, kind: str = "mcq") -> QuizItem:
    """A practice item on section ``n`` of notes that are not in the library (hand-made)."""
    heading = heading or f"面试题 > 题目 {n}：概念{n}是什么？"
    citation = Citation(1, 90_000 + n, f"/notes/file{n % 3}.md", heading, 10 * n, 10 * n + 5)
    options = (f"定义{n}", f"错误{n}a", f"错误{n}b", f"错误{n}c")
    return QuizItem(
        kind,
        f"概念{n}是什么？",
        options,
        0,
        options[0],
        f"概念{n}就是定义{n}。",
        citation,
        f"概念{n}的答案：定义{n}。",
        False,
    )


def grade(quiz_item: QuizItem, verdict: str) -> Grade:
    missing = "" if verdict == "correct" else quiz_item.answer
    return Grade(verdict, missing, quiz_item.answer, quiz_item.citation)


def answer(memory: StudyMemory, quiz_item: QuizItem, verdict: str, now=None, review_of=None):
    return memory.record(
        quiz_item,
        "A" if verdict == "correct" else "B",
        grade(quiz_item, verdict),
        now=now,
        review_of=review_of,
    )


def oracle_card(answers: list[tuple[datetime, str]]) -> Card:
    """What fsrs itself makes of the answers (no fuzz, as study memory schedules)."""
    fsrs = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1, due=answers[0][0])
    for moment, verdict in answers:
        card, _ = fsrs.review_card(card, ORACLE_RATINGS[verdict], moment)
    return card


# --- scheduling -------------------------------------------------------------------------


def test_each_answer_moves_the_due_date_exactly_as_fsrs_does(memory):
    quiz_item = item(1)
    given: list[tuple[datetime, str]] = []
    plan = [
        (T0, "correct"),
        (T0 + timedelta(minutes=12), "correct"),
        (T0 + timedelta(days=3), "partial"),
        (T0 + timedelta(days=9), "incorrect"),
        (T0 + timedelta(days=9, minutes=15), "correct"),
        (T0 + timedelta(days=12), "correct"),
    ]
    for moment, verdict in plan:
        recorded = answer(memory, quiz_item, verdict, now=moment)
        given.append((moment, verdict))
        expected = oracle_card(given)
        assert recorded.due == expected.due, (moment, verdict)
        stored = memory.items()[0]
        assert stored.card.due == expected.due
        assert stored.card.stability == pytest.approx(expected.stability, rel=1e-12)
        assert stored.card.difficulty == pytest.approx(expected.difficulty, rel=1e-12)
        assert stored.card.state == int(expected.state)
    assert len(memory.items()) == 1 and len(memory.answers()[memory.items()[0].id]) == 6


def test_a_correct_answer_schedules_later_than_a_partial_or_wrong_one(memory):
    for n, verdict in ((1, "correct"), (2, "partial"), (3, "incorrect")):
        answer(memory, item(n), verdict, now=T0)
    first = {i.question: i.card.due for i in memory.items()}
    assert first["概念1是什么？"] > first["概念2是什么？"] > first["概念3是什么？"] > T0
    # once learnt (two correct answers), the same verdicts a week later spread by days
    later = T0 + timedelta(days=7)
    dues = {}
    for n, verdict in ((4, "correct"), (5, "partial"), (6, "incorrect")):
        answer(memory, item(n), "correct", now=T0)
        answer(memory, item(n), "correct", now=T0 + timedelta(minutes=10))
        dues[verdict] = answer(memory, item(n), verdict, now=later).due
    assert dues["correct"] - later > timedelta(days=5)
    assert dues["correct"] > dues["partial"] > later + timedelta(days=1)
    assert dues["incorrect"] - later < timedelta(hours=1)  # relearning step


def test_a_week_of_daily_reviews_produces_the_queue_fsrs_predicts(memory, clock):
    """Four items practised on Monday 9:00; every morning at 9:00 the due ones are reviewed."""
    scripts = {  # the verdicts of each item's answers, in order (the last one repeats)
        1: ["correct"],
        2: ["partial", "partial", "correct"],
        3: ["incorrect"],
        4: ["correct", "incorrect", "correct"],
    }

    def verdict(n: int, given: list) -> str:
        return scripts[n][min(len(given), len(scripts[n]) - 1)]

    oracle: dict[int, list[tuple[datetime, str]]] = {n: [] for n in scripts}
    for n in scripts:
        answer(memory, item(n), verdict(n, oracle[n]))
        oracle[n].append((T0, verdict(n, [])))
    queues, oracle_queues = [], []
    for day in range(1, 8):
        clock.now = T0 + timedelta(days=day)
        due = memory.due()
        queue = [int(entry.question.removeprefix("概念").removesuffix("是什么？")) for entry in due]
        predicted = sorted((oracle_card(given).due, n) for n, given in oracle.items())
        oracle_queues.append([n for due_at, n in predicted if due_at <= clock.now])
        queues.append(queue)
        assert memory.due_count() == len(queue)
        for entry, n in zip(due, queue, strict=True):
            said = verdict(n, oracle[n])
            answer(memory, memory.review_item(entry), said, review_of=entry)
            oracle[n].append((clock.now, said))
        upcoming = min(oracle_card(given).due for given in oracle.values())
        assert memory.next_due() == upcoming
    assert queues == oracle_queues
    # What fsrs says, spelled out. Tuesday: all four are back (learning steps are minutes),
    # most overdue first: the wrong one (1 min), the partial one (5.5 min), then the right
    # ones (10 min). Item 3, always wrong, comes every day. A partial answer (Hard) keeps item 2
    # at its learning step, so it returns daily until answered correctly twice (Wed, Thu).
    # Item 1 graduates on Tuesday to an interval beyond the week; item 4 lapses on Tuesday,
    # relearns Wednesday and Thursday, and its shorter interval brings it back on Monday.
    assert queues == [[3, 2, 1, 4], [3, 4, 2], [3, 2, 4], [3], [3], [3], [3, 4]]
    assert sum(len(v) for v in memory.answers().values()) == 4 + sum(map(len, queues))


def test_a_review_reuses_the_stored_item_with_its_options_reshuffled(memory):
    quiz_item = item(7)
    answer(memory, quiz_item, "incorrect", now=T0)
    entry = memory.due(now=T0 + timedelta(hours=1))[0]
    asked = memory.review_item(entry)  # no assistant: the stored question again
    assert asked.question == quiz_item.question and asked.options != quiz_item.options
    assert asked.options[asked.answer_index] == quiz_item.answer
    recorded = answer(memory, asked, "correct", now=T0 + timedelta(hours=1))
    assert not recorded.new_item and len(memory.items()) == 1  # the same card, found again


# --- mastery ----------------------------------------------------------------------------


def test_mastery_orders_topics_weakest_first_for_a_constructed_history(memory, clock):
    now = T0 + timedelta(days=60)
    clock.now = now
    history = {  # topic heading: [(days before now, verdict), ...]
        "A 复习多次且都对": [
            (30, "correct"),
            (29.99, "correct"),
            (20, "correct"),
            (8, "correct"),
            (1, "correct"),
        ],
        "B 昨天答对一次": [(1, "correct")],
        "C 两月前答对一次": [(59, "correct")],
        "D 对一次错一次": [(5, "correct"), (2, "incorrect")],
        "E 部分正确两次": [(4, "partial"), (2, "partial")],
        "F 总是答错": [(6, "incorrect"), (3, "incorrect"), (1, "incorrect")],
    }
    for n, (heading, answers) in enumerate(history.items(), start=1):
        for days, verdict in answers:
            answer(memory, item(n, f"笔记 > {heading}"), verdict, now=now - timedelta(days=days))
    topics_ = memory.mastery()
    # half right recently (D, E) is weaker than fully right two months ago (C), which has
    # faded below fully right yesterday (B)
    assert [t.label.split()[0] for t in topics_] == ["F", "D", "E", "C", "B", "A"]
    assert all(0.0 <= t.score <= mastery.evidence(t.correct, t.partial, t.attempts) <= 1.0
               for t in topics_)  # never more than the answers showed
    by_label = {t.label.split()[0]: t for t in topics_}
    assert (by_label["A"].attempts, by_label["A"].share_correct) == (5, 1.0)
    assert by_label["E"].share_correct == 0.5 and by_label["F"].share_correct == 0.0
    assert by_label["A"].stability_days > by_label["B"].stability_days
    assert by_label["B"].recall > by_label["C"].recall  # recency
    assert by_label["B"].last_practised == now - timedelta(days=1)
    assert [t.key for t in memory.weakest(2)] == [t.key for t in topics_[:2]]
    table = study_cmd.progress_table(topics_, now)
    assert table.splitlines()[2].startswith("F 总是答错")


def test_a_topic_never_answered_right_is_not_shown_as_half_mastered(memory, clock):
    answer(memory, item(1, "笔记 > 只答错一次"), "incorrect", now=clock.now)
    (once,) = memory.mastery(now=clock.now)
    assert once.share_correct == 0.0 and once.score <= 0.25  # was 0.47: a half-full bar
    for days in (1, 2):
        answer(memory, item(1, "笔记 > 只答错一次"), "incorrect",
               now=clock.now + timedelta(days=days))
    (thrice,) = memory.mastery(now=clock.now + timedelta(days=2))
    assert thrice.score < once.score and thrice.score <= 0.125


def test_answers_on_the_same_section_count_toward_one_topic(memory):
    answer(memory, item(1, "笔记 > 正则化"), "correct", now=T0)
    second = item(2, "笔记 > 正则化")  # another passage under the same heading
    answer(memory, second, "incorrect", now=T0)
    (topic,) = memory.mastery(now=T0)
    assert (topic.items, topic.attempts, topic.label) == (2, 2, "正则化")
    assert topic.key == "heading:笔记 > 正则化"


# --- export / import --------------------------------------------------------------------


def build_history(memory: StudyMemory) -> None:
    for n in range(1, 6):
        answer(memory, item(n), "correct" if n % 2 else "incorrect", now=T0 + timedelta(hours=n))
    answer(memory, item(1), "correct", now=T0 + timedelta(days=1))
    answer(memory, item(2, kind="mcq"), "partial", now=T0 + timedelta(days=2))


def test_export_then_import_into_a_fresh_home_round_trips_exactly(
    memory, tmp_path, clock, study_backend
):
    build_history(memory)
    first = tmp_path / "history.json"
    written = memory.export(first)
    assert (written.items, written.answers) == (5, 7)
    fresh = open_memory(tmp_path / "other-home", clock, study_backend)
    imported = fresh.import_(first)
    assert (imported.items, imported.answers, imported.answers_known) == (5, 7, 0)
    second = tmp_path / "again.json"
    fresh.export(second)
    assert json.loads(first.read_text()) == json.loads(second.read_text())
    assert first.read_bytes() == second.read_bytes()  # same clock, so even exported_at
    now = T0 + timedelta(days=3)
    assert [t.as_json() for t in fresh.mastery(now)] == [t.as_json() for t in memory.mastery(now)]
    assert [(e.item_key, e.card) for e in fresh.due(now)] == [
        (e.item_key, e.card) for e in memory.due(now)
    ]
    again = fresh.import_(first)  # importing twice adds nothing
    assert (again.items, again.answers, again.answers_known) == (0, 0, 7)
    assert sum(map(len, fresh.answers().values())) == 7
    fresh.close()
    fresh.library.close()


def test_import_merges_answers_from_another_machine_and_replays_the_card(
    memory, tmp_path, clock, study_backend
):
    answer(memory, item(1), "correct", now=T0)
    exported = tmp_path / "laptop.json"
    memory.export(exported)
    laptop = open_memory(tmp_path / "laptop", clock, study_backend)
    laptop.import_(exported)
    answer(laptop, item(1), "correct", now=T0 + timedelta(minutes=20))  # on the laptop
    answer(laptop, item(2), "incorrect", now=T0 + timedelta(minutes=30))
    answer(memory, item(1), "incorrect", now=T0 + timedelta(days=2))  # meanwhile, at home
    laptop.export(exported)
    merged = memory.import_(exported)
    assert (merged.items, merged.answers, merged.answers_known) == (1, 2, 1)
    card = next(i.card for i in memory.items() if i.question == "概念1是什么？")
    expected = oracle_card(
        [
            (T0, "correct"),
            (T0 + timedelta(minutes=20), "correct"),
            (T0 + timedelta(days=2), "incorrect"),
        ]
    )
    assert card.due == expected.due and card.stability == pytest.approx(expected.stability)
    laptop.close()
    laptop.library.close()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('{"format": "something-else", "items": []}', "not a study history file"),
        ('{"format": "study-history", "version": 99, "items": []}', "newer study assistant"),
        ("__BAD_VERDICT__", "verdict 'maybe'"),
        ("__MISSING_CARD__", "item 2: card is not an object"),
    ],
)
def test_a_bad_history_file_fails_with_one_line_and_imports_nothing(
    memory, tmp_path, clock, content, reason, study_backend
):
    build_history(memory)
    good = tmp_path / "good.json"
    memory.export(good)
    data = json.loads(good.read_text())
    if content == "__BAD_VERDICT__":
        data["items"][3]["answers"][0]["verdict"] = "maybe"
        content = json.dumps(data)
    elif content == "__MISSING_CARD__":
        del data["items"][1]["card"]
        content = json.dumps(data)
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    fresh = open_memory(tmp_path / "fresh", clock, study_backend)
    with pytest.raises(HistoryFileError) as raised:
        fresh.import_(bad)
    message = str(raised.value)
    assert "\n" not in message and str(bad) in message and reason in message
    assert fresh.items() == [] and fresh.answers() == {}
    fresh.close()
    fresh.library.close()


def test_history_cli_reports_a_bad_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "notes.json"
    bad.write_text('{"format": "study-history", "version": 1, "items": [{"item_key": 3}]}')
    code = main(["--home", str(tmp_path / "home"), "history", "import", str(bad)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0
    assert err.startswith(f"error: {bad}: item 1: ")


def test_export_replaces_the_file_atomically(memory, tmp_path):
    build_history(memory)
    target = tmp_path / "out.json"
    target.write_text("old")
    memory.export(target)
    assert json.loads(target.read_text())["format"] == "study-history"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json")] == []


def test_a_library_from_before_study_memory_is_upgraded_in_place(tmp_path, clock):
    home = tmp_path / "old-home"
    home.mkdir()
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO meta (key, value) VALUES ('kept', 'yes')")
    db.commit()
    db.close()
    memory = open_memory(home, clock)
    answer(memory, item(1), "correct", now=T0)
    assert len(memory.items()) == 1
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    assert db.execute("SELECT value FROM meta WHERE key = 'kept'").fetchone() == ("yes",)
    db.close()


def test_a_failed_commit_rolls_the_answer_back_and_the_next_one_lands(tmp_path, clock):
    """A COMMIT that fails (here: a deferred foreign key, checked only at COMMIT; on a real
    machine, a full disk) leaves no half-recorded answer and no transaction left open, so the
    student's next answer is stored normally. Real SQLite and the real transaction helper: a
    TEMP trigger on study memory's own connection writes a dangling deferred reference with
    every answer, and SQLite refuses the COMMIT. (PostgreSQL's own case:
    ``test_study_memory_postgres.py``.)"""
    memory = open_memory(tmp_path / "home", clock)
    db = memory.log.database.connection
    db.execute("CREATE TEMP TABLE commit_gate (id INTEGER PRIMARY KEY)")
    db.execute(
        "CREATE TEMP TABLE commit_ticket (gate INTEGER "
        "REFERENCES commit_gate(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    db.execute(
        "CREATE TEMP TRIGGER fail_at_commit AFTER INSERT ON main.study_answers "
        "BEGIN INSERT INTO commit_ticket (gate) VALUES (-1); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        answer(memory, item(1), "correct", now=T0)
    assert not db.in_transaction
    assert memory.items() == [] and memory.answers() == {}
    assert db.execute("SELECT COUNT(*) FROM commit_ticket").fetchone() == (0,)

    db.execute("DROP TRIGGER fail_at_commit")
    recorded = answer(memory, item(1), "correct", now=T0)
    assert recorded.new_item and [i.id for i in memory.items()] == [recorded.item_id]
    assert sum(len(a) for a in memory.answers().values()) == 1
    memory.close()
    memory.library.close()
