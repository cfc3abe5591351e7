"""Inputs real users bring (issue 17): non-UTF-8 file names, symlinks out of the notes folder,
terminal escapes in names and notes, ``--prune`` scope, an empty home, a FIFO swapped in
mid-ingest, and every CLI error as one line.

The fast tests drive ``ingest_paths`` with the real tokenizer (no embedding model); the CLI ones
run the real ``study`` command, loading the real embedder where the command needs it.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SAMPLE_NOTES
from ingest_support import token_counter  # noqa: F401 (fixture)
from reliability_support import (
    assert_one_line_error,
    copy_library,
    error_lines,
    run_study,
    study_env,
)
from test_study_memory import T0, Clock, build_history, open_memory

from ground.settings import Settings
from ingest.discovery import os_path
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.store import Store

ESC = "\x1b"
GBK_NAME = "梯度".encode("gbk") + b".md"  # what a zip made on Chinese Windows unpacks to


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(home=tmp_path / "home", env={})


def _note(path: Path, heading: str, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {heading}\n\n## 问题\n\n{body}\n", encoding="utf-8")
    return path


# -- 1. file names that are not UTF-8 --------------------------------------------------------


def test_a_gbk_file_name_is_ingested_shown_removed_and_pruned(tmp_path, sample_library):
    settings = sample_library.settings.replace(home=tmp_path / "home")
    notes = tmp_path / "notes"
    notes.mkdir()
    gbk_path = os.path.join(os.fsencode(notes), GBK_NAME)
    with open(gbk_path, "w", encoding="utf-8") as stream:
        stream.write("梯度裁剪把梯度的范数限制在阈值以内。\n")  # no heading: the name is the title
    _note(notes / "正则化.md", "正则化", "zqxjk 正则化的笔记。")  # sorts after the GBK name

    first = run_study(settings, "ingest", "-v", str(notes))
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Traceback" not in first.stderr
    assert "files: 2 added" in first.stdout  # the file after it is ingested too
    assert f"ADDED {notes}/\\xcc" in first.stdout  # each byte UTF-8 cannot decode, escaped
    again = run_study(settings, "ingest", str(notes))  # re-runs used to crash every time
    assert again.returncode == 0 and "2 unchanged" in again.stdout, again.stderr[-2000:]

    docs = [json.loads(line) for line in run_study(settings, "docs", "--json").stdout.split("\n")
            if line]
    by_title = {d["title"]: d for d in docs}
    assert set(by_title) == {"梯度", "正则化"}  # the GBK name decoded for people
    source = by_title["梯度"]["source"]
    assert os.fsencode(os_path(source)) == gbk_path  # the exact bytes survive for the OS
    listing = run_study(settings, "docs").stdout
    assert "梯度" in listing and "\\xcc" in listing

    os.unlink(gbk_path)
    pruned = run_study(settings, "ingest", "--prune", str(notes))
    assert pruned.returncode == 0, pruned.stderr[-2000:]
    assert f"REMOVED {notes}/\\xcc" in pruned.stdout and "1 removed" in pruned.stdout


def test_a_document_with_a_gbk_name_can_be_removed_by_the_name_shown(tmp_path, settings,
                                                                     token_counter):  # noqa: F811
    notes = tmp_path / "notes"
    notes.mkdir()
    with open(os.path.join(os.fsencode(notes), GBK_NAME), "w", encoding="utf-8") as stream:
        stream.write("# 梯度\n\n内容。\n")
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [notes], settings, token_counter)
        assert report.count(Status.ADDED) == 1, report.outcomes
        (document,) = store.documents()
        name = document.source.rsplit("/", 1)[1]
        assert store.document(name).id == document.id  # as printed, backslashes and all
        assert store.document(os.fsdecode(GBK_NAME)).id == document.id  # as the shell gives it


# -- 4. symlinks -----------------------------------------------------------------------------


def test_symlinks_are_followed_only_inside_the_folder_given(tmp_path, settings,
                                                            token_counter):  # noqa: F811
    outside = tmp_path / "outside"
    secret = _note(outside / "passwd.txt", "secret", "root:x:0:0 zqxjk")
    notes = tmp_path / "notes"
    _note(notes / "kept.md", "笔记", "正文。")
    _note(notes / "sub" / "inner.md", "内部", "内部的笔记。")
    (notes / "p.txt").symlink_to(secret)  # ln -s /etc/passwd notes/p.txt
    (notes / "etc").symlink_to(outside, target_is_directory=True)
    (notes / "alias.md").symlink_to(notes / "sub" / "inner.md")  # stays inside: fine
    (notes / "sub2").symlink_to(notes / "sub", target_is_directory=True)
    with Store.open(settings.home) as store:
        report = ingest_paths(store, [notes], settings, token_counter)
        sources = {Path(d.source).name for d in store.documents()}
        texts = " ".join(c.text for c in store.chunks())
    assert sources == {"kept.md", "inner.md"}
    assert "zqxjk" not in texts
    reasons = {Path(o.path).name: o.reason for o in report.skipped}
    assert set(reasons) == {"p.txt", "etc", "sub2"}
    for name in ("p.txt", "etc"):
        assert reasons[name].startswith(f"symlink leads outside {notes} (to {outside}")
    assert "already visited" in reasons["sub2"]  # inside, but walked once
    with Store.open(settings.home) as store:  # a link given by name is what the user chose
        direct = ingest_paths(store, [notes / "p.txt"], settings, token_counter)
    assert direct.count(Status.ADDED) == 1


# -- 5. terminal escapes ---------------------------------------------------------------------


def test_escapes_and_newlines_in_names_and_notes_never_reach_the_terminal(tmp_path,
                                                                         sample_library):
    settings = sample_library.settings.replace(home=tmp_path / "home")
    notes = tmp_path / "notes"
    forged = f"x.md\nADDED /forged (9 chunks)\n{ESC}]0;pwned{ESC}\\.md"
    filler = "梯度裁剪把梯度的范数限制在阈值以内。" * 20  # a few escapes in a real note
    _note(notes / forged, f"zqxjk {ESC}[2J标题",
          f"zqxjk 正文 {ESC}]8;;http://evil/{ESC}\\链接 {filler}")
    _note(notes / "bidi\u202eevil.md", "zqxjk bidi", "正文。")
    outputs = []
    no_model = {**study_env(settings), "STUDY_LLM_MODEL": str(tmp_path / "none.gguf")}
    for command in (["ingest", "-v", str(notes)], ["docs"], ["docs", "--json"],
                    ["search", "-k", "5", "zqxjk"], ["search", "--json", "zqxjk"],
                    ["ask", "梯度裁剪把梯度的范数限制在哪里？"],  # the notes' lines, no model
                    ["rm", f"nothing{ESC}[2J\nerror: forged"]):
        result = run_study(settings, *command, env=no_model if command[0] == "ask" else None)
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        outputs.append((command, result))
    for command, result in outputs:
        for stream in (result.stdout, result.stderr.replace("\r", "")):
            visible = stream.replace(f"{ESC}[A", "").replace(f"{ESC}[K", "")  # tqdm's own
            assert ESC not in visible and "\u202e" not in visible, (command, stream)
            assert "ADDED /forged" not in [line.strip() for line in stream.splitlines()]
    ingest, docs, docs_json, search, search_json, ask, rm = (r for _, r in outputs)
    assert ingest.returncode == 0 and "\\nADDED /forged (9 chunks)\\n\\x1b]0;pwned" in ingest.stdout
    assert len(docs.stdout.splitlines()) == 4  # header, two documents, total
    assert "\\x1b[2J标题" in docs.stdout and "\\u202e" in docs.stdout
    sources = {json.loads(line)["source"] for line in docs_json.stdout.splitlines()}
    assert str(notes / forged) in sources  # JSON keeps the exact name, escaped by JSON
    assert "\\x1b]8;;http://evil/" in search.stdout
    assert json.loads(search_json.stdout)["hits"]
    assert "│ zqxjk 正文 \\x1b]8;;http://evil/" in ask.stdout  # the quote, its escape visible
    assert_one_line_error(rm, "nothing\\x1b[2J\\nerror: forged")


# -- 6. --prune ------------------------------------------------------------------------------


def test_prune_removes_only_documents_under_the_paths_given(tmp_path, settings,
                                                            token_counter):  # noqa: F811
    here = [_note(tmp_path / "here" / f"h{n}.md", f"h{n}", f"笔记 {n}。") for n in range(2)]
    usb = [_note(tmp_path / "usb" / f"u{n}.md", f"u{n}", f"笔记 u{n}。") for n in range(2)]
    sibling = _note(tmp_path / "here-too" / "s.md", "s", "同名前缀的文件夹。")
    with Store.open(settings.home) as store:
        ingest_paths(store, [tmp_path / "here", tmp_path / "usb", sibling], settings,
                     token_counter)
        for path in [here[0], *usb, sibling]:  # the drive is unmounted; one note deleted
            path.unlink()
        report = ingest_paths(store, [tmp_path / "here"], settings, token_counter, prune=True)
        left = sorted(Path(d.source).name for d in store.documents())
    assert [Path(o.path).name for o in report.with_status(Status.REMOVED)] == ["h0.md"]
    assert left == ["h1.md", "s.md", "u0.md", "u1.md"]


# -- 9. empty home ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_empty_home_is_refused_in_one_line(tmp_path, how):
    fake_user = tmp_path / "user"
    fake_user.mkdir()
    env = {**study_env(Settings.load(home=tmp_path, env={})), "HOME": str(fake_user)}
    if how == "flag":
        args = ["--home", "", "docs"]
    else:
        env["STUDY_HOME"] = ""
        args = ["docs"]
    result = run_study(Settings.load(home=tmp_path, env={}), *args, env=env)
    line = assert_one_line_error(result, "empty")
    assert ("--home" if how == "flag" else "STUDY_HOME") in line
    assert list(fake_user.iterdir()) == []  # ~/.study was never created


# -- 10. a FIFO swapped in after discovery ---------------------------------------------------


def test_a_fifo_swapped_in_after_discovery_is_skipped_not_waited_on(tmp_path, settings,
                                                                   token_counter):  # noqa: F811
    first = _note(tmp_path / "notes" / "a.md", "a", "第一个。")
    second = _note(tmp_path / "notes" / "b.md", "b", "第二个。")
    third = _note(tmp_path / "notes" / "c.md", "c", "第三个。")

    def swap(done: int, total: int) -> None:
        if done == 1:  # a.md is in; b.md becomes a FIFO before it is opened
            second.unlink()
            os.mkfifo(second)

    def hung(*_):
        raise TimeoutError("ingest blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with Store.open(settings.home) as store:
            report = ingest_paths(store, [first.parent], settings, token_counter, progress=swap)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    statuses = {Path(o.path).name: (o.status, o.reason) for o in report.outcomes}
    assert statuses["b.md"] == (Status.SKIPPED, "not a regular file (changed while ingesting)")
    assert statuses["a.md"][0] is statuses["c.md"][0] is Status.ADDED
    assert third.exists()


# -- 11. one-line errors ---------------------------------------------------------------------


def _bad_queries_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    invalid = tmp_path / "latin1.txt"
    invalid.write_bytes("什么是梯度？\n".encode("gbk"))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return {
        "invalid UTF-8": (invalid, "not UTF-8 text"),
        "missing": (tmp_path / "missing.txt", "No such file"),
        "a folder": (folder, "is a folder"),
    }


def test_queries_file_problems_are_one_line(tmp_path, settings):
    for name, (path, needle) in _bad_queries_files(tmp_path).items():
        result = run_study(settings, "search", "--queries-file", str(path))
        assert_one_line_error(result, str(path), needle), name


@pytest.mark.parametrize("k", ["0", "-1", "x"])
def test_a_bad_count_is_one_line(tmp_path, settings, k):
    result = run_study(settings, "search", "-k", k, "梯度")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: argument -k")


def test_rm_of_a_superscript_digit_is_one_line(tmp_path, settings):
    Store.open(settings.home).close()
    assert_one_line_error(run_study(settings, "rm", "²"), "no document '²'")


def _history(tmp_path: Path) -> Path:
    memory = open_memory(tmp_path / "history-home", Clock(T0))
    build_history(memory)
    path = tmp_path / "history.json"
    memory.export(path)
    memory.close()
    memory.library.close()
    return path


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00+05:00", "9999-12-31T23:59:59+00:00"])
def test_history_with_out_of_range_dates_is_one_line(tmp_path, settings, stamp):
    path = _history(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["items"][0]["answers"][0]["answered_at"] = stamp
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run_study(settings, "history", "import", str(path))
    assert_one_line_error(result, "not between 1970 and 2199")


def test_history_nested_100k_deep_is_one_line(tmp_path, settings):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run_study(settings, "history", "import", str(path))
    assert_one_line_error(result, "nested too deep")


def test_doctor_on_a_home_it_cannot_write_checks_without_a_traceback(tmp_path, sample_library):
    settings = copy_library(sample_library, tmp_path / "home")
    (settings.home / "write.lock").mkdir()  # root ignores permissions: make the lock unwritable
    result = run_study(settings, "doctor")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert not error_lines(result.stderr)
    assert "cannot write to the library home" in result.stdout
    assert "checked without the write lock" in result.stdout
    ingest = run_study(settings, "ingest", str(SAMPLE_NOTES))
    assert_one_line_error(ingest, "cannot write to the library home")


def test_cli_module_examples():
    import doctest

    from ui import terminal_text
    from ui.commands import arguments

    for module in (terminal_text, arguments):
        assert doctest.testmod(module).failed == 0
    assert REPO_ROOT.is_dir()
