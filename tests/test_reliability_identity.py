"""Which files make up *this* library (issue 17): SQLite URIs for any home path, index files
bound to the library's chunks, and a destroyed (0-byte) database told from a new empty one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliability_support import (
    assert_one_line_error,
    copy_library,
    library_snapshot,
    open_library,
    run_study,
)

from ground.database import LIBRARY_FILE_NAME
from index import doctor
from index.library import Library
from ingest.store import Store

TOPICS_A = ["梯度裁剪", "学习率预热", "权重衰减", "批归一化", "残差连接", "注意力机制", "早停",
            "数据增强", "标签平滑", "混合精度"]
TOPICS_B = ["红烧肉", "番茄炒蛋", "宫保鸡丁", "麻婆豆腐", "糖醋排骨", "鱼香肉丝", "回锅肉",
            "水煮鱼", "酸辣汤", "蛋炒饭"]


def _topic_notes(folder: Path, topics: list[str]) -> Path:
    folder.mkdir(parents=True)
    body = "\n\n".join(f"## {t}是什么？\n\n{t}的定义、作用和常见用法，{t}的要点。" for t in topics)
    (folder / "notes.md").write_text(f"# 笔记\n\n{body}\n", encoding="utf-8")
    return folder


def _library(tmp_path: Path, name: str, topics: list[str], sample_library) -> Library:
    settings = sample_library.settings.replace(home=tmp_path / name / "home")
    library = open_library(settings, sample_library)
    library.ingest([_topic_notes(tmp_path / name / "notes", topics)])
    return library


# -- 2. home paths with URI characters --------------------------------------------------------


@pytest.mark.parametrize("odd", ["a#b", "what?mode=rw", "100% sure", "x?y#z"])
def test_doctor_and_repair_on_a_home_named_with_uri_characters(tmp_path, sample_library, odd):
    settings = copy_library(sample_library, tmp_path / odd / "home")
    before = library_snapshot(settings.home)
    around = sorted(p.name for p in tmp_path.rglob("*") if settings.home not in p.parents)
    report = doctor.check(settings, sample_library.embedder.model_id)
    assert report.consistent, report.problems
    assert report.check_named("library database").detail.startswith("5 documents, 152 chunks")
    repaired = doctor.repair(settings)
    assert repaired.consistent, repaired.problems
    assert not any("moved the damaged library" in a for a in repaired.actions), repaired.actions
    assert not list(settings.home.glob(f"{LIBRARY_FILE_NAME}.corrupt-*"))
    assert library_snapshot(settings.home) == before  # the healthy library stayed in place
    after = sorted(p.name for p in tmp_path.rglob("*") if settings.home not in p.parents)
    assert after == around  # no empty database files made outside the home


# -- 8. index identity -------------------------------------------------------------------------


@pytest.mark.parametrize("copied", ["vectors and keywords", "the whole index folder"])
def test_a_foreign_index_of_the_same_size_is_detected_and_rebuilt(tmp_path, sample_library,
                                                                  copied):
    with (_library(tmp_path, "a", TOPICS_A, sample_library) as mine,
          _library(tmp_path, "b", TOPICS_B, sample_library) as foreign):
        ids = [c.id for c in mine.chunks()]
        assert ids == [c.id for c in foreign.chunks()]  # same size, even the same ids
        home, model_id = mine.settings.home, sample_library.embedder.model_id
        names = ["vectors", "lexical"] if copied.startswith("vectors") else [""]
        for name in names:
            shutil.rmtree(home / "index" / name)
            shutil.copytree(foreign.settings.home / "index" / name, home / "index" / name)
    report = doctor.check(mine.settings, model_id)
    assert not report.consistent
    details = " ".join(c.detail for c in report.problems)
    assert "other chunks than this library's" in details or "out of step" in details, details
    with open_library(mine.settings, sample_library) as reopened:
        hits = reopened.search("权重衰减是什么？", k=1, mode="dense")
        assert hits[0].chunk.heading.endswith("权重衰减是什么？")
        lexical = reopened.search("权重衰减", k=1, mode="lexical")
        assert lexical[0].chunk.heading.endswith("权重衰减是什么？")
    assert doctor.check(mine.settings, model_id).consistent


def test_a_zero_byte_database_is_reported_as_destroyed_not_taken_as_empty(tmp_path,
                                                                         sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    path = settings.home / LIBRARY_FILE_NAME
    path.write_bytes(b"")
    docs = run_study(settings, "docs")
    assert_one_line_error(docs, "empty file (0 bytes)", "doctor --repair")
    assert path.stat().st_size == 0  # nothing was written into it
    checked = run_study(settings, "doctor")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    line = next(x for x in checked.stdout.splitlines() if "library database" in x)
    assert line.startswith("PROBLEM") and "destroyed" in line
    repaired = doctor.repair(settings)
    assert any("moved the damaged library" in a for a in repaired.actions)
    assert any("ingest your notes" in a for a in repaired.actions)
    assert len(list(settings.home.glob(f"{LIBRARY_FILE_NAME}.corrupt-*"))) == 1


def test_a_new_library_is_never_a_zero_byte_file(tmp_path):
    home = tmp_path / "new"
    with Store.open(home) as store:
        assert store.documents() == []
    assert (home / LIBRARY_FILE_NAME).stat().st_size > 0
    assert not list(home.glob(".*.tmp"))
    with Store.open(home) as again:  # and reopening it is not mistaken for damage
        assert again.documents() == []
