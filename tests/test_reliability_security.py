"""Security: nothing is written outside the library home, nothing unpickles, loopback UI.

Also covered elsewhere: a planted ``index.pkl`` next to the vector and keyword indexes at unit
level (``test_vector_index.py`` / ``test_lexical.py``, ``*_planted_pickle*``), the embedding
cache storing raw float32 (``test_embedder.py::test_cache_is_keyed_by_model_and_never_pickled``),
note text as data in prompts (``test_assistant_explain.py`` and ``test_assistant_budget.py``).
"""

from __future__ import annotations

import ast
import codecs
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docx
from conftest import REPO_ROOT, SAMPLE_NOTES
from ingest_support import write_pdf
from reliability_support import CLIPPING_QUERY, copy_library, run_driver, study_env

from ground.settings import Settings
from ui.commands.ui_cmd import streamlit_command

SOURCE_PACKAGES = ("ingest", "index", "assistant", "ui")
PICKLE_BOMB = b"cos\nsystem\n(S'touch {marker}'\ntR."
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}
ALLOWED_OUTSIDE = ("/dev/null", "/dev/tty", "/dev/shm/sem.")  # tqdm's multiprocessing lock


def _under(path: str, root: Path) -> bool:
    resolved = os.path.realpath(path.removeprefix("file://").split("?")[0].removeprefix("file:"))
    return resolved == str(root) or resolved.startswith(str(root) + os.sep)


_CALL = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)")
_WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")


def _strace_writes(log: Path) -> set[str]:
    """Paths the traced processes created, opened for writing, renamed, removed or linked."""
    written = set()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _CALL.match(line)
        if not match or int(match.group(3)) < 0:
            continue
        name, args = match.group(1), match.group(2)
        if name in ("open", "openat") and not _WRITE_FLAGS.search(args):
            continue
        directories = re.findall(r"\d+<([^>]*)>", args)  # strace -y: an fd's path
        for quoted in re.findall(r'"((?:[^"\\]|\\.)*)"', args):
            path = codecs.escape_decode(quoted)[0].decode("utf-8", "replace")
            if not path.startswith("/"):
                path = os.path.join(directories[0] if directories else str(REPO_ROOT), path)
            written.add(os.path.normpath(path))
    return written


def _strace_works() -> bool:
    if not shutil.which("strace"):
        return False
    probe = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"], capture_output=True)
    return probe.returncode == 0


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_no_path_outside_the_home_is_ever_written(tmp_path, sample_library):
    """Every command, run for real (audit hook always; strace too when the system allows)."""
    home = tmp_path / "home"
    settings = sample_library.settings.replace(home=home)
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(SAMPLE_NOTES / "004_8e77f8e049ce3a31.txt", notes / "clipping.md")
    (notes / "page.html").write_text("<h2>什么是 dropout？</h2><p>随机丢弃。</p>", "utf-8")
    write_pdf(notes / "paper.pdf", [["# Notes", "## What is dropout?", "Random zeroing."]])
    word = docx.Document()
    word.add_heading("什么是正则化？", level=2)
    word.add_paragraph("约束参数。")
    word.save(notes / "essay.docx")
    user_home, temp = tmp_path / "user-home", tmp_path / "tmp"
    user_home.mkdir()
    temp.mkdir()
    env = study_env(
        settings,
        HOME=str(user_home),
        TMPDIR=str(temp),
        STUDY_MAX_TOKENS="4",
        STUDY_TOP_K="1",
        STUDY_N_CTX="1024",
        STUDY_TEMPERATURE="0",
    )
    notes_before, model_before = _tree(notes), _tree(settings.model_cache)
    commands = [
        ["ingest", str(notes)],
        ["docs"],
        ["search", CLIPPING_QUERY],
        ["ask", CLIPPING_QUERY],
        ["reindex"],
        ["doctor"],
        ["doctor", "--repair"],
        ["rm", "page.html"],
    ]
    traced = _strace_works()
    log = tmp_path / "strace.log"
    run = run_driver(settings, commands, env, strace_log=log if traced else None)
    assert run.codes == [0] * len(commands), run.stderr[-3000:]
    assert "generation is unavailable" not in run.stderr  # llama.cpp really ran
    events = run.events
    outside = sorted(
        {
            path
            for _, path in events
            if not path.startswith(ALLOWED_OUTSIDE) and not _under(path, home)
        }
    )
    assert outside == [], outside
    assert {path for event, path in events if event == "pickle.find_class"} == set()
    if traced:
        written = _strace_writes(log)
        assert any(_under(path, home) for path in written)  # the trace did see the writes
        outside = sorted(
            p for p in written if not p.startswith(ALLOWED_OUTSIDE) and not _under(p, home)
        )
        assert outside == [], outside
    assert _tree(user_home) == {}  # e.g. no ~/.cache/Microsoft/DeveloperTools from ONNX Runtime
    assert _tree(temp) == {}
    assert _tree(notes) == notes_before
    assert _tree(settings.model_cache) == model_before
    print(
        f"\n{len(events)} audited writes, all under the home; strace: "
        f"{'checked' if traced else 'not available'}"
    )


def test_planted_pickles_are_never_loaded(tmp_path, sample_library):
    """CVE-2024-5998 (LangChain ``FAISS.load_local``): a planted ``index.pkl`` ran on load."""
    settings = copy_library(sample_library, tmp_path / "home")
    marker = tmp_path / "pwned"
    bomb = PICKLE_BOMB.replace(b"{marker}", str(marker).encode())
    planted = [
        settings.home / "index" / "index.pkl",
        settings.home / "index" / "vectors" / "index.pkl",
        settings.home / "index" / "lexical" / "params.index.pkl",
        settings.home / "library.pkl",
        settings.home / "index" / "docstore.pickle",
    ]
    for path in planted:
        path.write_bytes(bomb)
    commands = [
        ["search", CLIPPING_QUERY],
        ["reindex"],
        ["doctor", "--json"],
        ["doctor", "--repair"],
    ]
    run = run_driver(settings, commands)
    assert run.codes == [0, 0, 0, 0], run.stderr[-3000:]
    assert [e for e in run.events if e[0] == "pickle.find_class"] == []
    assert not marker.exists()
    assert all(path.read_bytes() == bomb for path in planted)  # reported, left alone
    report = json.loads(next(x for x in run.stdout.splitlines() if x.startswith('{"home"')))
    note = next(c for c in report["checks"] if c["name"] == "pickle files")
    assert note["status"] == "note" and note["detail"].startswith("ignored, never read: ")
    assert "index/index.pkl" in note["detail"] and "(+2 more)" in note["detail"]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_no_source_module_can_unpickle():
    """Static check of every module: no pickle-family import, every loader pins safety."""
    findings = []
    for package in SOURCE_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                where = f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                    if UNSAFE_MODULES & {n.split(".")[0] for n in names}:
                        findings.append(f"{where}: imports {names}")
                if not isinstance(node, ast.Call):
                    continue
                name = _dotted(node.func)
                keywords = {k.arg: k.value for k in node.keywords}
                pinned = keywords.get("allow_pickle")
                if name.endswith(("np.load", "numpy.load", "BM25.load")) and not (
                    isinstance(pinned, ast.Constant) and pinned.value is False
                ):
                    findings.append(f"{where}: {name} without allow_pickle=False")
                weights_only = keywords.get("weights_only")
                if name.endswith("torch.load") and not (
                    isinstance(weights_only, ast.Constant) and weights_only.value is True
                ):
                    findings.append(f"{where}: torch.load without weights_only=True")
    assert findings == []


# -- the web UI ------------------------------------------------------------------------------


def test_the_ui_listens_on_loopback_by_default(tmp_path, sample_library):
    defaults = Settings.load(home=tmp_path, env={})
    assert defaults.ui_host == "127.0.0.1"
    command = streamlit_command(defaults)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = copy_library(sample_library, tmp_path / "home")
    env = {k: v for k, v in study_env(settings).items() if k != "STUDY_UI_HOST"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "--ui-port", str(port), "ui"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "study ui exited"
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                assert time.monotonic() < deadline, "study ui did not start"
                time.sleep(0.5)
        listening = _listening_addresses(port)
        assert listening and listening <= {"127.0.0.1"}, listening
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of LISTEN sockets on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found
