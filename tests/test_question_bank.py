"""The question bank: cards at ingest, verification, serving, reporting, edits, export.

Real components throughout (the embedder, FAISS, SQLite, the ``study`` CLI in a subprocess);
the scripted generator (``bank_fakes``) only where plumbing is tested: the worker's kill test.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.bank import QuestionBank
from assistant.bank_export import _fields
from assistant.bank_records import BankItem
from assistant.bank_verify import verify
from assistant.bank_worker import MODEL_SLOTS
from assistant.generator import UnavailableGenerator
from assistant.grading import Grade, grade_cloze, grade_short
from assistant.quiz_schema import BLANK, QuizItem
from assistant.retrieval import Citation
from assistant.scheduler import CardState
from ground.database import LIBRARY_FILE_NAME
from index.library import Library
from memory.study_memory import StudyMemory

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "notes"


def study(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "STUDY_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], input=stdin, env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def lines_of(source: str, start: int, end: int) -> str:
    text = Path(source).read_text(encoding="utf-8").split("\n")
    return re.sub(r"\*\*|__|`|\s", "", "".join(text[start - 1:end]))


def flat(text: str) -> str:
    return re.sub(r"\*\*|__|`|\s", "", text)


# -- cards at ingest ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ingested_home(tmp_path_factory, embedding_model_dir) -> Path:
    """A home filled the way ``make run`` fills it: ``study ingest examples/notes``."""
    home = tmp_path_factory.mktemp("bank-home")
    done = study(home, "ingest", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    assert "question bank:" in done.stdout
    return home


def bank_rows(home: Path, sql: str, *params) -> list[tuple]:
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def test_the_sample_library_has_140_extracted_cards_right_after_ingest(ingested_home):
    rows = bank_rows(ingested_home, "SELECT item_json, source, start_line, end_line, made_by "
                     "FROM bank_items WHERE status = 'active'")
    assert len(rows) >= 140
    assert all(made_by.startswith("extracted:") for *_, made_by in rows)
    rules = {made_by for *_, made_by in rows}
    assert {"extracted:qa-heading", "extracted:qa-block", "extracted:definition",
            "extracted:bold-term"} <= rules
    statements = [json.loads(r[0]) for r in rows if json.loads(r[0])["kind"] == "truefalse"]
    assert {s["answer_index"] for s in statements} == {0, 1}  # true and false ones
    for item_json, source, start, end, _ in rows:
        item = json.loads(item_json)
        cited = lines_of(source, start, end)
        assert (item["citation"]["start_line"], item["citation"]["end_line"]) == (start, end)
        if item["kind"] == "cloze":  # the hidden term stands in the cited lines
            assert BLANK in item["question"]
            term = re.sub(r"[（(].*$", "", item["answer"]).strip()
            assert flat(term) in cited, (item, cited)
        elif item["kind"] == "truefalse":  # the cited line pairs the right term with it
            term, _, description = item["explanation"].partition("：")
            assert flat(term) in cited and flat(description)[:12] in cited, (item, cited)
            shown = item["question"].split("\n")[-1].split("：")[0]
            assert (shown == term) == (item["answer_index"] == 0), item
        else:  # every line of the back is text of the cited lines (outlines keep the terms)
            for line in item["answer"].split("\n"):
                words = flat(re.sub(r"^\d+\.\s*", "", line).split("：")[0].rstrip("…"))
                assert words[:12] in cited, (line, cited)


def test_cards_are_served_at_once_and_reported_cards_leave_the_bank(ingested_home):
    done = study(ingested_home, "quiz", "--topic", "梯度裁剪", "-n", "2", stdin="!\n")
    assert done.returncode == 0, done.stderr
    assert "Q1." in done.stdout and "reported" in done.stdout
    first = done.stdout.split("Q1. ", 1)[1].split("\n", 1)[0]
    reported = bank_rows(ingested_home, "SELECT item_json FROM bank_items WHERE status = "
                         "'reported'")
    assert [json.loads(row[0])["question"].split("\n")[0] for row in reported] == [first]
    again = study(ingested_home, "quiz", "--topic", "梯度裁剪", "-n", "5", "--json")
    assert first not in again.stdout


# -- verification -----------------------------------------------------------------------------


OVERFITTING_PASSAGE_LINES = (65, 93)  # 002_…txt: "3. 深度学习中如何防止过拟合？", as cited


def recorded_wrong_item() -> tuple[QuizItem, str]:
    """The MCQ of benchmarks/results/samples.md whose key is wrong (verbatim)."""
    source = SAMPLE / "002_1ceae295b216683d.txt"
    start, end = OVERFITTING_PASSAGE_LINES
    passage = "\n".join(source.read_text(encoding="utf-8").split("\n")[start - 1:end])
    options = ("正则化和 L2 正则化是相同的正则化方法", "正则化和 L2 正则化是不同的正则化方法",
               "L2 正则化是 L1 正则化的子集", "正则化是 L1 正则化的子集")
    question = "在深度学习中，正则化和 L2 正则化的区别是什么？"
    explanation = ("在深度学习中，正则化和 L2 正则化是不同的正则化方法。L1 正则化通过惩罚模型"
                   "参数的绝对值来防止过拟合，而 L2 正则化通过惩罚模型参数的平方来防止过拟合。")
    item = QuizItem("mcq", question, options, 0, options[0], explanation,
                    Citation(3, 65, str(source), "3. 深度学习中如何防止过拟合？", start, end),
                    passage, True)
    return item, passage


def test_the_recorded_wrong_item_is_rejected():
    item, passage = recorded_wrong_item()
    verdict = verify(item, passage)
    assert not verdict.accepted
    assert any("key is not stated" in reason for reason in verdict.reasons), verdict


def test_a_yes_no_question_dressed_as_an_mcq_and_a_giveaway_are_rejected():
    _, passage = recorded_wrong_item()
    citation = Citation(1, 1, "f.md", "h", 1, 2)
    options = ("否的", "不一定", "是的", "无法确定")
    yes_no = QuizItem("mcq", "数据增强能提高泛化能力吗？", options, 2, "是的", "", citation,
                      passage, True)
    assert "a yes/no question dressed as an MCQ" in verify(yes_no, passage).reasons
    key = "通过对原始数据进行变换，增加数据的多样性"
    options = (key, "减少训练轮数", "删除验证集", "提高学习率")
    giveaway = QuizItem("mcq", f"数据增强{key}，它的作用是什么？", options, 0, key, "", citation,
                        passage, True)
    assert "the question gives the answer away" in verify(giveaway, passage).reasons
    fair = QuizItem("mcq", "数据增强如何提高模型的泛化能力？", options, 0, key, "", citation,
                    passage, True)
    assert verify(fair, passage).accepted, verify(fair, passage)


def test_a_near_duplicate_of_a_banked_item_is_rejected(sample_library):
    _, passage = recorded_wrong_item()
    citation = Citation(1, 1, "f.md", "h", 1, 2)
    key = "通过对原始数据进行变换，增加数据的多样性"
    options = (key, "减少训练轮数", "删除验证集", "提高学习率")
    banked = QuizItem("mcq", "数据增强如何提高模型的泛化能力？", options, 0, key, "", citation,
                      passage, True)
    again = QuizItem("mcq", "数据增强是如何提高模型泛化能力的？", options, 0, key, "", citation,
                     passage, True)
    embedder = sample_library.embedder
    found = verify(again, passage, banked=[banked], embedder=embedder).reasons
    assert any("near-duplicate" in reason for reason in found), found
    other_key = "将数据集分割成多个子集，循环训练和验证"
    other = QuizItem("mcq", "交叉验证如何减少模型对特定数据子集的依赖？",
                     (other_key, "减少训练轮数", "删除验证集", "提高学习率"), 0, other_key, "",
                     citation, passage, True)
    assert verify(other, passage, banked=[banked], embedder=embedder).accepted


# -- grading ----------------------------------------------------------------------------------


def test_a_partial_short_answer_is_partial_and_names_what_is_missing(sample_library):
    citation = Citation(1, 1, "f.md", "h", 1, 2)
    item = QuizItem("short", "L1 正则化和 L2 正则化有什么区别？", (), None,
                    "L1 正则化惩罚权重绝对值的和，使权重稀疏。\n"
                    "L2 正则化惩罚权重平方的和，使权重变小。", "", citation, "", True)
    result = grade_short(item, "L1 正则化惩罚权重的绝对值，会让权重变得稀疏。",
                         UnavailableGenerator("test"), sample_library.embedder)
    assert result.verdict == "partial"
    assert "L2" in result.missing and "L1" not in result.missing
    assert result.expected == item.answer


def test_cloze_answers_accept_either_name_of_the_term():
    citation = Citation(1, 1, "f.md", "h", 1, 2)
    item = QuizItem("cloze", f"{BLANK}是一种限制梯度大小的方法。", (), None,
                    "梯度裁剪（Gradient Clipping）", "", citation, "", False)
    assert grade_cloze(item, "梯度裁剪").correct and grade_cloze(item, "gradient clipping").correct
    assert grade_cloze(item, "梯度下降").verdict == "incorrect"


# -- the background worker --------------------------------------------------------------------


CHILD = """
import sys, time
from pathlib import Path
sys.path[:0] = [{repo!r}, {tests!r}]
from bank_fakes import ScriptedGenerator
from assistant.bank_worker import BankWorker
from index.library import Library
from ground.settings import Settings

marker, hold_at = Path(sys.argv[1]), int(sys.argv[2])
class Holding(ScriptedGenerator):
    def stream(self, prompt, cancel=None):
        for piece in super().stream(prompt, cancel):
            if self.calls == hold_at:
                time.sleep(60)  # killed here, mid-item
            yield piece
library = Library.open(Settings.load())
worker = BankWorker(library, Holding(pause_marker=marker))
while worker.fill_one():
    pass
print("done")
"""


def outcomes(home: Path) -> dict[tuple[str, str], tuple]:
    items = bank_rows(home, "SELECT passage_hash, slot, id, item_key FROM bank_items "
                      "WHERE slot LIKE 'm:%'")
    rejected = bank_rows(home, "SELECT passage_hash, slot, id, reasons FROM bank_rejections")
    found: dict[tuple[str, str], tuple] = {}
    for h, slot, *rest in items + rejected:
        assert (h, slot) not in found, "a slot filled twice"
        found[(h, slot)] = tuple(rest)
    return found


def test_killing_the_worker_mid_item_loses_and_doubles_nothing(home, tmp_path,
                                                               embedding_model_dir):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(SAMPLE / "004_8e77f8e049ce3a31.txt", notes)
    assert study(home, "ingest", str(notes)).returncode == 0
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(repo=str(REPO), tests=str(Path(__file__).parent)))
    marker = tmp_path / "marker"
    env = {**os.environ, "STUDY_HOME": str(home)}
    child = subprocess.Popen([sys.executable, str(script), str(marker), "14"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (marker.exists() and marker.read_text() == "14"):
        assert child.poll() is None, child.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    before = outcomes(home)
    assert 0 < len(before)  # some slots were stored before the kill, the 14th call's was not
    pending_before = bank_rows(home, "SELECT COUNT(*) FROM bank_passages WHERE model_state = "
                               "'pending' AND status = 'active'")[0][0]
    assert pending_before > 0
    done = subprocess.run([sys.executable, str(script), str(marker), "0"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "done" in done.stdout, done.stderr
    after = outcomes(home)
    assert all(after[key] == value for key, value in before.items())  # nothing lost or changed
    passages = bank_rows(home, "SELECT passage_hash, model_state FROM bank_passages WHERE "
                         "status = 'active'")
    made = {h for h, state in passages if state == "done"}
    assert made and all(state in ("done", "skipped") for _, state in passages)
    slots = MODEL_SLOTS
    assert set(after) == {(h, slot) for h in made for slot in slots}  # each slot exactly once


# -- cards follow the notes -------------------------------------------------------------------


def test_editing_a_passage_sets_its_items_aside_and_carries_their_fsrs_state(
        tmp_path, model_settings, embedding_model_dir):
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "004.txt"
    shutil.copy(SAMPLE / "004_8e77f8e049ce3a31.txt", note)
    settings = model_settings.replace(home=tmp_path / "home")
    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    with Library.open(settings) as library:
        library.ingest([notes])
        bank = QuestionBank.open(library)
        memory = StudyMemory.open(library, clock=lambda: t0)
        asked = next(item for item in bank.serve("梯度裁剪", 50, now=t0)
                     if item.kind == "cloze" and "梯度大小" in item.question)
        memory.record(asked, "梯度裁剪", Grade("correct", "", asked.answer, asked.citation), t0)
        later = t0 + timedelta(minutes=15)
        memory.record(asked, "梯度裁剪", Grade("correct", "", asked.answer, asked.citation), later)
        old = bank.store.item(asked.bank_key)
        assert old.reps == 2 and old.card.stability is not None
        old_hash = old.passage_hash
        removed_heading = "题目 6：什么是优化器（Optimizer）？"
        gone_hash = next(p.passage_hash for p in bank.store.passages().values()
                         if removed_heading in p.heading_path[-1])
        text = note.read_text(encoding="utf-8")
        text = text.replace("一种限制梯度大小的方法", "一种把梯度大小限制在阈值以内的方法")
        start = text.index("#### " + removed_heading)
        end = text.index("#### 题目 7", start)
        note.write_text(text[:start] + text[end:], encoding="utf-8")
        library.ingest([notes])
        bank.sync()
        assert bank.store.item(asked.bank_key).status == "set_aside"
        passages = bank.store.passages()
        assert passages[old_hash].status == "changed"
        new_hash = passages[old_hash].replaced_by
        new_items = bank.store.items("active", [new_hash])
        carried = [item for item in new_items if item.slot == old.slot]
        assert len(carried) == 1 and "把梯度大小限制在阈值以内" in carried[0].item.question
        assert carried[0].note_changed and carried[0].card == old.card
        assert passages[gone_hash].status == "retired"
        assert bank.store.items("active", [gone_hash]) == []
        assert bank.store.items("retired", [gone_hash])  # kept, with their history
        assert memory.items()  # the study history is untouched
        memory.close()
        bank.close()


# -- export -----------------------------------------------------------------------------------


def test_the_anki_package_is_a_zip_holding_a_collection_with_every_item(ingested_home,
                                                                        tmp_path):
    out = tmp_path / "bank.apkg"
    done = study(ingested_home, "export", "anki", str(out))
    assert done.returncode == 0, done.stderr
    active = bank_rows(ingested_home, "SELECT item_key FROM bank_items WHERE status = 'active'")
    with zipfile.ZipFile(out) as package:
        assert "collection.anki2" in package.namelist()
        (tmp_path / "collection.anki2").write_bytes(package.read("collection.anki2"))
    collection = sqlite3.connect(tmp_path / "collection.anki2")
    guids = {row[0] for row in collection.execute("SELECT guid FROM notes")}
    decks = json.loads(collection.execute("SELECT decks FROM col").fetchone()[0])
    collection.close()
    assert guids == {row[0] for row in active}  # stable GUIDs: the items' keys
    assert sum(name["name"].startswith("Study notes::") for name in decks.values()) == 5
    again = tmp_path / "again.apkg"
    study(ingested_home, "export", "anki", str(again))
    with zipfile.ZipFile(again) as package:
        (tmp_path / "again.anki2").write_bytes(package.read("collection.anki2"))
    collection = sqlite3.connect(tmp_path / "again.anki2")
    assert {row[0] for row in collection.execute("SELECT guid FROM notes")} == guids
    collection.close()


def test_csv_export_names_source_heading_and_lines(ingested_home, tmp_path):
    out = tmp_path / "bank.csv"
    assert study(ingested_home, "export", "csv", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) >= 140
    assert all(row["source"].endswith(".txt") and int(row["start_line"]) <= int(row["end_line"])
               for row in rows)


def test_export_of_an_item_escapes_markup():
    citation = Citation(1, 1, "/n/a.md", "h", 3, 4)
    quiz = QuizItem("flashcard", "<img src=http://x/y.png> 什么？", (), None, "<script>x</script>",
                    "", citation, "", False)
    card = CardState(1, 0, None, None, datetime(2026, 1, 1, tzinfo=UTC), None)
    item = BankItem(1, "k" * 32, "h", "x:qa:0", quiz, "/n/a.md", ("A",), 3, 4,
                    "extracted:qa", "{}", "active", False, card, 0)
    front, back, *_ = _fields(item)
    assert "<img" not in front and "<script>" not in back


# -- the Practice page --------------------------------------------------------------------------


def test_practice_page_serves_the_bank_and_a_reported_question_leaves_it(
        monkeypatch, tmp_path, sample_library, model_settings):
    from streamlit.testing.v1 import AppTest

    home = tmp_path / "home"
    shutil.copytree(sample_library.settings.home, home, ignore=shutil.ignore_patterns("*.lock"))
    for name, value in (("STUDY_HOME", str(home)), ("STUDY_UI_LANGUAGE", "en"),
                        ("STUDY_MODEL_CACHE", str(model_settings.model_cache)),
                        ("STUDY_BANK_WORKER", "off")):
        monkeypatch.setenv(name, value)
    app = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=300)
    app.run()
    app.switch_page("screens/practice.py").run()
    assert not app.exception, app.exception
    assert any(c.value.startswith("question bank: ") for c in app.caption)
    app.text_input[0].set_value("梯度裁剪")
    app.slider[0].set_value(3)
    app.button[0].click().run()  # Start
    assert not app.exception, app.exception
    shown = "\n".join(m.value for m in app.markdown)
    assert "Question 1 of 3" in "\n".join(m.value for m in [*app.markdown, *app.caption])
    next(b for b in app.button if b.label.startswith("This question is wrong")).click().run()
    assert not app.exception, app.exception
    reported = bank_rows(home, "SELECT item_json FROM bank_items WHERE status = 'reported'")
    assert len(reported) == 1
    question = json.loads(reported[0][0])["question"].split("\n")[-1]
    assert question.replace("\\", "")[:20] in shown.replace("\\", "")
    after = "\n".join(m.value for m in app.markdown)
    assert question.replace("\\", "")[:20] not in after.replace("\\", "")  # the next one now
