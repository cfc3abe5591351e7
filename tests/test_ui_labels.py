"""The Chinese interface speaks Chinese: every page, walked through ``AppTest`` (real library,
SQLite and study memory), shows no English word outside the notes' own words and a short list
of technical terms.

Each page is driven into the states that draw the most labels: an answer with sources and a
comparison on Chat, an ingest report with a skipped file and a Remove confirmation on Library,
applied settings, a practice history on Progress. The LLM is left out on purpose (a missing
model file): the labels are the same, and the page has to explain why in Chinese too.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from conftest import REPO_ROOT
from streamlit.testing.v1 import AppTest
from ui_support import seed_history

from index.library import Library
from ui.texts import LABELS

APP = str(REPO_ROOT / "ui" / "app.py")
TIMEOUT = 300

TECHNICAL = {  # terms a Chinese student reads as they are
    "llm", "gguf", "mb", "json", "markdown", "md", "txt", "html", "htm", "pdf", "docx", "top",
    "k", "bm25", "onnx", "int8", "vs", "p", "d", "e5", "english", "katex", "s", "token",
    "anki", "csv", "apkg",
}
# Drawn by Streamlit's file uploader itself; Streamlit offers no way to translate them.
STREAMLIT_INTERNAL = {"drag", "and", "drop", "files", "here", "browse", "upload", "limit", "per",
                      "file"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@pytest.fixture
def zh_app(monkeypatch, tmp_path, sample_library, model_settings):
    home = tmp_path / "home"
    shutil.copytree(sample_library.settings.home, home)
    seed_history(model_settings.replace(home=home), topics=3)
    monkeypatch.setenv("STUDY_HOME", str(home))
    monkeypatch.setenv("STUDY_MODEL_CACHE", str(model_settings.model_cache))
    monkeypatch.setenv("STUDY_LLM_MODEL", str(tmp_path / "missing.gguf"))
    monkeypatch.setenv("STUDY_UI_LANGUAGE", "zh")
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


def note_words(library: Library) -> set[str]:
    """Every word of the notes (sources, previews and topics show them as written)."""
    words = set()
    for chunk in library.chunks():
        words.update(w.lower() for w in WORD.findall(chunk.text + " " + chunk.heading))
        words.update(w.lower() for w in WORD.findall(chunk.source.rsplit("/", 1)[-1]))
    return words


def visible_text(app: AppTest) -> list[str]:
    """What the student reads: texts, labels, options, placeholders, table headers and cells."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "success", "info", "toast"):
        parts += [str(e.value) for e in app.get(kind)]
    for kind in ("button", "checkbox", "radio", "selectbox", "slider", "text_input",
                 "number_input", "text_area", "expander", "metric", "chat_input",
                 "download_button", "file_uploader", "tab", "form_submit_button"):
        for element in app.get(kind):
            for name in ("label", "placeholder"):
                value = getattr(element, name, None) or getattr(
                    getattr(element, "proto", None), name, None)
                if isinstance(value, str):
                    parts.append(value)
            options = getattr(element, "options", None)
            if options:
                parts += [str(o) for o in options]
    for frame in app.dataframe:
        table = frame.value
        parts += [str(c) for c in table.columns]
        parts += [str(v) for v in table.astype(str).to_numpy().ravel()]
    return [p.replace("\\", "") for p in parts]


def english_words(parts: list[str], allowed: set[str]) -> set[str]:
    found = set()
    for part in parts:
        part = re.sub(r"\$[^$]*\$", " ", part)  # formulas from the notes
        part = re.sub(r":[a-z]+(?:-background)?\[", " ", part)  # Streamlit colour markup
        part = re.sub(r"\S+\.(?:txt|md|gguf|json)\b|/\S+", " ", part)  # file names and paths
        found.update(w for w in WORD.findall(part) if w.lower() not in allowed)
    return found


def wait_for_reply(app: AppTest) -> None:
    deadline = time.monotonic() + TIMEOUT
    while app.session_state["conversation"].busy:
        assert time.monotonic() < deadline, "the reply never finished"
        time.sleep(0.2)
    app.run()
    assert not app.exception, app.exception


def test_every_page_of_the_chinese_interface_is_chinese(zh_app, sample_library, tmp_path):
    app = zh_app
    allowed = note_words(sample_library) | TECHNICAL | STREAMLIT_INTERNAL
    seen: dict[str, list[str]] = {}

    app.chat_input[0].set_value("准确率的计算公式是什么？").run()
    wait_for_reply(app)
    assert len(app.chat_message) == 2 and app.expander  # an answer with its sources
    app.radio(key="chat_mode").set_value("compare").run()
    app.chat_input[0].set_value("L1 正则化 vs L2 正则化").run()
    wait_for_reply(app)
    assert len(app.chat_message) == 4  # the explanation stayed when the mode changed
    seen["chat"] = visible_text(app)

    app.switch_page("screens/practice.py").run()
    seen["practice"] = visible_text(app)

    app.switch_page("screens/progress.py").run()
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    seen["progress"] = visible_text(app)

    app.switch_page("screens/library.py").run()
    app.file_uploader[0].set_value(
        [("早停 笔记.md", "# 早停\n\n## 什么是早停？\n\n验证集损失不再下降时停止训练。\n".encode(),
          "text/markdown"), ("坏文件.txt", b"\x00\x01\x02 binary", "text/plain")])
    app.button[0].click().run()  # the form's submit button
    assert not app.exception, app.exception
    report = visible_text(app)
    assert any("已加入" in p for p in report) and any("已跳过" in p for p in report)
    assert any("共用时" in p for p in report)  # the summary counts all the time it took
    remove = next(b for b in app.button if b.label == LABELS["remove"][0])
    remove.click().run()
    assert any("删除" in p and "？" in p for p in visible_text(app))  # asks once
    seen["library"] = report + visible_text(app)

    app.switch_page("screens/settings.py").run()
    next(b for b in app.button if b.label == LABELS["apply"][0]).click().run()
    assert app.success  # says that the settings took effect
    seen["settings"] = visible_text(app)

    for page, parts in seen.items():
        assert parts, page
        leaked = english_words(parts, allowed)
        assert not leaked, (page, sorted(leaked))


def test_every_label_has_both_languages():
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh), (key, zh)
        assert set(re.findall(r"{(\w+)", zh)) == set(re.findall(r"{(\w+)", en)), key
