"""Concurrency: searches running while another writer commits see the old or the new library.

Two ``study ingest`` processes on one home are covered by ``test_ingest_crash.py`` (the second
waits for the lock and both complete) and ``test_ingest_cli.py`` (a second writer that waits
longer than ``lock_timeout`` fails with one line naming the busy process).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SAMPLE_NOTES
from reliability_support import copy_library, open_library, study_env

from index import doctor

SWITCHES = 8
READERS = 4
QUERY = "zqxjk 方法是什么？"
PAUSE = 1.0  # seconds each version stays: time for the readers to adopt the saved index
WRITER = """
import sys
import time
from pathlib import Path
from index.library import Library
from ground.settings import Settings
note, version_a, version_b = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
switches, pause = int(sys.argv[4]), float(sys.argv[5])
with Library.open(Settings.load()) as library:
    for number in range(switches):
        note.write_text(version_b if number % 2 == 0 else version_a, encoding="utf-8")
        library.ingest([note])
        print("switched", number, flush=True)
        time.sleep(pause)
"""


def _versions(seed: int = 3) -> tuple[str, str]:
    """Two versions of a note: every section differs by its version line, bodies are distinct
    lines of the sample notes, and every section mentions the rare word ``zqxjk``."""
    lines = [
        line
        for path in sorted(SAMPLE_NOTES.iterdir())
        for line in path.read_text(encoding="utf-8").split("\n")
        if len(line) > 20 and not line.startswith(("#", "```", "|"))
    ]
    rng = random.Random(seed)
    sections = [(i, "\n\n".join(rng.sample(lines, 3))) for i in range(8)]

    def version(mark: str) -> str:
        return (
            "# zqxjk 笔记\n\n"
            + "\n\n".join(
                f"## 问题 {i}：什么是 zqxjk 方法 {i}？\n\n版本 {mark}\n\n{body}"
                for i, body in sections
            )
            + "\n"
        )

    return version("A"), version("B")


class _Observer:
    """Searches in a loop and classifies what each result shows of the changing note."""

    def __init__(self, library, note: Path, versions: dict[str, str]):
        self.library, self.note = library, str(note)
        self.lines = {mark: text.split("\n") for mark, text in versions.items()}
        self.seen = {"A": 0, "B": 0, "none": 0}
        self.failures: list[str] = []
        self.searches = 0
        self._lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                hits = self.library.search(QUERY, k=8)
            except Exception as error:  # recorded, then failed on in the test thread
                self._fail(f"{type(error).__name__}: {error}")
                return
            marks = {
                ("A" if "版本 A" in h.chunk.text else "B" if "版本 B" in h.chunk.text else "?")
                for h in hits
                if h.chunk.source == self.note
            }
            for mark, hit in ((m, h) for m in marks for h in hits if h.chunk.source == self.note):
                lines = self.lines.get(mark, [])[hit.chunk.start_line - 1 : hit.chunk.end_line]
                if mark in self.lines and hit.chunk.text != "\n".join(lines):
                    self._fail(f"chunk {hit.chunk.id} is not lines of version {mark}")
            with self._lock:
                self.searches += 1
                if len(marks) > 1 or "?" in marks:
                    self.failures.append(f"one result mixes versions: {sorted(marks)}")
                self.seen[marks.pop() if marks else "none"] += 1

    def _fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)


@pytest.mark.parametrize("writer", ["another process", "a thread of the same library"])
def test_searches_during_ingest_commits_see_the_old_or_the_new_note(
    writer, tmp_path, sample_library
):
    settings = copy_library(sample_library, tmp_path / "home")
    version_a, version_b = _versions()
    note = tmp_path / "notes" / "switch.md"
    note.parent.mkdir()
    with open_library(settings, sample_library) as library:
        for text in (version_b, version_a):  # both versions embedded once: switches are quick
            note.write_text(text, encoding="utf-8")
            library.ingest([note])
        observer = _Observer(library, note, {"A": version_a, "B": version_b})
        stop = threading.Event()
        readers = [threading.Thread(target=observer.run, args=(stop,)) for _ in range(READERS)]
        for reader in readers:
            reader.start()
        started = time.monotonic()
        if writer == "another process":
            process = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    WRITER,
                    str(note),
                    version_a,
                    version_b,
                    str(SWITCHES),
                    str(PAUSE),
                ],
                capture_output=True,
                text=True,
                timeout=600,
                cwd=REPO_ROOT,
                env=study_env(settings),
            )
            assert process.returncode == 0, process.stderr[-2000:]
            assert process.stdout.count("switched") == SWITCHES
        else:
            for number in range(SWITCHES):
                note.write_text(version_b if number % 2 == 0 else version_a, encoding="utf-8")
                library.ingest([note])
                time.sleep(PAUSE)
        time.sleep(1.0)  # let the readers adopt the final state
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
        elapsed = time.monotonic() - started
        print(
            f"\n{writer}: {observer.searches} searches in {elapsed:.1f} s while {SWITCHES} "
            f"commits switched the note; results showed {observer.seen}"
        )
        assert observer.failures == []
        assert observer.seen["A"] > 0 and observer.seen["B"] > 0, observer.seen
        final = library.search(QUERY, k=8)  # the last switch (to version A) is what is served
        assert any("版本 A" in h.chunk.text for h in final if h.chunk.source == str(note))
    assert doctor.check(settings, sample_library.embedder.model_id).consistent


def test_a_reader_keeps_its_snapshot_while_the_saved_index_is_damaged(tmp_path, sample_library):
    """Adopting another process's save never swaps in files that fail their checks."""
    settings = copy_library(sample_library, tmp_path / "home")
    with open_library(settings, sample_library) as reader:
        before = [h.chunk.id for h in reader.search(QUERY, k=5)]
        state = Path(settings.home) / "index" / "state.json"
        state.write_text(
            state.read_text(encoding="utf-8").replace('"count": 152', '"count": 9'),
            encoding="utf-8",
        )  # a new save whose state no longer matches
        vectors = Path(settings.home) / "index" / "vectors" / "vectors.flat.faiss"
        with open(vectors, "r+b") as stream:
            stream.truncate(1000)
        assert [h.chunk.id for h in reader.search(QUERY, k=5)] == before
