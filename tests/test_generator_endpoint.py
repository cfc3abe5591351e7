"""Every mode through a real OpenAI-compatible server: ``llama_cpp.server`` with the bundled GGUF
on a loopback port (the ``server`` extra of llama-cpp-python), and the ``study`` CLI pointed at
it by ``STUDY_LLM_URL``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest
from assistant_support import TEST_MAX_TOKENS, assistant_settings
from llm_server import RunningServer, free_port, start_llm_server

from assistant.facade import Assistant
from assistant.generator import Message, Prompt, open_generator
from assistant.generator_openai import OpenAIGenerator
from assistant.quiz import QuizLog
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from models.llm_file import resolve_llm_path

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parent.parent
QUESTION = "什么是梯度裁剪？"


@pytest.fixture(scope="module")
def llm_server(model_settings, tmp_path_factory) -> RunningServer:
    server = start_llm_server(resolve_llm_path(model_settings), model_settings.n_ctx,
                              model_settings.resolved_threads(),
                              tmp_path_factory.mktemp("llm-server") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def endpoint_settings(model_settings, llm_server):
    return assistant_settings(model_settings).replace(llm_url=llm_server.url)


@pytest.fixture(scope="module")
def endpoint(endpoint_settings) -> OpenAIGenerator:
    generator = open_generator(endpoint_settings)
    assert isinstance(generator, OpenAIGenerator)
    return generator


@pytest.fixture(scope="module")
def endpoint_assistant(sample_library, endpoint, endpoint_settings) -> Assistant:
    return Assistant(sample_library, endpoint, endpoint_settings)


def run_study(args: list[str], env_changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDY_")}
    env.update(env_changes, HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def cli_env(sample_library, url: str) -> dict[str, str]:
    """The sample library, the endpoint, and no usable local GGUF (so only the server can
    generate)."""
    return {"STUDY_HOME": str(sample_library.settings.home), "STUDY_LLM_URL": url,
            "STUDY_LLM_MODEL": str(REPO_ROOT / "no-such-model.gguf"),
            "STUDY_MODEL_CACHE": str(sample_library.settings.model_cache),
            "STUDY_MAX_TOKENS": str(TEST_MAX_TOKENS), "STUDY_TEMPERATURE": "0"}


def test_study_ask_json_answers_through_a_running_llama_cpp_server(sample_library, llm_server):
    before = llm_server.log().count("POST /v1/chat/completions")
    result = run_study(["ask", "--json", QUESTION], cli_env(sample_library, llm_server.url))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["generated"] and answer["covered"] and answer["notice"] == ""
    assert "梯度" in answer["answer"]
    assert answer["citations"] and all("examples/notes/" in c["source"]
                                     for c in answer["citations"])
    assert llm_server.log().count("POST /v1/chat/completions") == before + 1


def test_a_stopped_server_gives_one_line_naming_the_url(sample_library):
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there any more
    result = run_study(["ask", QUESTION], cli_env(sample_library, url))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and url in lines[0] and "unreachable" in lines[0], result.stderr
    assert "[1]" in result.stdout  # the passages themselves, extractively

    as_json = run_study(["ask", "--json", QUESTION], cli_env(sample_library, url))
    answer = json.loads(as_json.stdout)
    assert not answer["generated"] and url in answer["notice"] and answer["citations"]


def test_explain_streams_a_cited_answer(endpoint_assistant):
    explanation = endpoint_assistant.explain(QUESTION)
    pieces = list(explanation.stream())
    answer = explanation.finish()
    assert len(pieces) > 3  # streamed, not one block
    assert answer.generated and "梯度" in answer.text
    assert answer.citations and explanation.stats.finish_reason in ("stop", "length")


def test_quiz_items_come_from_the_server_and_validate(endpoint_assistant, sample_library):
    """One item: the server is asked for drafts, and what it drafts validates. Whether the
    checks accept a draft is the model's business (test_assistant_quiz); past
    ``count + SPARE_SECTIONS`` sections the quiz is filled from the notes."""
    log = QuizLog()
    items = list(endpoint_assistant.quiz("正则化", count=1, kind="mcq", log=log))
    assert len(items) == 1
    drafted = [item for item in items if item.generated]
    assert drafted or log.rejected, "the server was never asked for a draft"
    chunk_ids = {chunk.id for chunk in sample_library.chunks()}
    for item in items:
        assert len(item.options) == 4 and item.options[item.answer_index] == item.answer
        assert item.citation.chunk_id in chunk_ids


def test_compare_fills_a_cited_table_through_the_server(endpoint_assistant):
    comparison = endpoint_assistant.compare(["L1 正则化", "L2 正则化"])
    assert comparison.generated, comparison.notice
    assert comparison.rows and comparison.citations


def test_grading_a_short_answer_asks_the_server(endpoint_assistant, sample_library):
    hit = next(h for h in sample_library.search(QUESTION, k=5) if "梯度裁剪" in h.chunk.heading)
    item = QuizItem("short", "什么是梯度裁剪？它的作用是什么？", (), None,
                    "梯度裁剪通过设定阈值限制梯度的大小，防止梯度爆炸，使训练更稳定。", "",
                    Citation.of(1, hit), hit.chunk.text, True)
    grade = endpoint_assistant.grade(item, "给梯度设一个上限，太大就缩小，避免梯度爆炸。")
    assert grade.graded_by == "model+similarity"
    assert grade.verdict in ("correct", "partial")
    wrong = endpoint_assistant.grade(item, "梯度裁剪就是把学习率调成零。")
    assert wrong.verdict in ("incorrect", "partial") and wrong.missing


def test_the_server_enforces_the_json_schema(endpoint):
    schema = {"type": "object", "properties": {"word": {"enum": ["zebra-42"]}},
              "required": ["word"], "additionalProperties": False}
    prompt = Prompt((Message("user", "Say hello to me."),), 24).with_schema(schema)
    assert json.loads(endpoint.complete(prompt)) == {"word": "zebra-42"}


def test_token_counts_are_the_server_tokenizer(endpoint, model_settings):
    from llama_cpp import Llama

    path = str(resolve_llm_path(model_settings))
    with closing(Llama(path, vocab_only=True, verbose=False)) as vocab:
        for text in ("梯度裁剪通过设定阈值限制梯度的大小。", "How does self-attention work?"):
            expected = len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=True))
            assert endpoint.count_tokens(text) == expected < len(text.encode("utf-8")) // 2 + 1


def test_cancel_closes_the_connection_and_the_server_stops(endpoint, llm_server):
    stop = threading.Event()
    prompt = Prompt((Message("user", "Write a very long essay about neural networks."),), 400)
    stream = endpoint.stream(prompt, stop)
    pieces = []
    for piece in stream:
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()
    assert len(pieces) == 3 and stream.stats.finish_reason == "cancelled"
    assert endpoint.complete(Prompt((Message("user", "Say OK."),), 4))  # the server is free
    assert "Disconnected from client" in llm_server.log()
