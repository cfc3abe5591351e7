"""Class mode's command line: accounts hashed in the home, `study serve` only with a teacher,
and the single-user app refused beyond loopback (one line each)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

from conftest import REPO_ROOT

from ui.class_mode_accounts import accounts_path, check_password


def study(home, *args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", "--home", str(home), *args],
                          input=stdin, text=True, capture_output=True, cwd=REPO_ROOT,
                          timeout=60)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_accounts_are_stored_hashed_and_private(tmp_path):
    home = tmp_path / "home"
    added = study(home, "users", "add", "ana", "--role", "student", stdin="a long password\n")
    assert added.returncode == 0, added.stderr
    path = accounts_path(home)
    text = path.read_text()
    assert "a long password" not in text
    assert json.loads(text)["users"]["ana"]["password"].startswith("$2")  # bcrypt
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert check_password(home, "ana", "a long password")
    assert not check_password(home, "ana", "a wrong password")
    listed = study(home, "users", "list")
    assert listed.stdout.split() == ["ana", "student"]


def test_bad_accounts_are_refused_in_one_line(tmp_path):
    home = tmp_path / "home"
    short = study(home, "users", "add", "ana", stdin="short\n")
    upper = study(home, "users", "add", "Ana", stdin="long enough\n")
    reserved = study(home, "users", "add", "default", stdin="long enough\n")
    for result in (short, upper, reserved):
        assert result.returncode == 1 and len(error_lines(result)) == 1, result.stderr
    assert not accounts_path(home).exists()


def test_serve_needs_a_teacher_and_the_plain_app_stays_on_loopback(tmp_path):
    home = tmp_path / "home"
    study(home, "users", "add", "ana", stdin="a long password\n")
    serve = study(home, "serve", "--host", "0.0.0.0")
    assert serve.returncode == 1 and "no teacher account" in error_lines(serve)[0]
    wide = study(home, "--ui-host", "0.0.0.0", "ui")
    assert wide.returncode == 1 and "study serve" in error_lines(wide)[0]
