"""Bad input never aborts a batch nor leaves rows: one SKIPPED line each, library unchanged."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from ingest_support import snapshot, token_counter  # noqa: F401 (fixture)

from ground.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.store import Store

GOOD_NOTE = "# 笔记\n\n## 什么是迁移学习？\n\n复用预训练模型。\n"
WRITE_ONLY_PROC_FILE = Path("/proc/sys/vm/drop_caches")  # mode 0200: even root may not read it


def _zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _empty(folder: Path) -> Path:
    path = folder / "empty.md"
    path.write_bytes(b"")
    return path


def _whitespace(folder: Path) -> Path:
    path = folder / "blank.txt"
    path.write_text("   \n\t\n \u3000\n", encoding="utf-8")
    return path


def _binary_named_txt(folder: Path) -> Path:
    path = folder / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path


def _nul_bytes(folder: Path) -> Path:
    path = folder / "nul.md"
    path.write_bytes("# 标题\n\n正文\x00正文\n".encode())
    return path


def _undecodable(folder: Path) -> Path:
    path = folder / "broken.txt"
    path.write_bytes("# 标题\n".encode() + b"\x81\xff\xfe\x80 \xff\xff\n")
    return path


def _unsupported(folder: Path) -> Path:
    path = folder / "slides.pptx"
    path.write_bytes(b"PK\x03\x04 not really")
    return path


def _too_large(folder: Path) -> Path:
    path = folder / "huge.md"
    with open(path, "wb") as stream:  # sparse: 51 MB on paper, nothing on disk
        stream.truncate(51 * 1024 * 1024)
    return path


def _unreadable(folder: Path) -> Path:
    if not WRITE_ONLY_PROC_FILE.exists():
        pytest.skip("no write-only /proc file to stand for an unreadable note")
    try:
        WRITE_ONLY_PROC_FILE.open("rb").close()
        pytest.skip("the write-only /proc file is readable here")
    except PermissionError:
        pass
    path = folder / "secret.txt"
    path.symlink_to(WRITE_ONLY_PROC_FILE)  # open() fails with EACCES, for root too
    return path


def _malformed_pdf(folder: Path) -> Path:
    path = folder / "paper.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ntruncated")
    return path


def _malformed_docx(folder: Path) -> Path:
    path = folder / "essay.docx"
    path.write_bytes(os.urandom(2048))
    return path


def _docx_without_document(folder: Path) -> Path:
    path = folder / "hollow.docx"
    path.write_bytes(_zip({"[Content_Types].xml": b"<Types/>"}))
    return path


def _corrupt_docx_xml(folder: Path) -> Path:
    path = folder / "mangled.docx"
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["word/document.xml"] = b"<w:document><unclosed"
    path.write_bytes(_zip(entries))
    return path


def _zip_bomb_docx(folder: Path) -> Path:
    path = folder / "bomb.docx"
    path.write_bytes(_zip({"word/document.xml": b"<a/>", "word/fill.xml": bytes(30 * 2**20)}))
    return path


def _symlink_loop(folder: Path) -> Path:
    first, second = folder / "loop-a.md", folder / "loop-b.md"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.txt"
    os.mkfifo(path)
    return path


BAD_INPUTS = {
    "empty file": (_empty, "empty file"),
    "whitespace only": (_whitespace, "no text: the file holds only whitespace"),
    "binary named .txt": (_binary_named_txt, "binary file: contains NUL bytes"),
    "NUL bytes": (_nul_bytes, "binary file: contains NUL bytes"),
    "undecodable bytes": (_undecodable, "cannot decode text: not UTF-8, UTF-16, GB18030/GBK"),
    "unsupported extension": (_unsupported, "unsupported file type '.pptx'"),
    "over the size limit": (_too_large, "file too large (51.0 MB > 50 MB; setting max_file_mb)"),
    "unreadable permissions": (_unreadable, "permission denied"),
    "malformed PDF": (_malformed_pdf, "not a readable PDF"),
    "malformed docx": (_malformed_docx, "not a readable Word document (not a zip archive"),
    "docx without document": (_docx_without_document, "not a readable Word document (no word"),
    "docx with broken XML": (_corrupt_docx_xml, "not a readable Word document"),
    "docx zip bomb": (_zip_bomb_docx, "suspicious Word document: word/fill.xml compressed"),
    "symlink loop": (_symlink_loop, "symlink loop"),
    "FIFO": (_fifo, "not a regular file"),
}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


@pytest.fixture
def library(tmp_path, settings, token_counter):  # noqa: F811
    good = tmp_path / "good"
    good.mkdir()
    (good / "note.md").write_text(GOOD_NOTE, encoding="utf-8")
    with Store.open(settings.home) as store:
        ingest_paths(store, [good], settings, token_counter)
        yield store


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_skipped_with_its_reason(case, tmp_path, library, settings,
                                              token_counter):  # noqa: F811
    make, reason = BAD_INPUTS[case]
    folder = tmp_path / "bad"
    folder.mkdir()
    bad_path = make(folder)
    before = snapshot(library)
    report = ingest_paths(library, [bad_path], settings, token_counter)
    assert len(report.outcomes) == 1 and report.skipped == report.outcomes
    assert report.outcomes[0].line.startswith(f"SKIPPED {bad_path}: {reason}")
    assert snapshot(library) == before
    assert library.consistency_problems() == []


def test_a_batch_of_bad_files_still_ingests_the_good_ones(tmp_path, library, settings,
                                                          token_counter):  # noqa: F811
    folder = tmp_path / "mixed"
    folder.mkdir()
    for case, (make, _) in BAD_INPUTS.items():
        if case not in ("unreadable permissions",):
            make(folder)
    (folder / "good.md").write_text("# 新笔记\n\n## 什么是正则化？\n\n约束参数。\n",
                                    encoding="utf-8")
    loop = folder / "sub"
    loop.mkdir()
    (loop / "again").symlink_to(folder)  # a folder symlink loop
    report = ingest_paths(library, [folder], settings, token_counter)
    assert [o.path for o in report.with_status(Status.ADDED)] == [str(folder / "good.md")]
    skipped = {Path(o.path).name for o in report.skipped}
    assert "again" in skipped and "pipe.txt" in skipped and "bomb.docx" in skipped
    # every bad input but the /proc one, plus the folder loop and the loop's second link
    assert len(report.skipped) == len(BAD_INPUTS) - 1 + 2
    assert len(library.documents()) == 2 and library.consistency_problems() == []


def test_size_limit_is_configurable(tmp_path, library, token_counter):  # noqa: F811
    note = tmp_path / "note.md"
    note.write_text("# 标题\n\n" + "正文。" * 1000, encoding="utf-8")
    small = Settings.load(home=library.home, env={}, overrides={"max_file_mb": 0.001})
    report = ingest_paths(library, [note], small, token_counter)
    assert report.skipped[0].reason == "file too large (0.0 MB > 0.001 MB; setting max_file_mb)"
    report = ingest_paths(library, [note], small.replace(max_file_mb=1), token_counter)
    assert report.count(Status.ADDED) == 1


def test_a_file_that_goes_bad_keeps_its_last_good_version(tmp_path, library, settings,
                                                          token_counter):  # noqa: F811
    note = tmp_path / "note.md"
    note.write_text(GOOD_NOTE, encoding="utf-8")
    ingest_paths(library, [note], settings, token_counter)
    before = snapshot(library)
    note.write_bytes(b"\x00\x01binary now")
    report = ingest_paths(library, [note], settings, token_counter)
    assert report.skipped[0].reason == "binary file: contains NUL bytes"
    assert snapshot(library) == before
