"""The real app (`study ui`) in headless Chromium: ask and read the sources; upload a note.

Needs Debian's chromium (``make browser`` installs it); Playwright drives that executable, so
nothing is downloaded. Screenshots go to the test's output directory, and also to
``$STUDY_SCREENSHOTS`` when set (how the README's pictures are made).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from browser_support import (  # noqa: F401 (browser_fixture, page_fixture: fixtures)
    HAS_CHROMIUM,
    browser_fixture,
    page_fixture,
    screenshot,
    study_ui,
)
from conftest import REPO_ROOT, SAMPLE_NOTES

ANSWER_TIMEOUT_MS = 600_000  # first LLM load and a short answer on 2 shared cores

pytestmark = pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian chromium")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, model_settings, embedding_model_dir):
    """`study ui` on a free loopback port over a library of the sample notes."""
    home = tmp_path_factory.mktemp("browser-home")
    env = dict(os.environ, STUDY_HOME=str(home), STUDY_MODEL_CACHE=str(model_settings.model_cache),
               STUDY_MAX_TOKENS="48", STUDY_TEMPERATURE="0")
    subprocess.run([sys.executable, "-m", "ui.cli", "ingest", str(SAMPLE_NOTES)], env=env,
                   cwd=REPO_ROOT, check=True, capture_output=True)
    seed_history(model_settings.replace(home=home))
    with study_ui(env, log=home / "ui.log") as url:
        yield url


def seed_history(settings) -> None:
    """Two weeks of practice answers on three topics, as the Progress page would show them."""
    from datetime import UTC, datetime, timedelta

    from assistant.grading import Grade
    from assistant.quiz_schema import QuizItem
    from assistant.retrieval import Citation
    from ground.records import Hit
    from index.library import Library
    from memory.study_memory import StudyMemory

    start = datetime.now(UTC) - timedelta(days=14)
    with Library.open(settings) as library, StudyMemory.open(library) as memory:
        chunks = [c for c in library.chunks() if "？" in c.heading_path[-1]][:3]
        for number, (chunk, verdicts) in enumerate(zip(chunks, ("cciw", "wiw", "ccc"),
                                                       strict=True)):
            citation = Citation.of(1, Hit(chunk, 1.0))
            item = QuizItem("mcq", f"{chunk.heading_path[-1]}", ("A", "B", "C", "D"), 0, "A",
                            "", citation, chunk.text[:200], True)
            for day, verdict in enumerate(verdicts):
                verdict = {"c": "correct", "i": "incorrect", "w": "incorrect"}[verdict]
                grade = Grade(verdict, "", "A", citation)
                memory.record(item, "A" if verdict == "correct" else "B", grade,
                              now=start + timedelta(days=3 * day + number))


def test_ask_streams_an_answer_with_sources(app_url, page, tmp_path):
    page.goto(app_url + "/")  # the chat is the default page
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=120_000)
    box.fill("梯度消失和梯度爆炸是什么？")
    box.press("Enter")
    sources = page.get_by_test_id("stExpander")
    sources.first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # the sources come before the answer
    page.get_by_test_id("stSidebar").get_by_text("导出为 Markdown").wait_for(
        timeout=ANSWER_TIMEOUT_MS)  # drawn once the answer is complete
    labels = sources.locator("summary").all_inner_texts()
    assert any("梯度" in label and ".txt:" in label for label in labels), labels
    answer = page.get_by_test_id("stChatMessage").nth(1).inner_text()
    assert "[" in answer and "梯度" in answer, answer
    # Written by the model: without a usable GGUF the page says 生成不可用 at the top and the
    # reply is the notes' passages (with markers too), which must fail here.
    body = page.locator("body").inner_text()
    assert "生成不可用" not in body, body[:600]
    first = sources.first
    first.locator("summary").click()
    first.get_by_test_id("stMarkdownContainer").last.wait_for()
    page.wait_for_timeout(1500)  # let the expander finish opening before the screenshot
    assert "梯度" in first.inner_text()
    shot = screenshot(page, tmp_path, "chat")
    assert shot.stat().st_size > 10_000


def test_upload_lists_the_new_document(app_url, page, tmp_path):
    note = tmp_path / "早停 笔记.md"
    note.write_text("# 早停笔记\n\n## 什么是早停？\n\n"
                    "早停在验证集损失不再下降时停止训练，防止过拟合。\n", encoding="utf-8")
    page.goto(app_url + "/library")
    page.locator("input[type=file]").set_input_files(str(note))
    page.get_by_text("早停 笔记.md").first.wait_for(timeout=60_000)  # the uploader's file chip
    page.get_by_role("button", name="加入资料库").click()
    page.get_by_text("早停笔记").first.wait_for(timeout=300_000)
    assert page.get_by_text("文档 (6)").count() == 1  # five samples plus the upload
    screenshot(page, tmp_path, "library")


def test_progress_shows_mastery_per_topic(app_url, page, tmp_path):
    page.goto(app_url + "/progress")
    page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=120_000)
    table = page.get_by_test_id("stDataFrame")
    table.wait_for()
    page.get_by_role("button", name="练习").first.wait_for()  # one click to practise a topic
    page.wait_for_timeout(1500)  # the chart's drawing
    assert screenshot(page, tmp_path, "progress").stat().st_size > 10_000
