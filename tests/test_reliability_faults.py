"""Faults: ``kill -9`` during ingest and reindex, damaged files, a full disk.

After any of them the library reopens, ``study doctor`` finds it consistent (after the self-heal
or ``--repair``), and nothing the user added is dropped without saying so.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import SAMPLE_NOTES
from reliability_support import (
    CLIPPING_QUERY,
    assert_one_line_error,
    assert_whole_versions,
    copy_library,
    file_versions,
    library_snapshot,
    open_library,
    run_study,
    start_study,
)

from ground.database import LIBRARY_FILE_NAME
from ground.errors import LibraryStateError
from index import doctor
from index.index_state import index_dir, leftover_files, load_indexes
from index.vector_index import create_vector_index, save_vector_index
from ingest.store import Store

KILLS = 20
MAX_ROUNDS = 30  # rounds whose process finished before its kill do not count


# -- kill -9 loops ---------------------------------------------------------------------------


def _edit_note(folder: Path, rng: random.Random, round_number: int, sections: int = 4) -> None:
    """Give one note new text in a few sections: those chunks need embedding again."""
    note = rng.choice(sorted(folder.iterdir()))
    lines = note.read_text(encoding="utf-8").split("\n")
    headings = [i for i, line in enumerate(lines) if line.startswith("#")]
    for index in sorted(rng.sample(headings, min(sections, len(headings))), reverse=True):
        lines.insert(index + 1, f"（第 {round_number} 轮补充 {rng.randrange(10**6)}）")
    note.write_text("\n".join(lines), encoding="utf-8")


def _index_write_started(home: Path, pid: int) -> bool:
    """Whether process ``pid`` has a temporary index file open (its write phase began)."""
    root = index_dir(home)
    for folder in (root, root / "vectors", root / "lexical"):
        try:
            if any(f".{pid}." in name or name.endswith(f".{pid}") for name in os.listdir(folder)):
                return True
        except FileNotFoundError:
            continue
    return False


def _kill(
    process: subprocess.Popen, home: Path, rng: random.Random, span: float, at_write: bool
) -> bool:
    """SIGKILL ``process`` after a random delay across ``span`` seconds, or just after its index
    write begins; returns whether it was still running (a real kill). A process that finished
    between the last poll and the signal (exit status 0) counts as finished first."""
    if at_write:
        deadline = time.monotonic() + 3 * span
        while (
            process.poll() is None
            and time.monotonic() < deadline
            and not _index_write_started(home, process.pid)
        ):
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.02))
    else:
        time.sleep(rng.uniform(0.02, 0.9) * span)
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    if process.returncode == 0:  # it exited between the poll and the signal
        return False
    assert process.returncode == -signal.SIGKILL, process.returncode
    return True


def _after_kill(settings, like, stats: dict) -> None:
    """Right after a kill: SQLite whole; then the library reopens, answers, and is consistent."""
    model_id = like.embedder.model_id
    report = doctor.check(settings, model_id)
    assert report.check_named("library database").ok, report.checks
    if not all(c.ok for c in report.checks if c.name.endswith("index")):
        stats["index unusable until healed"] += 1
    if report.check_named("temporary files"):
        stats["temporary files left"] += 1
    with open_library(settings, like) as library:
        hits = library.search(CLIPPING_QUERY, k=3)
        assert hits and "梯度裁剪" in hits[0].chunk.heading
    healed = doctor.check(settings, model_id)
    assert healed.consistent, healed.problems


def _kill_loop(settings, like, command: list[str], before_round, seed: int) -> dict:
    rng = random.Random(seed)
    before_round(rng, 0)
    started = time.monotonic()
    timing = run_study(settings, *command)
    span = time.monotonic() - started
    assert timing.returncode == 0, timing.stderr[-2000:]
    stats = {
        "kills": 0,
        "finished first": 0,
        "index unusable until healed": 0,
        "temporary files left": 0,
        "span s": round(span, 2),
    }
    for round_number in range(1, MAX_ROUNDS + 1):
        if stats["kills"] >= KILLS:
            break
        before_round(rng, round_number)
        process = start_study(settings, *command)
        if _kill(process, settings.home, rng, span, at_write=round_number % 3 == 0):
            stats["kills"] += 1
        else:
            stats["finished first"] += 1
        _after_kill(settings, like, stats)
    assert stats["kills"] >= KILLS, stats
    return stats


@pytest.mark.slow
def test_kill_9_during_ingest_20_times_never_leaves_a_half_library(tmp_path, sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    notes = tmp_path / "notes"
    shutil.copytree(SAMPLE_NOTES, notes)
    versions = file_versions(SAMPLE_NOTES)

    def before_round(rng: random.Random, round_number: int) -> None:
        _edit_note(notes, rng, round_number)
        versions.update(file_versions(notes))
        if round_number:
            assert_whole_versions(settings.home, versions)

    stats = _kill_loop(settings, sample_library, ["ingest", str(notes)], before_round, 611)
    print(f"\nkill -9 during ingest: {stats}")
    assert stats["index unusable until healed"] >= 1, "no kill landed after the SQLite commit"
    finish = run_study(settings, "ingest", str(notes))
    assert finish.returncode == 0, finish.stderr[-2000:]
    assert assert_whole_versions(settings.home, versions) == 10
    with Store.open(settings.home) as store:  # every note at its latest version
        stored = {d.sha256 for d in store.documents()}
    assert set(file_versions(notes)) <= stored
    checked = run_study(settings, "doctor", "--json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["consistent"] is True
    assert leftover_files(settings.home) == []


@pytest.mark.slow
def test_kill_9_during_reindex_20_times_always_reopens(tmp_path, sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    before = library_snapshot(settings.home)
    stats = _kill_loop(settings, sample_library, ["reindex"], lambda rng, n: None, 612)
    print(f"\nkill -9 during reindex: {stats}")
    assert library_snapshot(settings.home) == before  # reindex never touches the chunks
    finish = run_study(settings, "reindex")
    assert finish.returncode == 0 and "reindexed 152 chunks" in finish.stdout, finish.stderr
    checked = run_study(settings, "doctor")
    assert checked.returncode == 0 and checked.stdout.rstrip().endswith("consistent")
    assert leftover_files(settings.home) == []


# -- damaged files ----------------------------------------------------------------------------


@pytest.fixture
def library_copy(tmp_path, sample_library):
    return copy_library(sample_library, tmp_path / "home")


def _truncate(path: Path) -> None:
    with open(path, "r+b") as stream:
        stream.truncate(path.stat().st_size // 2)


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


DAMAGES = {
    "truncated vector file": (
        lambda h: _truncate(h / "index/vectors/vectors.flat.faiss"),
        "vector index",
        "missing or truncated",
    ),
    "corrupt keyword file": (
        lambda h: _flip_bytes(h / "index/lexical/data.csc.index.npy"),
        "keyword index",
        "corrupt (checksum)",
    ),
    "garbage manifest": (
        lambda h: (h / "index/vectors/manifest.json").write_text("{nope"),
        "vector index",
        "manifest is corrupt",
    ),
    "missing manifest": (
        lambda h: (h / "index/lexical/manifest.json").unlink(),
        "keyword index",
        "no manifest.json",
    ),
    "garbage state": (
        lambda h: (h / "index/state.json").write_bytes(b"\x00" * 10),
        "search index",
        "no readable state.json",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_index_files_are_reported_and_rebuilt(damage, library_copy, sample_library):
    settings, model_id = library_copy, sample_library.embedder.model_id
    before = library_snapshot(settings.home)
    damage_files, check_name, reason = DAMAGES[damage]
    damage_files(settings.home)
    report = doctor.check(settings, model_id)
    assert not report.consistent
    problem = report.check_named(check_name)
    assert not problem.ok and reason in problem.detail and "\n" not in problem.detail
    assert "study doctor --repair" in problem.detail
    repaired = doctor.repair(settings)
    assert repaired.consistent, repaired.problems
    assert any("rebuilt the search indexes" in action for action in repaired.actions)
    assert library_snapshot(settings.home) == before  # SQLite, the source of truth, untouched
    with open_library(settings, sample_library) as library:
        assert "梯度裁剪" in library.search(CLIPPING_QUERY, k=1)[0].chunk.heading


def test_an_index_whose_count_disagrees_with_sqlite_is_never_searched(library_copy, sample_library):
    """A vector file, self-consistent (manifest, checksums), holding one vector too few."""
    settings, embedder = library_copy, sample_library.embedder
    with Store.open(settings.home) as store:
        chunks = store.chunks()
    vectors = load_indexes(settings.home, embedder.model_id, embedder.dim, chunks).vectors
    ids, rows = vectors.items()
    short = create_vector_index("flat", embedder.dim)
    short.add(ids[1:], rows[1:])
    save_vector_index(short, index_dir(settings.home) / "vectors", embedder.model_id)
    with pytest.raises(LibraryStateError, match="holds 151 chunks but the library has 152"):
        load_indexes(settings.home, embedder.model_id, embedder.dim, chunks)
    report = doctor.check(settings, embedder.model_id)
    assert "holds 151 chunks but the library has 152" in report.check_named("vector index").detail
    with open_library(settings, sample_library) as library:
        hits = library.search(CLIPPING_QUERY, k=1)  # rebuilt from SQLite first, then answered
        assert "梯度裁剪" in hits[0].chunk.heading
        assert len(library.indexes().vectors) == 152
    assert doctor.check(settings, embedder.model_id).consistent


def _add_study_history(home: Path) -> None:
    """One practised item with one answer: rows only the user's practice made."""
    with closing(sqlite3.connect(home / LIBRARY_FILE_NAME)) as db, db:
        chunk_id = db.execute("SELECT MIN(id) FROM chunks").fetchone()[0]
        db.execute(
            "INSERT INTO study_items (id, item_key, source, heading_path, chunk_id, topic_key, "
            "topic_label, question, item_json, created_at, card_state, due) "
            "VALUES (7, 'key-7', 'notes.md', '[\"梯度裁剪\"]', ?, 'topic', '梯度裁剪', "
            "'什么是梯度裁剪？', '{}', '2024-01-01T00:00:00.000000+00:00', 1, "
            "'2024-01-02T00:00:00.000000+00:00')",
            (chunk_id,),
        )
        db.execute(
            "INSERT INTO study_answers (uid, item_id, answered_at, question, item_json, "
            "response, verdict, missing, rating) VALUES ('answer-1', 7, "
            "'2024-01-01T00:00:00.000000+00:00', '什么是梯度裁剪？', '{}', '限制梯度', "
            "'correct', '', 3)"
        )


def _study_history(home: Path) -> tuple[list, list]:
    with closing(sqlite3.connect(home / LIBRARY_FILE_NAME)) as db:
        return (
            db.execute("SELECT id, item_key, question, chunk_id FROM study_items").fetchall(),
            db.execute("SELECT uid, item_id, response FROM study_answers").fetchall(),
        )


def _smash_a_chunks_page(path: Path) -> None:
    """Overwrite the page holding one chunk's text (the documents table stays readable)."""
    with closing(sqlite3.connect(path)) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        text = db.execute("SELECT text FROM chunks ORDER BY id LIMIT 1 OFFSET 70").fetchone()[0]
    data = bytearray(path.read_bytes())
    offset = data.index(text.encode("utf-8")[:60])
    page_start = offset - offset % page_size
    data[page_start : page_start + page_size] = random.Random(5).randbytes(page_size)
    path.write_bytes(bytes(data))


def test_a_damaged_sqlite_file_is_moved_aside_and_the_notes_ingested_again(
    library_copy, sample_library
):
    settings = library_copy
    home = settings.home
    _add_study_history(home)
    history_before = _study_history(home)
    with Store.open(home) as store:
        before = {(d.source, d.sha256, d.chunk_count) for d in store.documents()}
    _smash_a_chunks_page(home / LIBRARY_FILE_NAME)
    damaged_bytes = (home / LIBRARY_FILE_NAME).read_bytes()

    result = run_study(settings, "doctor")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = next(line for line in result.stdout.splitlines() if "library database" in line)
    assert line.startswith("PROBLEM") and "damaged" in line and "--repair" in line

    report = doctor.repair(settings)
    assert report.consistent, report.problems
    asides = [
        p
        for p in home.glob(f"{LIBRARY_FILE_NAME}.corrupt-*")
        if p.name[-4:] != "-wal" and p.name[-4:] != "-shm"
    ]  # its WAL and shared memory files move along
    assert len(asides) == 1 and asides[0].read_bytes() == damaged_bytes  # kept, byte for byte
    assert any(str(asides[0]) in action for action in report.actions)
    assert any("ingested 5 of 5 documents again" in action for action in report.actions)
    with Store.open(home) as store:
        assert {(d.source, d.sha256, d.chunk_count) for d in store.documents()} == before
    items, answers = _study_history(home)
    assert [(i, key, q) for i, key, q, _ in items] == [row[:3] for row in history_before[0]]
    assert answers == history_before[1]  # the practice history survived the damaged file
    with open_library(settings, sample_library) as library:
        assert "梯度裁剪" in library.search(CLIPPING_QUERY, k=1)[0].chunk.heading


def test_a_sqlite_file_with_a_garbage_header_says_so_and_repair_keeps_it(library_copy):
    settings = library_copy
    path = settings.home / LIBRARY_FILE_NAME
    with open(path, "r+b") as stream:
        stream.write(b"this is not sqlite at all")
    damaged = path.read_bytes()
    search = run_study(settings, "search", CLIPPING_QUERY)
    assert_one_line_error(search, str(path), "cannot open library")
    report = doctor.check(settings)
    assert "damaged (file is not a database)" in report.check_named("library database").detail
    repaired = doctor.repair(settings)
    aside = next(settings.home.glob(f"{LIBRARY_FILE_NAME}.corrupt-*[0-9]Z"))
    assert aside.read_bytes() == damaged
    assert any("ingest your notes folders again" in a for a in repaired.actions)
    assert repaired.consistent
    with Store.open(settings.home) as store:
        assert store.documents() == []


def test_a_damaged_embedding_cache_is_moved_aside(library_copy, sample_library):
    settings = library_copy
    cache = settings.home / "embedding-cache.sqlite"
    with open(cache, "r+b") as stream:
        stream.write(b"garbage" * 20)
    report = doctor.check(settings, sample_library.embedder.model_id)
    assert not report.check_named("embedding cache").ok
    repaired = doctor.repair(settings)
    assert repaired.consistent, repaired.problems
    assert list(settings.home.glob("embedding-cache.sqlite.corrupt-*"))
    assert repaired.check_named("embedding cache").status == doctor.NOTE  # empty, refilled later


def test_leftovers_of_a_killed_write_are_reported_then_removed(library_copy, sample_library):
    settings = library_copy
    leftover = index_dir(settings.home) / "vectors" / ".vectors.flat.faiss.99999.tmp"
    leftover.write_bytes(b"\0" * 1000)
    report = doctor.check(settings, sample_library.embedder.model_id)
    assert (
        report.consistent
        and "1 left by an interrupted write" in report.check_named("temporary files").detail
    )
    with open_library(settings, sample_library) as library:
        library.reindex()  # any writer holding the lock clears them
    assert not leftover.exists()


# -- a full disk -----------------------------------------------------------------------------


def _file_size_limit(limit: int):
    def apply() -> None:  # Python ignores SIGXFSZ, so an oversized write fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _note(folder: Path, name: str, sections: int, repeat: int) -> Path:
    """A note of ``sections`` question sections, each with the word ``zqxjk`` to search."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    body = "\n\n".join(
        f"## 问题 {i}\n\n答案 {i} zqxjk：" + "正则化约束模型参数。" * repeat
        for i in range(sections)
    )
    path.write_text(f"# {name}\n\n{body}\n", encoding="utf-8")
    return path


def test_disk_full_while_saving_notes_keeps_the_previous_state(
    tmp_path, library_copy, sample_library
):
    settings = library_copy
    before = library_snapshot(settings.home)
    new = _note(tmp_path / "new", "new.md", sections=10, repeat=30)  # about 60 KB of WAL
    result = run_study(settings, "ingest", str(new), preexec_fn=_file_size_limit(40_000))
    assert_one_line_error(result, str(settings.home), "while saving the notes", "free some space")
    assert library_snapshot(settings.home) == before
    assert doctor.check(settings, sample_library.embedder.model_id).consistent
    retry = run_study(settings, "ingest", str(new))  # space is back: the same command works
    assert retry.returncode == 0, retry.stderr[-2000:]
    assert "files: 1 added" in retry.stdout


def test_disk_full_while_writing_the_index_keeps_the_old_index(
    tmp_path, library_copy, sample_library
):
    settings, model_id = library_copy, sample_library.embedder.model_id
    vector_file = index_dir(settings.home) / "vectors" / "vectors.flat.faiss"
    limit = vector_file.stat().st_size + 1000  # the index grows past it; SQLite rows do not
    small = _note(tmp_path / "new", "small.md", sections=6, repeat=3)
    result = run_study(settings, "ingest", str(small), preexec_fn=_file_size_limit(limit))
    assert_one_line_error(result, "while updating the search index", "study reindex")
    report = doctor.check(settings, model_id)
    assert report.check_named("library database").ok  # the note itself was saved, whole
    assert "holds 152 chunks but the library has" in report.check_named("vector index").detail
    assert "checksum" not in str(report.checks) and leftover_files(settings.home) == []
    repaired = doctor.repair(settings)  # space is back: rebuilt from SQLite
    assert repaired.consistent, repaired.problems
    with open_library(settings, sample_library) as library:
        hits = library.search("zqxjk", k=3, mode="lexical")
        assert hits and all(h.chunk.source == str(small) for h in hits)


def _mount_small_tmpfs(target: Path, size_kb: int) -> bool:
    target.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(target)],
        capture_output=True,
    )
    return mounted.returncode == 0


def test_no_space_left_on_a_small_tmpfs(tmp_path, sample_library):
    """A real ENOSPC (needs permission to mount; the file size limit tests above always run)."""
    mount_point = tmp_path / "small-disk"
    # Size the disk from the copy itself: the shared library's home can hold more than a copy
    # does (a write-ahead log, uploads other tests made), which left room for the note in CI.
    staged = copy_library(sample_library, tmp_path / "staged")
    home_kb = sum(f.stat().st_size for f in staged.home.rglob("*") if f.is_file()) // 1024
    if not _mount_small_tmpfs(mount_point, home_kb + 200):  # the library fits, the note not
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        shutil.copytree(staged.home, mount_point / "home")
        settings = staged.replace(home=mount_point / "home")
        before = library_snapshot(settings.home)
        big = _note(tmp_path / "new", "big.md", sections=400, repeat=80)  # > 1 MB of rows
        result = run_study(settings, "ingest", str(big))
        line = assert_one_line_error(result, str(settings.home), "free some space")
        assert "no space left on the disk" in line or "disk I/O error" in line
        assert library_snapshot(settings.home) == before
        assert doctor.check(settings, sample_library.embedder.model_id).consistent
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)

