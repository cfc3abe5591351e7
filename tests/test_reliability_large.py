"""Large and pathological files (issue 17, item 3): giant lines, pasted images, a cap on
passages per file, and an interrupted embedding that resumes where it stopped.

Speed figures (30 MB in seconds, peak memory) are printed here and measured in
``benchmarks/bench_large_files.py``; the tests assert outcomes, not times.
"""

from __future__ import annotations

import base64
import os
import re
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from ingest_support import ingest_one, token_counter  # noqa: F401 (fixture)
from reliability_support import run_study, start_study

from ground.settings import Settings
from index.embedding_cache import CACHE_FILE_NAME, COMMIT_BATCH
from ingest import pipeline
from ingest.chunker import chunk_document
from ingest.oversized import MAX_LINE_CHARS
from ingest.report import Status
from ingest.store import Store


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


def _ingest(path: Path, settings: Settings, counter):
    report, chunks, elapsed, _ = ingest_one(path, settings, counter)
    print(f"\n{path.name}: {path.stat().st_size / 2**20:.1f} MB in {elapsed:.1f} s: "
          f"{report.outcomes[0].line[:200]}")
    return report, chunks


def test_a_30_mb_single_line_is_refused_with_a_reason(tmp_path, settings, token_counter):  # noqa: F811
    path = tmp_path / "one-line.md"
    words = ["梯度", "裁剪", "dropout", "学习率", "attention"]
    with open(path, "w", encoding="utf-8") as stream:
        while stream.tell() < 30 * 2**20:
            stream.write("".join(words) * 1000)
    report, chunks = _ingest(path, settings, token_counter)
    (outcome,) = report.outcomes
    assert outcome.status is Status.SKIPPED and chunks == []
    assert re.fullmatch(r"line 1 left out: [\d,]+ characters on one line \(limit "
                        rf"{MAX_LINE_CHARS:,}; not a note\?\); no text to index", outcome.reason)


def test_a_giant_line_inside_a_note_is_left_out_and_the_rest_kept(tmp_path, settings,
                                                                  token_counter):  # noqa: F811
    path = tmp_path / "dump.md"
    path.write_text("# 笔记\n\n## 梯度裁剪\n\n把梯度限制在阈值内。\n\n" + "x" * (MAX_LINE_CHARS + 1)
                    + "\n\n## 早停\n\n验证集不再变好就停。\n", encoding="utf-8")
    report, chunks = _ingest(path, settings, token_counter)
    (outcome,) = report.outcomes
    assert outcome.status is Status.ADDED and "line 7 left out" in outcome.notice
    assert "left out" in outcome.line
    assert [c.heading_path[-1] for c in chunks] == ["梯度裁剪", "早停"]
    assert chunks[1].start_line == 9  # line numbers still point at the file's lines
    assert all("xxx" not in c.text for c in chunks)


def test_a_pasted_base64_image_becomes_one_marker_not_thousands_of_passages(
    tmp_path, settings, token_counter  # noqa: F811
):
    image = base64.b64encode(os.urandom(1_500_000)).decode()  # 2 MB of base64, one line
    path = tmp_path / "with-image.md"
    path.write_text(f"# 笔记\n\n## 梯度裁剪\n\n截图：![loss 曲线](data:image/png;base64,{image})\n"
                    "梯度裁剪把梯度的范数限制在阈值以内。\n\n## 早停\n\n验证集不再变好就停。\n",
                    encoding="utf-8")
    report, chunks = _ingest(path, settings, token_counter)
    (outcome,) = report.outcomes
    assert outcome.status is Status.ADDED and len(chunks) == 2  # was ~3,000 junk passages
    assert outcome.notice == "1 embedded image left out (1.4 MB of base64)"
    assert "![loss 曲线]([image/png, 1.4 MB, left out])" in chunks[0].text
    assert "梯度裁剪把梯度" in chunks[0].text and chunks[1].start_line == 8


def test_a_file_past_the_passage_cap_is_truncated_with_a_notice(tmp_path, settings,
                                                                token_counter,  # noqa: F811
                                                                monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_CHUNKS_PER_FILE", 40)
    path = tmp_path / "book.md"
    path.write_text("# 书\n\n" + "".join(f"## 问题 {n}\n\n答案 {n}。\n\n" for n in range(100)),
                    encoding="utf-8")
    report, chunks = _ingest(path, settings, token_counter)
    (outcome,) = report.outcomes
    assert outcome.status is Status.ADDED and outcome.chunks == len(chunks) == 40
    assert outcome.notice == ("only the first 40 passages kept (up to line 161; at most 40 per "
                              "file): split the file to index the rest")
    assert chunks[-1].heading_path[-1] == "问题 39" and chunks[-1].end_line == 161


def test_the_cap_also_bounds_the_work_on_one_long_section(token_counter):  # noqa: F811
    line = "梯度裁剪把梯度的范数限制在阈值以内，" * 10_000  # 190,000 characters, no full stop
    capped = chunk_document("# t\n\n## s\n\n" + line, "t", token_counter, max_chunks=5)
    assert len(capped.chunks) == 5 and capped.truncated_at_line == 6
    whole = chunk_document("# t\n\n## s\n\n" + line[:1500], "t", token_counter, max_chunks=5)
    assert whole.truncated_at_line is None


# -- resuming an interrupted embedding --------------------------------------------------------


def _cache_rows(home: Path) -> int:
    path = home / CACHE_FILE_NAME
    if not path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            return db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_an_interrupted_ingest_resumes_without_re_embedding_what_was_done(tmp_path,
                                                                          sample_library):
    settings = sample_library.settings.replace(home=tmp_path / "home")
    notes = tmp_path / "notes"
    notes.mkdir()
    sections = "".join(f"## 问题 {n}：第 {n} 个概念是什么？\n\n第 {n} 个概念的答案，编号 {n}。\n\n"
                       for n in range(700))
    (notes / "big.md").write_text(f"# 大笔记\n\n{sections}", encoding="utf-8")
    process = start_study(settings, "ingest", str(notes))
    deadline = time.monotonic() + 300
    while _cache_rows(settings.home) < 2 * COMMIT_BATCH and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _cache_rows(settings.home)
    with Store.open(settings.home) as store:
        total = len(store.chunks())
    assert total == 700 and 2 * COMMIT_BATCH <= before < total

    resumed = run_study(settings, "ingest", str(notes))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    figures = re.search(r"vectors: (\d+) embedded, (\d+) from the cache", resumed.stdout)
    embedded, cached = int(figures.group(1)), int(figures.group(2))
    print(f"\nkilled after {before} of {total} passages were embedded; the next ingest embedded "
          f"{embedded} and took {cached} from the cache")
    assert cached == before and embedded == total - before  # nothing embedded twice
    bar = re.findall(r"embedding:.*?(\d+)/(\d+)", resumed.stderr.replace("\r", "\n"))
    assert bar and int(bar[0][0]) >= before and int(bar[-1][0]) == int(bar[-1][1]) == total
    found = run_study(settings, "search", "-k", "1", "第 699 个概念是什么？")
    assert "问题 699" in found.stdout and "embedding" not in found.stderr
