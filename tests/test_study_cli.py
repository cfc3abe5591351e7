"""Study memory over a real library (a copy of the sample notes' home): topics from duplicate
groups, history surviving edits, removal and re-ingest, and ``study quiz/review/progress/
history`` through the real CLI. Without an LLM (extractive items, exact MCQ grading) except the
last test, which asks the real model for one fresh review question."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from assistant_support import assistant_fixture, generator_fixture  # noqa: F401 (fixtures)
from fsrs import Card, Rating, Scheduler

from assistant.bank import QuestionBank
from assistant.generator import UnavailableGenerator
from assistant.grading import Grade
from assistant.quiz import item_on_chunk, question_of
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from ground.question_key import question_key
from ground.records import Chunk, Hit
from index.library import Library
from memory.study_memory import StudyMemory
from ui.cli import main

NO_MODEL = UnavailableGenerator("not needed by this test")
ORACLE_RATINGS = {"correct": Rating.Good, "partial": Rating.Hard, "incorrect": Rating.Again}


@pytest.fixture
def offline_settings(sample_library, tmp_path):
    """A private copy of the sample library's home, with no LLM (so nothing loads it)."""
    home = tmp_path / "home"
    shutil.copytree(sample_library.settings.home, home, ignore=shutil.ignore_patterns("*.lock"))
    return sample_library.settings.replace(home=home, llm_model=str(tmp_path / "absent.gguf"))


def item_for(chunk: Chunk) -> QuizItem:
    return QuizItem(
        "short",
        question_of(chunk.heading_path[-1]),
        (),
        None,
        "参考答案",
        "",
        Citation.of(1, Hit(chunk, 0.0)),
        chunk.text[:200],
        False,
    )


def graded(item: QuizItem, verdict: str) -> Grade:
    return Grade(verdict, "" if verdict == "correct" else item.answer, item.answer, item.citation)


def oracle_due(answers) -> datetime:
    fsrs = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1)
    for answer in sorted(answers, key=lambda a: a.answered_at):
        card, _ = fsrs.review_card(card, ORACLE_RATINGS[answer.verdict], answer.answered_at)
    return card.due


def test_the_same_question_in_two_files_and_its_repeats_are_one_topic(offline_settings):
    """什么是卷积神经网络（CNN）？ is asked twice in one file (a duplicate group) and once in
    another file with a different answer: one topic. Another question is a topic of its own."""
    t0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        chunks = library.chunks()
        cnn = [c for c in chunks if question_key(c.heading_path) == "什么是卷积神经网络"]
        assert len({c.doc_id for c in cnn}) == 2 and any(c.group_id for c in cnn)
        for number, chunk in enumerate(cnn):
            verdict = "correct" if number % 2 else "incorrect"
            memory.record(item_for(chunk), "…", graded(item_for(chunk), verdict), now=t0)
        other = next(c for c in chunks if "正则化" in c.heading_path[-1])
        memory.record(item_for(other), "…", graded(item_for(other), "correct"), now=t0)
        topics = {t.key: t for t in memory.mastery(now=t0)}
        assert len(topics) == 2
        merged = topics["question:什么是卷积神经网络"]
        assert (merged.items, merged.attempts) == (len(cnn), len(cnn))
        assert merged.label.startswith("什么是卷积神经网络") and len(merged.sources) == 2
        assert set(merged.chunk_ids) == {c.id for c in cnn}
        assert topics[f"question:{question_key(other.heading_path)}"].attempts == 1


NOTE = """# 小笔记

## 什么是梯度裁剪？

答案：梯度裁剪给梯度的范数设一个上限，超过阈值就按比例缩小，用来防止梯度爆炸。

## 什么是早停？

答案：早停在验证集损失连续若干轮不再下降时停止训练，以免过拟合。
"""


def test_history_survives_edits_removal_and_reingest(offline_settings, tmp_path):
    note = tmp_path / "notes" / "mini.md"
    note.parent.mkdir()
    note.write_text(NOTE, encoding="utf-8")
    t0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        library.ingest([note])
        doc = library.store.document(str(note))
        clipping, stopping = library.chunks(doc.id)
        for chunk in (clipping, stopping):
            memory.record(item_for(chunk), "…", graded(item_for(chunk), "incorrect"), now=t0)
        topics_before = {i.item_key: i.topic for i in memory.items()}

        note.write_text(NOTE.replace("按比例缩小", "按比例缩小（clip_grad_norm）"), "utf-8")
        library.ingest([note])  # the clipping passage changed: new chunk, same place
        edited = next(c for c in library.chunks(doc.id) if "clip_grad_norm" in c.text)
        links = {i.item_key: i.chunk_id for i in memory.items()}
        assert links == {clipping.content_hash: edited.id, stopping.content_hash: stopping.id}

        library.remove(doc.id)  # history stays, unlinked, still scheduled
        due = memory.due(now=t0 + timedelta(hours=1))
        assert len(due) == 2 and all(entry.chunk_id is None for entry in due)
        assert {i.item_key: i.topic for i in memory.items()} == topics_before
        asked = memory.review_item(due[0])
        assert asked.question == due[0].question
        memory.record(
            asked, "…", graded(asked, "correct"), now=t0 + timedelta(hours=1), review_of=due[0]
        )

        library.ingest([note])  # back again, with new chunk ids: re-linked
        chunks = library.chunks(library.store.document(str(note)).id)
        relinked = {i.item_key: i.chunk_id for i in memory.items()}
        assert (
            relinked[stopping.content_hash]
            == next(c.id for c in chunks if c.content_hash == stopping.content_hash)
            != stopping.id
        )
        assert relinked[clipping.content_hash] == next(
            c.id for c in chunks if "clip_grad_norm" in c.text
        )
        assert sum(t.attempts for t in memory.mastery(now=t0 + timedelta(hours=2))) == 3


def test_review_progress_and_history_through_the_cli(
    offline_settings, tmp_path, monkeypatch, capsys
):
    flags = ["--home", str(offline_settings.home), "--llm-model", offline_settings.llm_model]
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        items = [
            item
            for chunk in library.chunks()[5:40:7]
            if (item := item_on_chunk(library, NO_MODEL, chunk, "mcq")) is not None
        ][:3]
        assert len(items) == 3
        for item, verdict in zip(items, ("correct", "incorrect", "partial"), strict=True):
            memory.record(item, "…", graded(item, verdict), now=three_days_ago)
        before = {i.item_key: i.card.due for i in memory.items()}

    monkeypatch.setattr("sys.stdin", io.StringIO("A\nB\n"))
    assert main([*flags, "review", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 due for review; asking 2")
    assert out.count("next review: in") == 2 and "1 still due" in out

    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        answers = memory.answers()
        reviewed = [i for i in memory.items() if len(answers[i.id]) == 2]
        assert len(reviewed) == 2
        for entry in reviewed:  # the due date fsrs gives for the whole answer sequence
            assert entry.card.due == oracle_due(answers[entry.id]) != before[entry.item_key]
        assert memory.due_count() == 1

    monkeypatch.setattr("sys.stdin", io.StringIO("C\n"))
    assert main([*flags, "review"]) == 0
    out = capsys.readouterr().out
    assert "nothing due, next review at" in out.splitlines()[-1]

    monkeypatch.setattr("sys.stdin", io.StringIO("A\n"))
    assert main([*flags, "quiz", "-n", "1", "--seed", "3"]) == 0  # quiz answers are recorded
    assert "next review: in" in capsys.readouterr().out
    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        practised = len(memory.items())  # 3, or 4 if the quiz chose another passage

    assert main([*flags, "progress"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == [
        "topic",
        "attempts",
        "correct",
        "last",
        "practised",
        "stability",
        "due",
        "mastery",
    ]
    assert main([*flags, "progress", "--json"]) == 0
    progress = json.loads(capsys.readouterr().out)["topics"]
    assert len(progress) >= 3 and sum(t["attempts"] for t in progress) == 3 + 3 + 1
    assert [t["mastery"] for t in progress] == sorted(t["mastery"] for t in progress)
    assert all(t["label"][:6] in table for t in progress)

    exported = tmp_path / "moving.json"
    assert main([*flags, "history", "export", str(exported)]) == 0
    assert f"exported {practised} practised items and 7 answers" in capsys.readouterr().out
    new_home = ["--home", str(tmp_path / "new-machine")]
    assert main([*new_home, "history", "import", str(exported)]) == 0
    assert f"imported {practised} new practised items and 7 answers" in capsys.readouterr().out
    assert main([*new_home, "progress", "--json"]) == 0
    moved = json.loads(capsys.readouterr().out)["topics"]

    def comparable(topics):
        return [
            {k: v for k, v in t.items() if k not in ("chunk_ids", "recall", "mastery")}
            for t in topics
        ]

    assert comparable(moved) == comparable(progress)  # no library there: nothing to link


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason=(
    "issue 16: the on-demand path runs the verifier's model-free checks (key stated by the "
    "passage, no distractor stated), and the 1.5B model's true/false drafts on this passage are "
    "often turned down in both attempts (fresh-clone run, 28 Nov); the review then falls back "
    "to the stored item reshuffled"))
def test_review_asks_a_fresh_question_on_the_same_passage(assistant, offline_settings):
    """A due item comes back as another banked question on the same passage, at once; when the
    bank holds none there (all reported), the model writes a new one citing the same chunk (a
    true/false item: the shortest JSON to generate, about half the time of an MCQ)."""
    with Library.open(offline_settings) as library, StudyMemory.open(library) as memory:
        QuestionBank.open(library).close()  # cards extracted from the notes, as at ingest
        chunk = next(c for c in library.chunks() if "梯度裁剪" in c.heading)
        stored = item_on_chunk(library, NO_MODEL, chunk, "truefalse")
        t0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
        memory.record(stored, "错", graded(stored, "incorrect"), now=t0)
        (entry,) = memory.due(now=t0 + timedelta(days=1))
        banked = memory.review_item(entry, assistant.generator)
        assert banked.bank_key and banked.citation.chunk_id == chunk.id
        assert banked.question != stored.question
        with QuestionBank.open(library) as bank:
            for item in bank.items_on(chunk.content_hash):
                assert memory.report(item)
            assert bank.items_on(chunk.content_hash) == []
        fresh = memory.review_item(entry, assistant.generator)
        assert fresh.generated and fresh.citation.chunk_id == chunk.id
        assert fresh.question != stored.question and fresh.kind == "truefalse"
        recorded = memory.record(
            fresh, "对", assistant.grade(fresh, "对"), now=t0 + timedelta(days=1)
        )
        assert recorded.item_id == entry.id and not recorded.new_item
