"""The chat's state (``ui.conversation``) and the settings that shape it, on the real library.

A reply is written by a worker thread, so what a student does meanwhile — Stop, another page,
another mode, New chat — is tested here without a browser: the generator is a slow scripted
one (plumbing: the real model's words do not matter for these), retrieval is real. The
browser test (test_ui_browser_chat.py) does the same with the real model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from conftest import REPO_ROOT
from streamlit.testing.v1 import AppTest

from assistant.facade import Assistant
from assistant.generator import GenerationStats, Generator, Prompt, TokenStream
from assistant.transcript import transcript_markdown
from ui.conversation import Conversation

APP = str(REPO_ROOT / "ui" / "app.py")
REPLY = "梯度裁剪通过限制梯度的最大值来控制梯度的大小，避免梯度爆炸[1]。" * 8


class SlowGenerator(Generator):
    """Streams ``REPLY`` a few characters at a time, ``delay`` apart; honours ``cancel``."""

    def __init__(self, delay: float = 0.05):
        self.delay = delay

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> TokenStream:
        stats = GenerationStats(max_tokens=prompt.max_tokens)

        def pieces() -> Iterator[str]:
            stats.phase = "generating"
            for start in range(0, len(REPLY), 3):
                if cancel is not None and cancel.is_set():
                    stats.phase = "cancelled"
                    return
                time.sleep(self.delay)
                yield REPLY[start:start + 3]
            stats.phase = "done"

        return TokenStream(pieces(), stats)


def wait_until(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def assistant(sample_library):
    return Assistant(sample_library, SlowGenerator(), sample_library.settings)


def test_stop_keeps_the_question_and_the_partial_answer(assistant):
    chat = Conversation()
    pending = chat.ask(assistant, "什么是梯度裁剪？", top_k=5)
    wait_until(lambda: len(pending.text) >= 9)
    pending.stop()
    wait_until(lambda: not chat.busy)
    (exchange,) = chat.exchanges
    assert exchange.question == "什么是梯度裁剪？" and exchange.stopped
    assert 9 <= len(exchange.reply.text) < len(REPLY)  # the part written before Stop
    assert exchange.passages  # and the sources it cites
    exported = transcript_markdown([(e.question, e.reply) for e in chat.exchanges])
    assert "## 什么是梯度裁剪？" in exported and exchange.reply.text.strip()[:6] in exported


def test_a_reply_finishes_with_nobody_watching_and_new_chat_drops_one_in_flight(assistant):
    chat = Conversation()
    chat.ask(assistant, "什么是梯度裁剪？", top_k=5)
    wait_until(lambda: not chat.busy)  # no page drew it meanwhile: it is there anyway
    assert chat.exchanges[0].reply.text.startswith("梯度裁剪") and not chat.exchanges[0].stopped
    assert chat.history()[0].question == "什么是梯度裁剪？"  # follow-ups see it
    pending = chat.ask(assistant, "它能防止什么？", top_k=5)
    wait_until(lambda: pending.text)
    chat.clear()
    assert not chat.busy and chat.exchanges == []
    time.sleep(0.5)
    assert chat.exchanges == []  # the worker's late result is not put back


def test_top_k_changes_the_sources_shown(monkeypatch, sample_library, tmp_path):
    """Top-k bounds the passages the model reads and the further passages listed."""
    monkeypatch.setenv("STUDY_HOME", str(sample_library.settings.home))
    monkeypatch.setenv("STUDY_MODEL_CACHE", str(sample_library.settings.model_cache))
    monkeypatch.setenv("STUDY_LLM_MODEL", str(tmp_path / "missing.gguf"))  # extractive
    monkeypatch.setenv("STUDY_UI_LANGUAGE", "en")
    counts = {}
    for top_k in (1, 4, 8):
        app = AppTest.from_file(APP, default_timeout=300)
        app.run()
        app.switch_page("screens/settings.py").run()
        app.slider[0].set_value(top_k)
        next(b for b in app.button if b.label == "OK").click().run()
        assert any(f"{top_k} passages" in s.value for s in app.success)  # it says so
        app.switch_page("screens/chat.py").run()
        app.chat_input[0].set_value("什么是梯度裁剪？").run()
        wait_until(lambda app=app: not app.session_state["conversation"].busy)
        app.run()
        assert not app.exception, app.exception
        counts[top_k] = len(app.expander)
    assert counts == {1: 1, 4: 4, 8: 8}, counts
