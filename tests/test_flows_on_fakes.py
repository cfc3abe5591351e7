"""CLI and app flows on the fakes: the real commands and pages, SQLite, FAISS and BM25, with the
fake embedder and a scripted generator instead of the models (``fake_models``).

What is checked is plumbing: a question goes from the command line or the chat box to the
assistant, the scripted reply comes back to the student with its sources and markers, a practice
answer is graded and lands in study memory. The same flows with the real models are in
``test_ui_app.py`` / ``test_ui_browser.py`` / ``test_assistant_*.py`` (slow).
"""

from __future__ import annotations

import io
import json
import re

import pytest
from conftest import REPO_ROOT, SAMPLE_NOTES
from streamlit.testing.v1 import AppTest

from assistant.citations import marker_numbers
from assistant.quiz_schema import normalized
from ui.cli import main

APP = str(REPO_ROOT / "ui" / "app.py")
GOOD_MCQ = {
    "question": "L2 正则化惩罚的是什么？",
    "options": ["权重平方的和", "权重绝对值的和", "学习率", "批大小"],  # as the note says it
    "answer_index": 0,
    "explanation": "L2 正则化在损失中加入权重平方的和。",
}


@pytest.fixture
def library_home(tmp_path, fake_models, capsys):
    """A home with the sample notes, ingested through the CLI with the fake models."""
    home = tmp_path / "home"
    assert main(["--home", str(home), "ingest", str(SAMPLE_NOTES)]) == 0
    capsys.readouterr()
    return home


def test_ask_prints_the_generated_answer_with_its_sources(library_home, fake_models, capsys):
    fake_models.enqueue("梯度裁剪在梯度范数超过阈值时按比例缩小梯度[1]。它防止梯度爆炸[9]。")
    assert main(["--home", str(library_home), "ask", "什么是梯度裁剪？", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["generated"] is True and answer["covered"] is True
    numbers = marker_numbers(answer["answer"])
    assert answer["removed_markers"] == 1 and numbers and 9 not in numbers
    assert all(1 <= n <= len(answer["citations"]) for n in numbers)
    assert "梯度裁剪" in answer["citations"][0]["heading"]
    assert answer["citations"][0]["start_line"] >= 1
    assert "什么是梯度裁剪？" in fake_models.prompts[0].messages[-1].content


def test_ask_streams_to_the_terminal(library_home, fake_models, capsys):
    fake_models.enqueue(["梯度裁剪", "限制梯度", "的大小[1]。"])
    assert main(["--home", str(library_home), "ask", "什么是梯度裁剪？"]) == 0
    out = capsys.readouterr().out
    assert "梯度裁剪限制梯度的大小[1]。" in out and re.search(r"\.txt:\d+-\d+", out)


def test_ask_shows_the_notes_lines_once_when_no_sentence_of_the_model_passes(
    library_home, fake_models, capsys
):
    fake_models.enqueue("红烧肉要先炒糖色再加酱油炖一小时。")
    assert main(["--home", str(library_home), "ask", "什么是梯度裁剪？"]) == 0
    out = capsys.readouterr().out
    quoted = [line for line in out.splitlines() if re.match(r"\s*\d+│ ", line)]
    assert quoted and "红烧肉" not in out.split("removed")[0]
    first = quoted[0].split("│ ", 1)[1].strip().rstrip("。")
    assert out.count(first) == 1, out  # the quote, not the quote and the same lines again
    assert "上面引用的几行是你笔记的原文" in out  # the nothing-checked notice


def test_ask_in_a_pipe_prints_the_lines_the_checks_moved_the_quote_to(
    library_home, fake_models, capsys
):
    # the model copies passage [2]'s 答案 (seen with the real models on "为什么训练时要给梯度的
    # 范数设一个上限？", session 46): the checks move the quote there, and a pipe, which gets no
    # stream, printed the first quote only -- no answer at all
    fake_models.enqueue("梯度裁剪技术是一种用于控制梯度大小的技术，通过限制梯度的最大值，"
                        "避免梯度消失和梯度爆炸问题[2]。梯度裁剪技术的主要作用是防止梯度消失和"
                        "梯度爆炸，确保模型训练过程的稳定性[2]。")
    assert main(["--home", str(library_home), "ask", "什么是梯度裁剪？"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if line.startswith("笔记原文")]
    assert len(headings) == 2 and headings[1].startswith("笔记原文 [2]"), out
    assert re.search(r"^\s+70│ \*\*答案：\*\* 梯度裁剪（Gradient Clipping）技术", out, re.M), out
    assert out.count("确保模型训练过程的稳定性") == 1, out  # the model's copy is not shown again
    assert "最先引用的几行" not in out  # the first quote is still source [1]: nothing to say


def test_a_model_that_repeats_a_sentence_is_stopped_and_the_sentence_reported_once(
    library_home, fake_models, capsys
):
    # seen in `study ask` on dev2 (session 41): "堆多少层都等于一层线性模型。" 21 times
    first, loop = "梯度裁剪在梯度范数超过阈值时按比例缩小梯度[1]。", "梯度裁剪就是梯度裁剪的意思。"
    fake_models.enqueue(first + loop * 30)
    assert main(["--home", str(library_home), "ask", "什么是梯度裁剪？", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    stream = fake_models.streams[-1]
    assert stream.stats.completion_tokens < fake_models.count_tokens(first + loop * 5)
    assert answer["answer"].count("梯度裁剪就是") <= 1
    removed = answer["unsupported"] + answer["non_answers"]
    assert len(removed) == len(set(removed))


def test_quiz_json_prints_each_valid_item_and_counts_the_dropped_drafts(
    library_home, fake_models, capsys
):
    good = json.dumps(GOOD_MCQ, ensure_ascii=False)
    # a draft on a section that does not state its key is dropped too (the verifier's checks)
    fake_models.enqueue('{"question": "broken', good, good, good)
    code = main(["--home", str(library_home), "quiz", "--topic", "正则化", "-n", "1", "--json",
                 "--generate"])
    captured = capsys.readouterr()
    assert code == 0
    item = json.loads(captured.out.strip())
    assert item["answer"] == "权重平方的和" and item["generated"] is True
    assert item["options"][item["answer_index"]] == "权重平方的和"
    assert item["citation"]["source"].endswith(".txt")
    assert re.search(r"\b[123] invalid drafts", captured.err), captured.err


def test_an_interactive_quiz_grades_and_records_the_answer(
    library_home, fake_models, capsys, monkeypatch
):
    quiz = ["--home", str(library_home), "quiz", "--topic", "正则化", "-n", "1"]
    assert main([*quiz, "--json"]) == 0  # which banked question will be asked, and its answer
    served = json.loads(capsys.readouterr().out.strip())
    assert served["generated"] is False and served["bank_key"]
    monkeypatch.setattr("sys.stdin", io.StringIO(served["answer"] + "\n"))
    assert main(quiz) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Q1. {served['question']}\n")
    assert re.search(r"(^|> )CORRECT$", out, re.M) and "score: 1/1" in out and "next review:" in out
    assert fake_models.prompts == []  # the bank served it: no model was asked to write one
    assert main(["--home", str(library_home), "progress", "--json"]) == 0
    progress = json.loads(capsys.readouterr().out)
    assert json.dumps(progress).count('"attempts": 1') == 1


# -- the app, through AppTest ------------------------------------------------------------------


@pytest.fixture
def app_home(library_home, monkeypatch):
    monkeypatch.setenv("STUDY_HOME", str(library_home))
    monkeypatch.setenv("STUDY_UI_LANGUAGE", "en")
    monkeypatch.setenv("STUDY_TEMPERATURE", "0")
    monkeypatch.delenv("STUDY_LLM_MODEL", raising=False)
    return library_home


def open_app(page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    app.run()
    if page:
        app.switch_page(f"screens/{page}.py").run()
    assert not app.exception, app.exception
    return app


def test_chat_shows_sources_and_the_generated_answer(app_home, fake_models):
    # passage [1] (004…txt:37-45, 题目 4：什么是梯度裁剪) says it in other words: the check keeps it
    reply = ("梯度裁剪通过设置阈值，把梯度大小限制在合理的范围内，"
             "以避免梯度爆炸或消失，让模型稳定收敛[1]。")
    fake_models.enqueue(reply)
    app = open_app()
    app.chat_input[0].set_value("什么是梯度裁剪？").run()  # the page follows the worker to the end
    assert not app.exception, app.exception
    labels = [e.label.replace("\\", "") for e in app.expander]
    assert labels and all(re.search(r"\.txt:\d+-\d+", label) for label in labels), labels
    chat = app.session_state["conversation"]
    assert chat.pending is None and len(chat.exchanges) == 1
    exchange = chat.exchanges[-1]
    assert exchange.reply.generated and exchange.reply.text == reply
    assert not exchange.reply.unsupported
    shown = [m.value.replace("\\", "") for m in app.chat_message[1].markdown]
    assert any(reply in text for text in shown), shown  # the answer with its marker [1]
    assert app.sidebar.get("download_button")


def test_chat_shows_an_explanation_that_copies_the_quote_once(app_home, fake_models):
    # the model repeats the quoted 答案 line word for word: the student reads it once, no notice
    fake_models.enqueue("梯度裁剪（Gradient Clipping）是一种限制梯度大小的方法，"
                        "以避免梯度爆炸或消失[1]。")
    app = open_app()
    app.chat_input[0].set_value("什么是梯度裁剪？").run()
    assert not app.exception, app.exception
    reply = app.session_state["conversation"].exchanges[-1].reply
    assert reply.generated and reply.only_quotes and not reply.notice
    shown = "\n".join(m.value.replace("\\", "") for m in app.chat_message[1].markdown)
    assert shown.count("> 41: ") == 1 and "以避免梯度爆炸或消失[1]" not in shown, shown


def test_chat_shows_an_english_question_the_quote_translated(tmp_path, fake_models, monkeypatch,
                                                             capsys):
    # Chinese notes, an English question: searched in Chinese too, then the quote translated
    note = tmp_path / "notes" / "clipping.md"
    note.parent.mkdir()
    note.write_text("# 训练技巧\n\n## gradient clipping\n\n"
                    "梯度裁剪（gradient clipping）把梯度的范数限制在阈值以内。\n", encoding="utf-8")
    home = tmp_path / "home"
    assert main(["--home", str(home), "ingest", str(note)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("STUDY_HOME", str(home))
    monkeypatch.setenv("STUDY_UI_LANGUAGE", "en")
    fake_models.enqueue("什么是梯度裁剪（gradient clipping）？",
                        "Gradient clipping limits the norm of the gradient to a threshold.")
    app = open_app()
    app.chat_input[0].set_value("What is gradient clipping?").run()
    assert not app.exception, app.exception
    reply = app.session_state["conversation"].exchanges[-1].reply
    assert reply.translated and not reply.only_quotes and not reply.notice
    assert "Translate passage [1]" in fake_models.prompts[-1].messages[-1].content
    shown = "\n".join(m.value.replace("\\", "") for m in app.chat_message[1].markdown)
    assert "> 5: " in shown and "to a threshold[1]." in shown, shown
    captions = " ".join(c.value for c in app.chat_message[1].caption)
    assert "translation of the quoted lines" in captions, captions


def test_chat_follow_up_sends_the_conversation(app_home, fake_models):
    fake_models.enqueue("梯度裁剪限制梯度的大小[1]。", "它防止梯度爆炸[1]。")
    app = open_app()
    app.chat_input[0].set_value("什么是梯度裁剪？").run()
    app.chat_input[0].set_value("它能防止什么问题？").run()
    assert not app.exception, app.exception
    assert len(app.chat_message) == 4
    roles = [m.role for m in fake_models.prompts[1].messages]
    assert roles == ["system", "user", "assistant", "user"]


def test_practice_grades_the_chosen_option_and_feeds_progress(app_home, fake_models, monkeypatch):
    monkeypatch.setenv("STUDY_BANK_WORKER", "off")  # no background thread asking the model
    app = open_app("practice")
    app.text_input[0].set_value("正则化")
    app.slider[0].set_value(1)
    app.selectbox[0].set_value("mcq")
    app.button[0].click().run()  # Start: a question from the bank built at ingest
    assert not app.exception, app.exception
    item = app.session_state["practice"].items[0]
    assert not item.generated and item.bank_key and item.kind == "mcq"
    assert fake_models.prompts == []  # served at once: no model was asked to write it
    shown = normalized("\n".join(m.value for m in app.markdown))
    assert normalized(item.question.split("\n")[0]) in shown  # the student sees that question
    app.radio(key="answer-1").set_value(item.answer_index).run()
    next(b for b in app.button if b.label == "Submit").click().run()
    assert not app.exception, app.exception
    assert [e.value for e in app.success] == ["Correct"]
    assert app.session_state["practice"].grades[0].verdict == "correct"
    app.switch_page("screens/progress.py").run()
    assert not app.exception, app.exception
    assert app.dataframe[0].value["attempts"].tolist() == [1]


def test_upload_adds_the_document_and_a_bad_upload_changes_nothing(app_home, fake_models, capsys):
    app = open_app("library")
    note = "# 早停\n\n## 什么是早停？\n\n早停（early stopping）在验证集损失不再下降时停止训练。\n"
    app.file_uploader[0].set_value(("my notes 笔记.md", note.encode(), "text/markdown"))
    app.button[0].click().run()
    assert not app.exception, app.exception
    uploads = app_home / "uploads"
    assert len(list(uploads.iterdir())) == 1
    app.file_uploader[0].set_value(("broken.txt", b"\x00\x01\x02 binary", "text/plain"))
    app.button[0].click().run()
    assert not app.exception, app.exception
    shown = "\n".join(str(m.value) for m in app.markdown) + "\n".join(
        str(e.value) for kind in ("error", "warning", "info", "success") for e in app.get(kind)
    )
    assert "broken.txt" in shown.replace("\\", "")
    assert len(list(uploads.iterdir())) == 1  # the skipped upload was not kept
    assert main(["--home", str(app_home), "search", "什么是早停？", "-k", "1", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["hits"][0]  # the upload is searchable
    assert first["source"].startswith(str(uploads)) and "早停" in first["text"]


def test_settings_page_names_the_models_in_use(app_home, fake_models):
    app = open_app("settings")
    assert not app.exception, app.exception
    shown = "\n".join(str(m.value) for m in app.markdown).replace("\\", "")
    assert "fake-hash-ngrams" in shown  # the embedder the library really uses
    assert str(app_home) in shown


def test_a_reported_question_is_replaced_by_a_fresh_unanswered_one(app_home, fake_models,
                                                                    monkeypatch):
    """Reporting swaps in the next question under the same number; whatever kind of widget it
    needs, it starts unanswered (a choice's empty radio once reached a text box as None)."""
    monkeypatch.setenv("STUDY_BANK_WORKER", "off")
    app = open_app("practice")
    app.text_input[0].set_value("梯度裁剪")
    app.slider[0].set_value(5)
    app.selectbox[0].set_value("mcq")
    app.button[0].click().run()
    assert not app.exception, app.exception
    kinds = []
    for _ in range(4):  # report the questions one after another: choices, then other kinds
        practice = app.session_state["practice"]
        if practice.current is None:
            break
        kinds.append(practice.current.kind)
        next(b for b in app.button if b.label.startswith("This question is wrong")).click().run()
        assert not app.exception, (kinds, app.exception)
    assert len(set(kinds)) > 1, kinds  # the replacement needed another kind of widget
