"""Every page of the Streamlit app through ``AppTest``: the real library, model and SQLite."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO_ROOT, SAMPLE_NOTES
from streamlit.testing.v1 import AppTest

from assistant.citations import marker_numbers
from index.library import Library

APP = str(REPO_ROOT / "ui" / "app.py")
TIMEOUT = 600  # a cold LLM load plus one short answer on 2 busy cores


@pytest.fixture
def app_env(monkeypatch, model_settings):
    """The app reads its settings from STUDY_* variables, as `study ui` passes them."""
    monkeypatch.setenv("STUDY_MODEL_CACHE", str(model_settings.model_cache))
    monkeypatch.setenv("STUDY_MAX_TOKENS", "48")
    monkeypatch.setenv("STUDY_TEMPERATURE", "0")
    monkeypatch.setenv("STUDY_UI_LANGUAGE", "en")

    def use_home(path) -> None:
        monkeypatch.setenv("STUDY_HOME", str(path))

    return use_home


@pytest.fixture
def sample_home(tmp_path, sample_library):
    """A private copy of the sample library (tests that write history must not share one)."""
    copy = tmp_path / "sample-home"
    shutil.copytree(sample_library.settings.home, copy)
    return copy


def open_app(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.run()
    if page:
        app.switch_page(f"screens/{page}.py").run()
    assert not app.exception, app.exception
    return app


def texts(app: AppTest, raw: bool = False) -> str:
    """All text on the page (escaping backslashes removed unless ``raw``)."""
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [e.value for kind in ("error", "warning", "success", "info") for e in app.get(kind)]
    joined = "\n".join(str(p) for p in parts)
    return joined if raw else joined.replace("\\", "")


def test_chat_answers_with_sources(app_env, sample_library):
    app_env(sample_library.settings.home)
    app = open_app()
    app.chat_input[0].set_value("什么是梯度裁剪？").run()
    assert not app.exception, app.exception
    labels = [e.label for e in app.expander]
    assert labels and any("梯度裁剪" in label.replace("\\", "") for label in labels), labels
    assert all(re.search(r"\.txt:\d+-\d+", label.replace("\\", "")) for label in labels)
    # Written by the model: a missing or broken GGUF gives an extractive reply (with markers
    # too), which must fail here. ``generated`` is False for it; the page says why.
    chat = app.session_state["conversation"]
    assert chat.pending is None and len(chat.exchanges) == 1  # the page followed it to the end
    reply = chat.exchanges[-1].reply
    assert reply.generated, f"the model did not answer: {reply.notice or texts(app)}"
    assert "Generation is unavailable" not in texts(app)
    assert marker_numbers(reply.text)  # it cites a passage
    shown = [m.value for m in app.chat_message[1].markdown]
    if reply.only_quotes:  # the model only repeated the quoted lines: they are the answer, once
        first = reply.extractive.lines[0].line
        assert sum(text.count(f"> {first}: ") for text in shown) == 1, shown
    else:
        assert any("[" in text and text.strip() for text in shown), shown  # the answer is shown
    exported = app.sidebar.get("download_button")
    assert exported  # the conversation can be exported once it has an exchange


def test_follow_up_keeps_the_conversation_and_new_chat_clears_it(app_env, sample_library):
    app_env(sample_library.settings.home)
    app = open_app()
    app.chat_input[0].set_value("如何做红烧肉？").run()  # not covered: no generation needed
    app.chat_input[0].set_value("What is dropout?").run()
    assert len(app.chat_message) == 4  # both exchanges stay on the page
    assert "not cover" in texts(app) or "没有涉及" in texts(app)
    app.sidebar.button[0].click().run()  # New chat
    assert len(app.chat_message) == 0


def test_practice_gives_feedback_and_a_score_and_feeds_progress(app_env, sample_home,
                                                                 monkeypatch):
    app_env(sample_home)
    monkeypatch.setenv("STUDY_BANK_WORKER", "off")  # no background model work in this test
    app = open_app("practice")
    app.text_input[0].set_value("正则化")
    app.slider[0].set_value(1)
    app.selectbox[0].set_value("mcq")
    app.button[0].click().run()  # the form's Start button: served from the question bank
    assert not app.exception, app.exception
    assert "Question 1 of 1" in texts(app)
    item = app.session_state["practice"].items[0]
    # built at ingest from the notes (the bank), so it is on screen without the model
    assert item.bank_key and item.kind == "mcq", item
    app.radio(key="answer-1").set_value(item.answer_index).run()  # the key
    submit = next(b for b in app.button if b.label == "Submit")
    submit.click().run()
    assert not app.exception, app.exception
    assert [e.value for e in app.success] == ["Correct"]  # the chosen option reached grading
    assert not app.error and app.session_state["practice"].grades[0].correct
    located = re.compile(r"\.txt:\d+-\d+")  # the cited passage, with its location
    assert any(e.label.startswith("Source") and located.search(e.label.replace("\\", ""))
               for e in app.expander)
    next(b for b in app.button if b.label == "See score").click().run()
    assert app.metric and app.metric[0].label.startswith("Score: ")

    app.switch_page("screens/progress.py").run()  # the answer is in study memory now
    assert not app.exception, app.exception
    rows = app.dataframe[0].value
    assert len(rows) == 1 and rows["attempts"].tolist() == [1]
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert any(b.label == "Practise" for b in app.button)  # one click to practise it


def test_upload_lists_the_document_and_a_bad_upload_changes_nothing(
        app_env, home, model_settings, tmp_path):
    app_env(home)
    app = open_app("library")
    note = "# 早停\n\n## 什么是早停？\n\n早停（early stopping）在验证集损失不再下降时停止训练。\n"
    app.file_uploader[0].set_value(("my notes 笔记.md", note.encode(), "text/markdown"))
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert "my notes 笔记" in texts(app)
    with Library.open(model_settings.replace(home=home)) as library:
        documents = library.documents()
    assert [d.chunk_count > 0 for d in documents] == [True]
    assert str(documents[0].source).startswith(str(home / "uploads"))

    app.file_uploader[0].set_value(("broken.txt", b"\x00\x01\x02 binary", "text/plain"))
    app.button[0].click().run()
    assert "broken.txt" in texts(app)  # the per-file result names it with its reason
    with Library.open(model_settings.replace(home=home)) as library:
        assert [d.source for d in library.documents()] == [documents[0].source]
    assert len(list((home / "uploads").iterdir())) == 1  # the skipped upload was not kept


def test_an_upload_over_the_size_limit_is_refused(app_env, home, monkeypatch):
    app_env(home)
    monkeypatch.setenv("STUDY_MAX_FILE_MB", "0.001")
    app = open_app("library")
    app.file_uploader[0].set_value(("big.md", b"# big\n" + b"x" * 5000, "text/markdown"))
    app.button[0].click().run()
    assert "too large" in texts(app)
    assert not (home / "uploads").exists() or not any((home / "uploads").iterdir())


def test_settings_apply_to_the_session_and_show_models(app_env, sample_library):
    app_env(sample_library.settings.home)
    app = open_app("settings")
    app.slider[0].set_value(3)
    next(b for b in app.button if b.label == "OK").click().run()
    assert app.session_state["session_settings"].top_k == 3
    shown = texts(app)
    assert "LLM" in shown and "Embedding" in shown and str(sample_library.settings.home) in shown


INLINE_CODE = re.compile(r"(`+)[^`\n]+?\1")


def test_note_text_cannot_inject_html_or_fetch_images(app_env, home, model_settings, tmp_path):
    app_env(home)
    note = tmp_path / "evil.md"
    note.write_text("# 安全\n\n## 什么是跨站脚本？\n\n跨站脚本 <script>alert(1)</script> 和 "
                    "<img src=x onerror=alert(2)> 以及 ![t](http://attacker.invalid/?q=1)。\n",
                    encoding="utf-8")
    with Library.open(model_settings.replace(home=home)) as library:
        library.ingest([note])
    app = open_app()
    app.chat_input[0].set_value("什么是跨站脚本？").run()
    assert not app.exception, app.exception
    assert not app.get("html")  # nothing rendered as raw HTML
    shown = texts(app, raw=True)
    # an inline code span renders its text literally (a model answer may quote the tag in one)
    outside_code = INLINE_CODE.sub("", shown)
    unescaped = re.compile(r"(?<!\\)<\s*(script|img)|(?<!\\)\]\(http", re.IGNORECASE)
    assert not unescaped.search(outside_code), shown
    assert "\\<script\\>" in shown  # the note's text shown as text, escaped


def test_the_app_starts_on_the_sample_notes_page_by_page(app_env, home, model_settings):
    app_env(home)
    with Library.open(model_settings.replace(home=home)) as library:
        library.ingest([SAMPLE_NOTES])
    for page in ("chat", "practice", "progress", "library", "settings"):  # empty history too
        app = open_app(page)
        assert app.title and not app.exception, (page, app.exception)


def test_compare_mode_draws_a_cited_table(app_env, sample_library, monkeypatch, tmp_path):
    """Without a usable model (the real model's table is covered by test_assistant_compare):
    the page says why and still draws the extractive, cited table."""
    app_env(sample_library.settings.home)
    monkeypatch.setenv("STUDY_LLM_MODEL", str(tmp_path / "missing.gguf"))
    app = open_app()
    assert "missing.gguf" in texts(app)  # generation unavailable, and why
    app.radio(key="chat_mode").set_value("compare").run()
    app.chat_input[0].set_value("L1 正则化 vs L2 正则化").run()
    assert not app.exception, app.exception
    table = app.chat_message[1].markdown[0].value
    assert table.startswith("| | L1 正则化 | L2 正则化 |"), table
    assert re.search(r"\[\d+\]", table)  # cells cite passages
    assert any(re.search(r"\.txt:\d+-\d+", e.label.replace("\\", "")) for e in app.expander)


def test_compare_needs_two_concepts(app_env, sample_library):
    app_env(sample_library.settings.home)
    app = open_app()
    app.radio(key="chat_mode").set_value("compare").run()
    app.chat_input[0].set_value("只有一个概念").run()
    assert "2 to 4 concepts" in texts(app)
