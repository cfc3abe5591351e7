"""The real app in headless Chromium: start ``study ui`` on a free loopback port, wait until it
answers, launch Debian's chromium through Playwright (nothing is downloaded), save screenshots.

Shared by the browser tests and ``benchmarks/bench_practice_browser.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
HAS_CHROMIUM = Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"study ui exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("study ui did not become healthy")


@contextmanager
def study_ui(env: dict[str, str], log: Path | None = None, seconds: float = 120) -> Iterator[str]:
    """A fresh `study ui` process on a free loopback port, stopped on exit; yields its URL.
    Its output goes to ``log`` (a file name in which ``{port}`` is filled in), else nowhere."""
    port = free_port()
    env = dict(env, STUDY_UI_PORT=str(port))
    output = open(str(log).replace("{port}", str(port)), "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "ui"], env=env, cwd=REPO_ROOT,
                              stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server, seconds)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # `study ui` execs Streamlit; be sure anyway
        server.wait(timeout=30)
        if log:
            output.close()


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian chromium driven by Playwright (a ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def zh_page(browser) -> Iterator[object]:
    """A page in a fresh browser context as a Chinese student sees it (1280x900, zh-CN);
    ``page.requested`` lists every URL it asks for."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[object]:
    """One headless Chromium per test module (import as ``browser_fixture``)."""
    with chromium() as launched:
        yield launched


@pytest.fixture(name="page")
def page_fixture(browser) -> Iterator[object]:
    """A fresh Chinese-locale page per test (import as ``page_fixture``)."""
    with zh_page(browser) as fresh:
        yield fresh


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Until the app's script run has ended (the attribute Streamlit's own browser tests wait
    on): a click made while a run is still drawing the page can be lost with it."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=timeout_ms)


def screenshot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    """Save a screenshot in the test's directory, and in ``$STUDY_SCREENSHOTS`` when set (how
    the README's pictures are made)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("STUDY_SCREENSHOTS"):
        target = Path(os.environ["STUDY_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path
