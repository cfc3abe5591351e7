"""Class mode in the real browser: `study serve` over the sample library, two students logged in
at once (two browser contexts, so two cookie jars), each answers a practice question, and each
Progress page shows only their own practice.

The launch is the one of ``tests/test_ui_browser.py`` (Debian chromium, headless, imported
from there; to move with it into a shared browser helper).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy, wait_until_idle
from conftest import REPO_ROOT

from ground.database import LIBRARY_FILE_NAME

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium")

STUDENTS = {"ana": "梯度裁剪", "ben": "数据增强"}  # who practises which topic
GRADE_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def class_server(tmp_path_factory, sample_library, model_settings):
    """`study serve` on a free loopback port: a copy of the sample library, a teacher and two
    students made with `study users add` (the password read from standard input)."""
    home = tmp_path_factory.mktemp("class-home") / "home"
    shutil.copytree(sample_library.settings.home, home, ignore=shutil.ignore_patterns("*.lock"))
    env = dict(os.environ, STUDY_HOME=str(home),
               STUDY_MODEL_CACHE=str(model_settings.model_cache), STUDY_BANK_WORKER="off",
               STUDY_UI_LANGUAGE="en", STUDY_UI_PORT=str(free_port()),
               # practice comes from the bank and MCQ/cloze grading needs no LLM: leaving it
               # unloaded keeps this test near a minute (what it checks is whose history is
               # whose, not the model)
               STUDY_LLM_MODEL=str(home / "no-llm-in-this-test.gguf"))
    cli = [sys.executable, "-m", "ui.cli"]
    for name, role in (("tess", "teacher"), *((name, "student") for name in STUDENTS)):
        subprocess.run(cli + ["users", "add", name, "--role", role], env=env, cwd=REPO_ROOT,
                       input=f"password-{name}\n", text=True, check=True, capture_output=True)
    log = open(home / "serve.log", "wb")  # noqa: SIM115 (kept open for the server's lifetime)
    server = subprocess.Popen(cli + ["serve"], env=env, cwd=REPO_ROOT, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{env['STUDY_UI_PORT']}"
    try:
        wait_healthy(url, server)
        yield url, home
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def log_in(page, url: str, name: str) -> None:
    page.goto(url + "/")
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(f"password-{name}")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Signed in: {name} (student)").wait_for(timeout=60_000)


def answer_one_question(page, topic: str) -> str:
    """Start a practice run on ``topic``, answer its first question; the question's text."""
    page.get_by_test_id("stSidebarNav").get_by_text("Practice").click()
    page.get_by_text("question bank:").wait_for(timeout=120_000)  # the page is drawn whole
    wait_until_idle(page)
    page.get_by_role("textbox", name="Topic").fill(topic)
    start = page.get_by_role("button", name="Start practice")
    caption = page.get_by_text("Question 1 of")
    start.click()
    try:
        caption.wait_for(timeout=30_000)
    except Exception:  # the click was lost if the run is over and the form is still shown
        wait_until_idle(page)
        if start.is_visible():
            start.click()
    try:
        caption.wait_for(timeout=120_000)
    except Exception as error:  # say what the page showed instead
        shown = page.get_by_test_id("stMain").inner_text()
        raise AssertionError(f"no question for {topic!r}; the page shows: {shown[:800]}") from error
    main = page.get_by_test_id("stMain")
    submit = main.get_by_role("button", name="Submit")
    submit.wait_for(timeout=60_000)  # drawn after the answer widget
    question = main.locator("h4").first.inner_text()
    radios = main.get_by_test_id("stRadio").get_by_role("radio")
    if radios.count():
        radios.first.check(force=True)
    else:
        main.get_by_role("textbox").last.fill(topic)
        main.get_by_role("textbox").last.press("Tab")  # a text box sends its value on blur
    submit.click()
    page.get_by_role("button", name="Next").or_(
        page.get_by_role("button", name="Finish")).wait_for(timeout=GRADE_TIMEOUT_MS)
    return question


def progress_topics(page) -> list[str]:
    """The topics the Progress page lists under "weakest" (one row per practised topic)."""
    page.get_by_test_id("stSidebarNav").get_by_text("Progress").click()
    page.get_by_test_id("stMetric").first.wait_for(timeout=60_000)
    wait_until_idle(page)  # the metrics are drawn before the topic names and their rows
    buttons = page.get_by_role("button", name="Practise")
    rows = page.get_by_test_id("stHorizontalBlock").filter(has=buttons)
    return [row.get_by_test_id("stMarkdown").first.inner_text().strip()
            for row in rows.all()]


def test_two_students_logged_in_at_once_see_only_their_own_progress(class_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, home = class_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = {}
        for name in STUDENTS:  # both signed in before either practises
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            pages[name] = context.new_page()
            log_in(pages[name], url, name)
        nav = pages["ana"].get_by_test_id("stSidebarNav").inner_text()
        assert "Practice" in nav and "Library" not in nav and "Settings" not in nav
        questions = {name: answer_one_question(pages[name], topic)
                     for name, topic in STUDENTS.items()}
        shown = {name: progress_topics(page) for name, page in pages.items()}
        for name, page in pages.items():
            page.screenshot(path=str(tmp_path / f"progress-{name}.png"), full_page=True)
        browser.close()
    assert len(shown["ana"]) == len(shown["ben"]) == 1, shown
    assert shown["ana"] != shown["ben"], (shown, questions)
    with sqlite3.connect(home / LIBRARY_FILE_NAME) as db:
        answers = dict(db.execute(
            "SELECT user_name, COUNT(*) FROM study_answers GROUP BY user_name").fetchall())
        asked = dict(db.execute("SELECT user_name, question FROM study_items").fetchall())
    assert answers == {"ana": 1, "ben": 1}
    for name in STUDENTS:  # the question each answered is the one stored under their name
        assert asked[name].split("\n")[-1][:12] in questions[name].replace("\\", ""), (
            asked, questions)
