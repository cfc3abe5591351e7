"""Helpers shared by the reliability tests: copying a library, running the real CLI, checks."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO_ROOT

from ground.database import LIBRARY_FILE_NAME
from ground.settings import Settings
from index.embedding_cache import CACHE_FILE_NAME
from index.library import Library
from ingest.store import Store

STUDY = [sys.executable, "-m", "ui.cli"]
CLIPPING_QUERY = "什么是梯度裁剪？"


def copy_library(library: Library, home: Path) -> Settings:
    """A private copy of an open library's home: SQLite files through the backup API (a
    consistent snapshot even while the source is open), the index folder as files."""
    source = library.settings.home
    home.mkdir(parents=True)
    for name in (LIBRARY_FILE_NAME, CACHE_FILE_NAME):
        with (
            closing(sqlite3.connect(source / name)) as src,
            closing(sqlite3.connect(home / name)) as dst,
        ):
            src.backup(dst)
    shutil.copytree(source / "index", home / "index")
    return library.settings.replace(home=home)


def open_library(settings: Settings, like: Library) -> Library:
    """Open ``settings.home`` reusing ``like``'s loaded embedder (the index is under test)."""
    library = Library.open(settings)
    library._embedder = like.embedder
    return library


def study_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "STUDY_HOME": str(settings.home),
        "STUDY_MODEL_CACHE": str(settings.model_cache),
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def run_study(
    settings: Settings, *args: str, timeout: float = 600, **popen
) -> subprocess.CompletedProcess:
    """Run the real ``study`` command on ``settings``'s home and model cache."""
    return subprocess.run(
        [*STUDY, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=popen.pop("env", None) or study_env(settings),
        cwd=REPO_ROOT,
        **popen,
    )


def start_study(settings: Settings, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [*STUDY, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=popen.pop("env", None) or study_env(settings),
        cwd=REPO_ROOT,
        **popen,
    )


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines of a CLI run (progress bars share stderr)."""
    return [line for line in stderr.replace("\r", "\n").splitlines() if line.startswith("error:")]


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit status 1, no traceback, exactly one ``error:`` line containing every needle."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def library_snapshot(home: Path) -> tuple:
    """Documents and chunks as stored: what a failed write must leave exactly as it was."""
    with Store.open(home) as store:
        documents = tuple((d.id, d.source, d.sha256, d.chunk_count) for d in store.documents())
        chunks = tuple((c.id, c.doc_id, c.content_hash) for c in store.chunks())
    return documents, chunks


def assert_whole_versions(home: Path, versions: dict[str, str]) -> int:
    """Every stored document is one whole version of its file (``versions``: sha256 -> text):
    its chunks are exactly that version's lines. Returns the number of documents."""
    with Store.open(home) as store:
        assert store.consistency_problems() == []
        documents = store.documents()
        for document in documents:
            assert document.sha256 in versions, document.source
            lines = versions[document.sha256].split("\n")
            chunks = store.chunks(document.id)
            assert len(chunks) == document.chunk_count
            for chunk in chunks:
                assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
    return len(documents)


def file_versions(folder: Path) -> dict[str, str]:
    return {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.read_text(encoding="utf-8")
        for p in folder.iterdir()
        if p.is_file()
    }


DRIVER = r'''
"""Run several ``study`` commands in one process, recording every write and unpickle."""
import json, os, sys
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {"os.remove", "os.unlink", "os.mkdir", "os.rmdir", "os.truncate", "os.symlink",
               "os.link", "os.chmod", "os.chown", "os.utime", "shutil.rmtree", "shutil.copyfile",
               "shutil.move", "sqlite3.connect"}
events = []

def hook(event, args):
    if event == "open":
        path, mode, flags = args
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes and isinstance(path, (str, bytes, os.PathLike)):
            events.append([event, os.fsdecode(path)])
    elif event in ("os.rename", "os.replace"):
        events.extend([[event, os.fsdecode(args[0])], [event, os.fsdecode(args[1])]])
    elif event in PATH_EVENTS and args and isinstance(args[0], (str, bytes, os.PathLike)):
        events.append([event, os.fsdecode(args[0])])
    elif event == "pickle.find_class":
        events.append([event, f"{args[0]}.{args[1]}"])

sys.addaudithook(hook)
from ui.cli import main
codes = [main(command) for command in json.loads(sys.argv[1])]
print("DRIVER-RESULT " + json.dumps({"codes": codes, "events": events}, ensure_ascii=False))
'''


@dataclass(frozen=True)
class DriverRun:
    codes: list[int]
    events: list[tuple[str, str]]  # (audit event, path or pickled global)
    stdout: str
    stderr: str


def run_driver(
    settings: Settings,
    commands: list[list[str]],
    env: dict | None = None,
    strace_log: Path | None = None,
) -> DriverRun:
    """Run ``commands`` through :data:`DRIVER` (under strace when ``strace_log`` is given)."""
    prefix = []
    if strace_log is not None:
        prefix = [
            "strace",
            "-f",
            "-qq",
            "-y",
            "-s",
            "4096",
            "-o",
            str(strace_log),
            "-e",
            "trace=openat,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,"
            "truncate,link,linkat,symlink,symlinkat,rmdir",
        ]
    result = subprocess.run(
        [*prefix, sys.executable, "-c", DRIVER, json.dumps(commands)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO_ROOT,
        env=env or study_env(settings),
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("DRIVER-RESULT ")), None)
    assert line is not None, result.stderr[-3000:]
    payload = json.loads(line.removeprefix("DRIVER-RESULT "))
    return DriverRun(
        payload["codes"], [tuple(e) for e in payload["events"]], result.stdout, result.stderr
    )
