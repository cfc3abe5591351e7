"""The library API on the sample notes: duplicates, incremental updates, stable ids, removal."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
from ingest_support import question_lines, token_counter  # noqa: F401 (fixture)

from ground.database import LIBRARY_FILE_NAME
from ground.errors import DocumentNotFoundError, LibraryBusyError, LibraryStateError
from ground.schema import SCHEMA_VERSION
from ground.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.store import Store

TRANSFER_LEARNING = {  # the eight 迁移学习 items: file prefix and question heading line
    ("000", 65), ("000", 207), ("000", 400), ("001", 54),
    ("002", 243), ("002", 601), ("004", 67), ("004", 267),
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


@pytest.fixture
def library(settings, sample_notes_dir, token_counter):  # noqa: F811
    store = Store.open(settings.home)
    report = ingest_paths(store, [sample_notes_dir], settings, token_counter)
    assert report.count(Status.ADDED) == 5 and not report.skipped
    yield store
    store.close()


def _key(chunk) -> tuple[str, int]:
    return os.path.basename(chunk.source)[:3], chunk.start_line


def test_sample_library_layout(library):
    assert [d.chunk_count for d in library.documents()] == [30, 31, 31, 30, 30]
    assert library.consistency_problems() == []
    db = sqlite3.connect(library.home / LIBRARY_FILE_NAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_transfer_learning_duplicate_groups(library):
    chunks = {_key(c): c for c in library.chunks()}
    items = [chunks[key] for key in sorted(TRANSFER_LEARNING)]
    grouped = [c for c in items if c.group_id is not None]
    assert {_key(c) for c in grouped} == {("000", 207), ("000", 400)}
    representative = chunks[("000", 207)]
    assert grouped[0].group_id == grouped[1].group_id == representative.id
    locations = library.duplicate_locations(representative.id)
    assert [(os.path.basename(loc.source)[:3], loc.start_line) for loc in locations] == [
        ("000", 207), ("000", 400)]
    assert locations[1].end_line == chunks[("000", 400)].end_line


def test_exact_and_near_groups(library):
    groups = library.duplicate_groups()
    kinds = sorted(g.kind for g in groups)
    assert kinds == ["exact"] * 4 + ["near"] * 6
    chunks = {c.id: c for c in library.chunks()}
    for group in groups:
        members = [chunks[i] for i in group.member_ids]
        assert group.id == members[0].id == min(group.member_ids)  # earliest is representative
        assert all(m.group_id == group.id for m in members)
    audio = [c for c in chunks.values() if "音频和文本" in c.heading_path[-1]]
    assert audio[0].group_id is None  # templated answer to another question: not grouped


def test_reingesting_unchanged_files_does_nothing(library, settings, sample_notes_dir,
                                                  token_counter):  # noqa: F811
    before = [(c.id, c.content_hash) for c in library.chunks()]
    report = ingest_paths(library, [sample_notes_dir], settings, token_counter)
    assert report.count(Status.UNCHANGED) == 5 and not report.changed
    assert [(c.id, c.content_hash) for c in library.chunks()] == before


def test_touched_file_is_hashed_and_stays_unchanged(tmp_path, settings, sample_notes_dir,
                                                    token_counter):  # noqa: F811
    note = tmp_path / "note.md"
    shutil.copy(sample_notes_dir / "004_8e77f8e049ce3a31.txt", note)
    with Store.open(settings.home) as store:
        ingest_paths(store, [note], settings, token_counter)
        os.utime(note, ns=(1, 1_000_000_000))
        report = ingest_paths(store, [note], settings, token_counter)
        assert report.count(Status.UNCHANGED) == 1 and not report.changed
        assert store.documents()[0].mtime_ns == 1_000_000_000


def test_changed_file_keeps_ids_of_unchanged_chunks(tmp_path, settings, token_counter):  # noqa: F811
    note = tmp_path / "note.md"
    questions = [f"## 问题 {i}\n\n答案 {i}：" + "内容。" * 20 + "\n" for i in range(1, 4)]
    note.write_text("# 笔记\n\n" + "\n".join(questions), encoding="utf-8")
    with Store.open(settings.home) as store:
        ingest_paths(store, [note], settings, token_counter)
        old = {c.heading_path[-1]: c for c in store.chunks()}
        questions[1] = questions[1].replace("答案 2", "新的答案 2")
        note.write_text("# 笔记\n\n## 问题 0\n\n新问题。\n\n" + "\n".join(questions),
                        encoding="utf-8")
        report = ingest_paths(store, [note], settings, token_counter)
        new = {c.heading_path[-1]: c for c in store.chunks()}
        assert [c.heading_path[-1] for c in store.chunks()] == [f"问题 {i}" for i in range(4)]
    assert report.count(Status.UPDATED) == 1
    assert new["问题 1"].id == old["问题 1"].id and new["问题 3"].id == old["问题 3"].id
    assert new["问题 1"].start_line == old["问题 1"].start_line + 4  # location follows the text
    assert new["问题 2"].id != old["问题 2"].id
    assert set(report.added_chunk_ids) == {new["问题 0"].id, new["问题 2"].id}
    assert report.removed_chunk_ids == (old["问题 2"].id,)
    assert report.kept_chunks == 2


def test_removed_chunk_ids_are_never_reused(tmp_path, settings, token_counter):  # noqa: F811
    note = tmp_path / "a.md"
    note.write_text("# A\n\n## Q\n\nanswer one\n", encoding="utf-8")
    with Store.open(settings.home) as store:
        ingest_paths(store, [note], settings, token_counter)
        first_ids = {c.id for c in store.chunks()}
        store.remove_document("a.md")
        ingest_paths(store, [note], settings, token_counter)
        assert not first_ids & {c.id for c in store.chunks()}


def test_prune_removes_documents_whose_files_are_gone(tmp_path, settings, token_counter):  # noqa: F811
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("a.md", "b.md"):
        (folder / name).write_text(f"# {name}\n\ntext of {name}\n", encoding="utf-8")
    with Store.open(settings.home) as store:
        ingest_paths(store, [folder], settings, token_counter)
        gone_ids = [c.id for c in store.chunks() if c.source.endswith("b.md")]
        (folder / "b.md").unlink()
        report = ingest_paths(store, [folder], settings, token_counter)
        assert report.count(Status.REMOVED) == 0  # without --prune nothing is dropped
        report = ingest_paths(store, [folder], settings, token_counter, prune=True)
        assert [o.path for o in report.with_status(Status.REMOVED)] == [str(folder / "b.md")]
        assert list(report.removed_chunk_ids) == gone_ids
        assert [os.path.basename(d.source) for d in store.documents()] == ["a.md"]


def test_remove_document_by_id_path_or_name(library, sample_notes_dir):
    documents = library.documents()
    removed = library.remove_document(str(documents[0].id))
    assert removed.document == documents[0] and len(removed.chunk_ids) == 30
    library.remove_document(str(sample_notes_dir / "001_3e06d42dc2084abb.txt"))
    library.remove_document("002_1ceae295b216683d.txt")
    assert len(library.documents()) == 2
    with pytest.raises(DocumentNotFoundError, match="no document 'nope'"):
        library.remove_document("nope")
    assert library.consistency_problems() == []
    # the 000 #16 / #27 group went with its file; the 003 groups remain
    assert all(g.kind in ("exact", "near") for g in library.duplicate_groups())
    assert len(library.duplicate_groups()) == 6


def test_chunks_by_id_keeps_order_and_skips_missing(library):
    ids = [c.id for c in library.chunks()][:5]
    wanted = [ids[3], 999_999, ids[0]]
    assert [c.id for c in library.chunks_by_id(wanted)] == [ids[3], ids[0]]


def test_second_writer_waits_then_fails_clearly(settings):
    with Store.open(settings.home) as first, Store.open(settings.home, lock_timeout=0.3) as second:
        with first.writing():
            with pytest.raises(LibraryBusyError, match="is busy: another process \\(pid"):
                second.remove_document("x")
        with pytest.raises(DocumentNotFoundError):  # lock released: the writer gets through
            second.remove_document("x")


def test_newer_or_corrupt_library_is_refused(tmp_path):
    home = tmp_path / "h"
    Store.open(home).close()
    db = sqlite3.connect(home / LIBRARY_FILE_NAME)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(LibraryStateError, match="newer than this program"):
        Store.open(home)
    broken = tmp_path / "b"
    broken.mkdir()
    (broken / LIBRARY_FILE_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryStateError, match="cannot open library"):
        Store.open(broken)


def test_question_lines_oracle_matches_sample(sample_notes_dir):
    counts = [len(question_lines(p.read_text(encoding="utf-8")))
              for p in sorted(sample_notes_dir.glob("*.txt"))]
    assert counts == [30, 30, 20, 30, 30]
