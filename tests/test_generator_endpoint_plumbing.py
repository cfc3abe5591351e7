"""The endpoint backend's plumbing against a stand-in OpenAI-style server on loopback (no model):
concurrency, error lines, the schema forms, validation on arrival, token counting, the factory.
What the real server does is covered by ``test_generator_endpoint.py``."""

from __future__ import annotations

import doctest
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from llm_server import free_port

from assistant import generator_openai
from assistant.generator import Generator, Message, Prompt, create_generator, open_generator
from assistant.generator_openai import EndpointConfig, OpenAIGenerator
from ground.errors import ModelError
from ground.settings import Settings
from ui.cli import build_parser, settings_from_args

SCHEMA = {"type": "object", "properties": {"verdict": {"enum": ["correct", "incorrect"]}},
          "required": ["verdict"], "additionalProperties": False}
HELLO = Prompt((Message("user", "hello"),), 8)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.route(self, "GET", None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.route(self, "POST", json.loads(self.rfile.read(length) or b"null"))

    def reply(self, status: int, body, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def events(self, chunks: list, done: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b": ping\n\n")
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


def chunks_of(text: str, finish: str | None = "stop") -> list[dict]:
    pieces = [{"choices": [{"delta": {"content": c}, "finish_reason": None}]} for c in text]
    return pieces + ([{"choices": [{"delta": {}, "finish_reason": finish}]}] if finish else [])


class StandIn(ThreadingHTTPServer):
    """Routes ``(method, path)`` to handlers; records every request body."""

    daemon_threads = True

    def __init__(self, routes: dict[tuple[str, str], Callable], port: int = 0):
        super().__init__(("127.0.0.1", port), Handler)
        self.routes = {("GET", "/v1/models"): lambda h, b: h.reply(200, {"data": [{"id": "m"}]}),
                       **routes}
        self.requests: list[tuple[str, str, object]] = []

    def route(self, handler: Handler, method: str, body) -> None:
        self.requests.append((method, handler.path, body))
        action = self.routes.get((method, handler.path))
        if action is None:
            handler.reply(404, {"detail": "Not Found"})
        else:
            action(handler, body)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def stand_in():
    servers = []

    def start(routes: dict, port: int = 0) -> StandIn:
        server = StandIn(routes, port)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def generator_for(url: str, **config) -> OpenAIGenerator:
    return OpenAIGenerator(EndpointConfig(url, **config))


def test_docstring_examples():
    assert doctest.testmod(generator_openai).failed == 0


def test_requests_from_several_students_are_in_flight_at_once(stand_in):
    together = threading.Barrier(4, timeout=20)

    def chat(handler, body):
        together.wait()  # answers only once all four requests have arrived
        handler.events(chunks_of("ok"))

    server = stand_in({("POST", "/v1/chat/completions"): chat})
    generator = generator_for(server.url)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(generator.complete(HELLO)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == ["ok"] * 4 and not together.broken


def test_the_request_is_an_openai_chat_completion(stand_in):
    server = stand_in({("POST", "/v1/chat/completions"): lambda h, b: h.events(chunks_of("hi"))})
    generator = generator_for(server.url, api_key="", model_name="")
    assert generator.complete(HELLO) == "hi" and generator.label == f"m at {server.url}"
    body = next(b for m, p, b in server.requests if p == "/v1/chat/completions")
    assert body["model"] == "m" and body["stream"] is True and body["max_tokens"] == 8
    assert body["messages"] == [{"role": "user", "content": "hello"}]
    assert "response_format" not in body


@pytest.mark.parametrize("answer, expected", [
    ((404, b"<html>nope</html>", "text/html"), "answered HTTP 404 to GET /models"),
    ((200, b"<html>hello</html>", "text/html"), "not an OpenAI-style reply"),
    ((200, {"object": "list"}, "application/json"), "not an OpenAI-style reply"),
])
def test_a_wrong_answer_is_one_line_naming_the_url(stand_in, answer, expected):
    server = stand_in({("GET", "/v1/models"): lambda h, b: h.reply(*answer)})
    generator = generator_for(server.url)
    assert not generator.available
    assert server.url in generator.reason and expected in generator.reason
    assert "\n" not in generator.reason
    with pytest.raises(ModelError, match=expected):
        generator.complete(HELLO)


def test_an_unreachable_url_is_named_and_asked_again_later(stand_in, monkeypatch):
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    generator = generator_for(url)
    assert not generator.available and generator.reason.startswith(f"LLM endpoint {url} is unr")
    with pytest.raises(ModelError, match="unreachable"):
        generator.complete(HELLO)
    monkeypatch.setattr(generator_openai, "RETRY_SECONDS", 0.0)
    stand_in({("POST", "/v1/chat/completions"): lambda h, b: h.events(chunks_of("up"))}, port)
    assert generator.available and generator.complete(HELLO) == "up"


def test_an_api_key_goes_as_a_bearer_token_and_is_never_shown(stand_in):
    def models(handler, body):
        if handler.headers.get("Authorization") != "Bearer s3cret-key":
            handler.reply(401, {"error": {"message": "invalid api key"}})
        else:
            handler.reply(200, {"data": [{"id": "m"}]})

    server = stand_in({("GET", "/v1/models"): models})
    refused = generator_for(server.url, api_key="wrong-key")
    assert not refused.available and "llm_api_key" in refused.reason
    assert "wrong-key" not in refused.reason
    assert generator_for(server.url, api_key="s3cret-key").available


def test_a_stream_cut_short_is_an_error_naming_the_url(stand_in):
    server = stand_in({("POST", "/v1/chat/completions"):
                       lambda h, b: h.events(chunks_of("half", finish=None), done=False)})
    with pytest.raises(ModelError, match="ended an answer early") as raised:
        generator_for(server.url).complete(HELLO)
    assert server.url in str(raised.value) and "\n" not in str(raised.value)


def test_an_error_event_in_the_stream_is_an_error(stand_in):
    server = stand_in({("POST", "/v1/chat/completions"):
                       lambda h, b: h.events([{"error": {"message": "context overflow"}}])})
    with pytest.raises(ModelError, match="reported an error while answering: context overflow"):
        generator_for(server.url).complete(HELLO)


def test_a_server_rejecting_json_schema_gets_json_object_with_the_schema(stand_in):
    def chat(handler, body):
        form = body["response_format"]["type"]
        if form == "json_schema":  # what llama_cpp.server answers
            handler.reply(500, {"error": {"message": "'loc': ('body', 'response_format')"}})
        else:
            handler.events(chunks_of('{"verdict": "correct"}'))

    server = stand_in({("POST", "/v1/chat/completions"): chat})
    generator = generator_for(server.url)
    prompt = HELLO.with_schema(SCHEMA)
    assert generator.complete(prompt) == '{"verdict": "correct"}'
    assert generator.complete(prompt) == '{"verdict": "correct"}'
    forms = [b["response_format"] for m, p, b in server.requests if p.endswith("completions")]
    assert forms[0] == {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    assert forms[1:] == [{"type": "json_object", "schema": SCHEMA}] * 2  # remembered


@pytest.mark.parametrize("reply", ['{"verdict": "right"}', '{"verdict": "correct", "x": 1}',
                                   '{"verdict": "corr'])
def test_a_reply_outside_the_schema_comes_back_empty(stand_in, reply):
    server = stand_in({("POST", "/v1/chat/completions"): lambda h, b: h.events(chunks_of(reply))})
    stream = generator_for(server.url).stream(HELLO.with_schema(SCHEMA))
    assert "".join(stream) == ""
    assert stream.stats.finish_reason == "invalid"


def test_cancel_stops_waiting_before_the_server_answers(stand_in):
    release = threading.Event()

    def chat(handler, body):
        release.wait(30)  # the server is busy with someone else
        handler.events(chunks_of("late"))

    server = stand_in({("POST", "/v1/chat/completions"): chat})
    stop = threading.Event()
    stream = generator_for(server.url).stream(HELLO, stop)
    threading.Timer(0.3, stop.set).start()
    try:
        assert list(stream) == [] and stream.stats.finish_reason == "cancelled"
    finally:
        release.set()


def test_token_counts_use_the_servers_tokenizer_or_an_over_estimate(stand_in):
    text = "梯度裁剪 limits gradients"
    plain = Generator().count_tokens(text)
    none = stand_in({})
    assert generator_for(none.url).count_tokens(text) == plain
    server = stand_in({("POST", "/tokenize"): lambda h, b: h.reply(200, {"tokens": [1, 2, 3]})})
    counting = generator_for(server.url)
    assert counting.count_tokens(text) == 3 and counting.count_tokens(text) == 3
    tokenized = [b for m, p, b in server.requests if p == "/tokenize"]
    assert len(tokenized) == 1 and tokenized[0]["content"] == text  # asked once, remembered


def test_the_settings_select_the_backend():
    env = {"STUDY_LLM_URL": "http://127.0.0.1:9/v1/", "STUDY_LLM_API_KEY": "k",
           "STUDY_LLM_MODEL_NAME": "qwen", "STUDY_LLM_TIMEOUT": "7"}
    settings = Settings.load(home="/tmp/unused-home", env=env)
    generator = open_generator(settings)
    assert isinstance(generator, OpenAIGenerator)
    assert generator.config == EndpointConfig("http://127.0.0.1:9/v1", "k", "qwen", 7.0, 4096)
    args = build_parser().parse_args(["--llm-url", "http://h:1/v1", "--llm-model-name", "x",
                                      "ask", "q"])
    flags = settings_from_args(args)
    assert (flags.llm_url, flags.llm_model_name) == ("http://h:1/v1", "x")
    with pytest.raises(ImportError, match="Unable to resolve generator backend: 'nope'"):
        create_generator("nope", settings)
