"""Crash safety and concurrency: ``kill -9`` mid-ingest, and two writers on one home."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ground.database import LIBRARY_FILE_NAME
from ingest.store import Store

CORPUS_FILES = 60
QUESTIONS_PER_FILE = 10  # 600 chunks: the kills land mid-batch, and embedding them all (what
# the last, uninterrupted ingest does) takes ~2 min on 2 cores; 3,000 took over 8 min
INGEST_TIMEOUT = 900  # seconds; embedding the corpus dominates


def _make_corpus(folder: Path, sample_notes_dir: Path, seed: int = 7) -> None:
    """Notes built from the sample's own lines: ``QUESTIONS_PER_FILE`` questions of about 7
    lines per file."""
    lines = [line for path in sorted(sample_notes_dir.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").split("\n")
             if line.strip() and not line.startswith(("#", "```"))]
    rng = random.Random(seed)
    folder.mkdir()
    for number in range(CORPUS_FILES):
        parts = [f"### 笔记 {number}"]
        for question in range(QUESTIONS_PER_FILE):
            body = "\n\n".join(rng.choice(lines) for _ in range(rng.randint(3, 12)))
            parts.append(f"#### 题目 {question + 1}：问题 {number}-{question}？\n\n{body}")
        (folder / f"note_{number:03d}.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def _study(home: Path, model_cache: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        # ingest embeds every new chunk too (600 here): allow for it in the lock and timeouts
        [sys.executable, "-m", "ui.cli", "--home", str(home), "--model-cache", str(model_cache),
         "--lock-timeout", str(INGEST_TIMEOUT), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _count(home: Path, sql: str, *params: object) -> int:
    try:
        db = sqlite3.connect(f"file:{home / LIBRARY_FILE_NAME}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute(sql, params).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _kill_when(process: subprocess.Popen, home: Path, count_query: tuple, at_least: int,
               extra: float) -> None:
    """SIGKILL ``process`` ``extra`` seconds after ``count_query`` first reaches ``at_least``."""
    deadline = time.monotonic() + 60
    while _count(home, *count_query) < at_least and process.poll() is None:
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.002)
    time.sleep(extra)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def _versions(corpus: Path) -> dict[str, str]:
    """sha256 -> text of every file's current version."""
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p.read_text(encoding="utf-8")
            for p in corpus.iterdir()}


def _assert_consistent(home: Path, versions: dict[str, str]) -> int:
    with Store.open(home) as store:
        assert store.consistency_problems() == []
        documents = store.documents()
        for document in documents:  # each stored document is one whole version of its file
            chunks = store.chunks(document.id)
            assert len(chunks) == document.chunk_count
            lines = versions[document.sha256].split("\n")
            assert all(c.text == "\n".join(lines[c.start_line - 1 : c.end_line]) for c in chunks)
        return len(documents)


@pytest.mark.slow
def test_kill_9_mid_ingest_leaves_a_consistent_library(tmp_path, home, sample_notes_dir,
                                                        embedding_model_dir):
    corpus = tmp_path / "corpus"
    _make_corpus(corpus, sample_notes_dir)
    model_cache = embedding_model_dir.parent
    versions = _versions(corpus)
    rng = random.Random(2024)
    stored = 0
    for round_number in range(3):
        count_query, at_least = ("SELECT COUNT(*) FROM documents",), stored + rng.randint(3, 15)
        if round_number == 2:  # change stored files: this kill lands among their rewrites
            changed = sorted(corpus.iterdir())[:stored:2]
            for path in changed:
                text = path.read_text(encoding="utf-8").replace("题目 3：", "题目 3（改）：")
                path.write_text(text + "\n#### 新题\n\n新答案。\n", encoding="utf-8")
            new_hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in changed]
            versions.update(_versions(corpus))
            marks = ",".join("?" * len(new_hashes))
            count_query = (f"SELECT COUNT(*) FROM documents WHERE sha256 IN ({marks})",
                           *new_hashes)
            at_least = 2
        process = _study(home, model_cache, "ingest", str(corpus))
        extra = rng.uniform(0, 0.1)
        # the rewrites reuse cached vectors and can all land within 0.1 s (CI of session 37):
        # the last kill comes as soon as two of them are stored
        _kill_when(process, home, count_query, at_least, 0.0 if round_number == 2 else extra)
        assert process.returncode == -signal.SIGKILL
        now = _assert_consistent(home, versions)
        assert now >= stored
        stored = now
    assert stored < CORPUS_FILES  # the kills landed mid-batch
    with Store.open(home) as store:
        rewritten = {d.sha256 for d in store.documents()} & set(new_hashes)
    assert 2 <= len(rewritten) < len(new_hashes)  # the last kill landed among the rewrites
    finish = _study(home, model_cache, "ingest", str(corpus))
    out, err = finish.communicate(timeout=INGEST_TIMEOUT)
    assert finish.returncode == 0, err
    assert f"files: {CORPUS_FILES - stored} added" in out or "updated" in out
    assert _assert_consistent(home, versions) == CORPUS_FILES
    with Store.open(home) as store:
        assert not store.groups_stale
        for document in store.documents():
            data = Path(document.source).read_bytes()
            assert document.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_two_concurrent_ingests_both_complete(tmp_path, home, sample_notes_dir,
                                              embedding_model_dir):
    model_cache = embedding_model_dir.parent
    other = tmp_path / "other"
    other.mkdir()
    for number in range(20):
        (other / f"n{number}.md").write_text(f"# 笔记 {number}\n\n## 问题\n\n答案 {number}。\n",
                                              encoding="utf-8")
    first = _study(home, model_cache, "ingest", str(sample_notes_dir))
    second = _study(home, model_cache, "ingest", str(other))
    results = [process.communicate(timeout=INGEST_TIMEOUT) for process in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), results
    with Store.open(home) as store:
        assert len(store.documents()) == 25
        assert store.consistency_problems() == []
        assert not store.groups_stale
