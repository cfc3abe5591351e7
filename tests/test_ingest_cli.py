"""``study ingest`` / ``docs`` / ``rm``, invoked as commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ingest.store import Store
from ui import cli
from ui.commands import library_cmd


@pytest.fixture
def common_flags(home, embedding_model_dir) -> list[str]:
    return ["--home", str(home), "--model-cache", str(embedding_model_dir.parent)]


def test_ingest_docs_and_reingest_for_real(common_flags, sample_notes_dir):
    command = [sys.executable, "-m", "ui.cli", *common_flags]
    first = subprocess.run([*command, "ingest", str(sample_notes_dir)], capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("files: 5 added, 0 updated, 0 unchanged, 0 removed, "
                                   "0 skipped; chunks: 152 added, 0 removed, 0 kept (")
    assert "ingesting" in first.stderr and "embedding" in first.stderr  # the progress bars
    again = subprocess.run([*command, "ingest", str(sample_notes_dir)], capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0
    assert again.stdout.startswith("files: 0 added, 0 updated, 5 unchanged, 0 removed, "
                                   "0 skipped; chunks: 0 added, 0 removed, 0 kept")


def test_skipped_files_set_the_exit_status(common_flags, tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "good.md").write_text("# 笔记\n\n## 问题\n\n答案。\n", encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.png").write_bytes(b"\x89PNG")
    status = cli.main([*common_flags, "ingest", str(folder)])
    out = capsys.readouterr().out.splitlines()
    assert status == library_cmd.EXIT_SKIPPED == 3
    assert out[:2] == [
        f"SKIPPED {folder / 'empty.txt'}: empty file",
        f"SKIPPED {folder / 'image.png'}: unsupported file type '.png' (supported: .docx, .htm, "
        ".html, .markdown, .md, .pdf, .txt)",
    ]
    assert out[2].startswith("files: 1 added, 0 updated, 0 unchanged, 0 removed, 2 skipped;")


def test_docs_rm_and_prune(common_flags, tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("a.md", "b.md", "c.md"):
        (folder / name).write_text(f"# {name}\n\n正文 {name}\n", encoding="utf-8")
    assert cli.main([*common_flags, "ingest", str(folder)]) == 0
    capsys.readouterr()
    assert cli.main([*common_flags, "docs"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["ID", "CHUNKS", "FORMAT", "TITLE", "PATH"]
    assert listing[1].split() == ["1", "1", "md", "a.md", str(folder / "a.md")]
    assert listing[-1] == "3 documents, 3 chunks"
    assert cli.main([*common_flags, "rm", "b.md"]) == 0
    assert capsys.readouterr().out == f"removed {folder / 'b.md'} (1 chunks)\n"
    assert cli.main([*common_flags, "rm", "b.md"]) == 1
    assert "error: no document 'b.md' in the library" in capsys.readouterr().err
    (folder / "c.md").unlink()
    assert cli.main([*common_flags, "ingest", "--prune", str(folder)]) == 0
    out = capsys.readouterr().out
    assert f"REMOVED {folder / 'c.md'} (1 chunks)" in out
    assert cli.main([*common_flags, "docs", "--json"]) == 0
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # b.md was removed from the library but not from disk, so ingesting the folder re-adds it
    assert [d["source"] for d in documents] == [str(folder / "a.md"), str(folder / "b.md")]


def test_second_ingest_fails_clearly_when_the_library_stays_busy(
    common_flags, home, tmp_path, capsys, monkeypatch
):
    note = tmp_path / "n.md"
    note.write_text("# 笔记\n\n正文\n", encoding="utf-8")
    with Store.open(home) as holder, holder.writing():
        status = cli.main([*common_flags, "--lock-timeout", "0.3", "ingest", str(note)])
    assert status == 1
    message = capsys.readouterr().err
    error_line = message.splitlines()[-1]  # after the progress bars
    assert error_line.startswith(f"error: library {home} is busy: another process (pid ")
    assert "try again when it has finished" in error_line
    with Store.open(home) as store:
        assert store.documents() == []


def test_docs_on_an_empty_library(common_flags, capsys):
    assert cli.main([*common_flags, "docs"]) == 0
    assert capsys.readouterr().out.startswith("no documents in ")
