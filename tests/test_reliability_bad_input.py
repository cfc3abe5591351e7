"""Bad input beyond the ingestion list of ``test_ingest_bad_input.py``: huge lines, deep HTML,
decompression bombs, odd file names, legacy encodings, hostile queries.

Already covered elsewhere (not repeated here): empty, binary, undecodable, over-size (sparse),
unreadable, malformed PDF/docx, a 30 MB docx bomb, symlink loops and FIFOs
(``test_ingest_bad_input.py``); a PDF with no text layer says "no text could be extracted
(scanned or empty document?)"
(``test_ingest_formats.py::test_scanned_pdf_without_text_is_skipped``); the sandbox's time
and memory limits (``test_ingest_formats.py``); an empty, blank,
control-character and 100,000-character query through the API
(``test_library.py::test_odd_queries_never_raise``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from ingest_support import ingest_one, pdf_bytes, token_counter  # noqa: F401 (fixture)
from reliability_support import (
    CLIPPING_QUERY,
    copy_library,
    error_lines,
    run_study,
    study_env,
)

from ground.settings import Settings
from ingest.chunker import EMBEDDING_WINDOW
from ingest.encoding import decode_text
from ingest.oversized import MAX_LINE_CHARS
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.store import Store

PEAK_RSS = (
    "import resource, runpy, sys; sys.argv = ['study'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('ui.cli', run_name='__main__')\n"
    "finally:\n    print('peak_rss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " file=sys.stderr)"
)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


# -- size ------------------------------------------------------------------------------------


def _peak_rss_kb(settings: Settings, *args: str) -> tuple[int, str, int]:
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *args],
        capture_output=True,
        text=True,
        env=study_env(settings),
        cwd=REPO_ROOT,
        timeout=600,
    )
    peak = int(result.stderr.rsplit("peak_rss_kb", 1)[1].split()[0])
    return result.returncode, result.stdout, peak


@pytest.mark.slow  # ingests through the CLI, which loads the real embedder
def test_a_100_mb_single_line_file_is_refused_without_being_read(tmp_path, settings):
    small = tmp_path / "notes" / "small.md"
    small.parent.mkdir()
    small.write_text("# 小\n\n## 问题\n\n答案。\n", encoding="utf-8")
    huge = tmp_path / "huge" / "one-line.md"
    huge.parent.mkdir()
    with open(huge, "wb") as stream:  # real bytes, one line, no newline at all
        block = "梯度".encode() * (2**20 // 6)
        for _ in range(100):
            stream.write(block)
        stream.write(b"x" * (100 * 2**20 - stream.tell()))
    baseline_status, _, baseline = _peak_rss_kb(settings, "ingest", str(small))
    status, out, peak = _peak_rss_kb(settings, "ingest", str(huge))
    huge.unlink()
    assert baseline_status == 0
    assert status == 3  # some files skipped
    assert f"SKIPPED {huge}: file too large (100.0 MB > 50 MB; setting max_file_mb)" in out
    print(
        f"\npeak RSS: {baseline // 1024} MB ingesting a small note, {peak // 1024} MB "
        "refusing a 100 MB one"
    )
    assert peak - baseline < 40 * 1024, "the file was read into memory"


def test_the_longest_allowed_line_is_chunked_in_linear_time(tmp_path, settings, token_counter):  # noqa: F811
    words = ["梯度", "裁剪", "正则化", "dropout", "batch", "学习率", "attention"]
    text = "".join(words[i * 7 % len(words)] for i in range(2**20 // 5))  # no newline, no stop
    text = text[:MAX_LINE_CHARS]  # longer lines are left out (test_reliability_large.py)
    path = tmp_path / "line.md"
    path.write_text(text, encoding="utf-8")
    report, chunks, elapsed, tokens = ingest_one(path, settings, token_counter)
    print(
        f"\n{path.stat().st_size / 2**20:.1f} MB single line: {len(chunks)} chunks in "
        f"{elapsed:.1f} s"
    )
    assert report.count(Status.ADDED) == 1
    assert elapsed < 60  # bisecting the whole line for every piece took ~130 s here
    assert max(tokens.values()) <= EMBEDDING_WINDOW
    assert chunks[0].start_char == 0 and chunks[-1].end_char == len(text)
    for before, after in zip(chunks, chunks[1:], strict=False):  # tiled in order, no gap
        assert after.start_char <= before.end_char < after.end_char


@pytest.mark.parametrize("tag", ["div", "b"])
def test_html_nested_100_000_deep_still_ingests(tag, tmp_path, settings, token_counter):  # noqa: F811
    body = "<h2>什么是梯度裁剪？</h2><p>限制梯度的范数。</p>"
    path = tmp_path / "deep.html"
    path.write_text(
        f"<html><body>{f'<{tag}>' * 100_000}{body}{f'</{tag}>' * 100_000}</body></html>",
        encoding="utf-8",
    )
    report, chunks, elapsed, _ = ingest_one(path, settings, token_counter)
    assert report.count(Status.ADDED) == 1, report.outcomes  # was: RecursionError at ~500
    assert any("限制梯度的范数。" in chunk.text for chunk in chunks)
    assert elapsed < 60


# -- decompression bombs -------------------------------------------------------------------


def _docx_inflating_to(size: int, zip64: bool = True) -> bytes:
    """A docx-shaped zip whose document.xml really inflates to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=zip64) as entry:
            block = bytes(2**20)
            for _ in range(size // len(block)):
                entry.write(block)
    return buffer.getvalue()


def test_a_docx_inflating_to_1_gb_is_refused_before_any_parsing(tmp_path, settings, token_counter):  # noqa: F811
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx_inflating_to(2**30))
    assert path.stat().st_size < 5 * 2**20
    report, chunks, elapsed, _ = ingest_one(path, settings, token_counter)
    assert report.skipped[0].reason == "suspicious Word document: inflates to 1024 MB (zip bomb?)"
    assert chunks == [] and elapsed < 5  # the directory was read, nothing inflated


def test_a_docx_lying_about_its_sizes_is_never_inflated(tmp_path, settings, token_counter):  # noqa: F811
    """Headers claiming 1 KB pass the size checks; the reader stops at the claimed size."""
    data = bytearray(_docx_inflating_to(64 * 2**20, zip64=False))
    real = (64 * 2**20).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    path = tmp_path / "liar.docx"
    path.write_bytes(bytes(data.replace(real, (1000).to_bytes(4, "little"))))
    report, chunks, elapsed, _ = ingest_one(path, settings, token_counter)
    assert len(report.skipped) == 1 and chunks == [], report.outcomes
    assert report.skipped[0].reason.startswith("not a readable Word document"), report.outcomes
    assert elapsed < 30


def _pdf(content_dict: bytes, content: bytes, circular_prev: bool = False) -> bytes:
    """A one-page PDF whose page content stream is ``content`` with ``content_dict`` keys."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< "
        + content_dict
        + f" /Length {len(content)} >>\nstream\n".encode()
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    prev = " /Prev {xref}" if circular_prev else ""  # the previous xref section is itself
    return pdf_bytes(objects, prev)


def test_a_pdf_with_nested_flate_bomb_is_skipped_quickly(tmp_path, settings, token_counter):  # noqa: F811
    inner = zlib.compress(b"BT /F1 11 Tf 72 760 Td (bomb) Tj ET " + b" " * (200 * 2**20), 9)
    path = tmp_path / "bomb.pdf"
    path.write_bytes(_pdf(b"/Filter [/FlateDecode /FlateDecode]", zlib.compress(inner, 9)))
    assert path.stat().st_size < 10_000
    report, chunks, elapsed, _ = ingest_one(path, settings, token_counter)
    assert report.skipped[0].reason.startswith("suspicious PDF: a stream inflates past"), (
        report.outcomes
    )
    assert chunks == [] and elapsed < 60


def test_a_pdf_whose_xref_points_at_itself_does_not_hang(tmp_path, settings, token_counter):  # noqa: F811
    path = tmp_path / "loop.pdf"
    path.write_bytes(
        _pdf(b"", b"BT /F1 11 Tf 72 760 Td (Circular xref notes) Tj ET", circular_prev=True)
    )
    report, chunks, elapsed, _ = ingest_one(path, settings, token_counter)
    assert report.count(Status.ADDED) == 1, report.outcomes
    assert chunks[0].text == "Circular xref notes" and elapsed < 60


# -- names and encodings ---------------------------------------------------------------------


def test_file_names_with_dot_dot_unicode_spaces_and_quotes(tmp_path, sample_library):
    settings = sample_library.settings.replace(home=tmp_path / "home")
    notes = tmp_path / "my notes"
    (notes / "sub").mkdir(parents=True)
    names = {
        "笔记 一.md": "zqxjk 一号笔记",
        "emoji 😀 note.md": "zqxjk emoji note",
        'it\'s "quoted".md': "zqxjk quoted note",
    }
    for name, word in names.items():
        (notes / name).write_text(f"# {name}\n\n## 问题\n\n{word}。\n", encoding="utf-8")
    listing_before = sorted(p.name for p in tmp_path.rglob("*"))
    via_dot_dot = notes / "sub" / ".." / "笔记 一.md"
    ingested = run_study(settings, "ingest", str(via_dot_dot), str(notes))
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    assert "files: 3 added" in ingested.stdout  # the ../ path and the folder name one file
    docs = [
        json.loads(line)
        for line in run_study(settings, "docs", "--json").stdout.split("\n")
        if line
    ]
    assert sorted(d["source"] for d in docs) == sorted(str(notes / n) for n in names)
    removed = run_study(settings, "rm", "笔记 一.md")
    assert removed.returncode == 0 and f"removed {notes / '笔记 一.md'}" in removed.stdout
    found = run_study(settings, "search", "--json", "--mode", "lexical", "zqxjk")
    sources = {hit["source"] for hit in json.loads(found.stdout)["hits"]}
    assert sources == {str(notes / "emoji 😀 note.md"), str(notes / 'it\'s "quoted".md')}
    written = sorted(
        p.name for p in tmp_path.rglob("*") if settings.home not in p.parents and p != settings.home
    )
    assert written == listing_before  # nothing appeared beside the notes


SHORT_SIMPLIFIED = [
    "正则化",
    "学习率",
    "卷积层",
    "池化",
    "丢弃法",
    "优化器",
    "梯度裁剪",
    "过拟合怎么办",
    "朱镕基",
    "刘赟",
    "镕",
    "注意力机制",
]
BEYOND_GB2312 = "𠀀𠮷䶮〇€鿏龥 emoji 😀 与 𪚥 ㄅ：超出 GB2312 的字符"


@pytest.mark.parametrize("text", SHORT_SIMPLIFIED)
def test_short_gbk_notes_are_not_mistaken_for_big5(text):
    for encoding in ("gbk", "gb18030"):
        decoded = decode_text(text.encode(encoding))  # was Big5 mojibake for 9 of these
        assert (decoded.text, decoded.encoding) == (text, "gb18030")


def test_gb18030_beyond_gb2312_round_trips_through_ingest(tmp_path, settings, token_counter):  # noqa: F811
    folder = tmp_path / "notes"
    folder.mkdir()
    note = f"# 生僻字\n\n## {BEYOND_GB2312}\n\n{BEYOND_GB2312}\n"
    (folder / "rare.txt").write_bytes(note.encode("gb18030"))
    (folder / "short.txt").write_bytes("正则化".encode("gbk"))  # fewer than 32 characters
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [folder], settings, token_counter)
        assert report.count(Status.ADDED) == 2, report.outcomes
        by_name = {Path(d.source).name: d for d in store.documents()}
        assert {d.encoding for d in by_name.values()} == {"gb18030"}
        rare = store.chunks(by_name["rare.txt"].id)
        assert rare[0].text == f"## {BEYOND_GB2312}\n\n{BEYOND_GB2312}"
        assert store.chunks(by_name["short.txt"].id)[0].text == "正则化"


# -- queries through the CLI -----------------------------------------------------------------


def test_hostile_queries_through_the_cli(tmp_path, sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    queries = tmp_path / "queries.txt"
    hostile = ["x" * 100_000, "什么是\x00梯度\x1b[31m裁剪？\x7f"]  # long; control characters
    queries.write_text("\n".join([CLIPPING_QUERY, *hostile]), encoding="utf-8")
    result = run_study(settings, "search", "--json", "-k", "3", "--queries-file", str(queries))
    assert result.returncode == 0 and not error_lines(result.stderr), result.stderr[-2000:]
    clean, long, controlled = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(long["query"]) == 100_000 and isinstance(long["hits"], list)
    assert [h["heading"] for h in controlled["hits"]][:1] == [h["heading"] for h in clean["hits"]][
        :1
    ]
    empty = run_study(settings, "search", "")
    assert empty.returncode == 0 and "no passages found" in empty.stdout
