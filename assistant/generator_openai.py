"""The endpoint backend: any OpenAI-compatible chat-completions server (setting ``llm_url``).

llama-server, llama-cpp-python's ``llama_cpp.server``, Ollama, LM Studio and vLLM all speak
``POST {llm_url}/chat/completions`` with server-sent events. Nothing here holds a process-wide
lock: every caller's request is in flight at once and the server schedules them (llama-server
``--parallel`` and vLLM batch them; ``llama_cpp.server`` runs one at a time).

- **Streaming and cancelling**: each completion is read by a worker thread into a queue, so a
  cancel takes effect at once in every phase (queued at the server, prompt, generating); the
  connection is then shut down, which a server takes as "stop generating".
- **Structured output** (quiz, compare, grading): the JSON schema is sent as the standard
  ``response_format`` ``{"type": "json_schema", ...}``; a server that rejects that form
  (``llama_cpp.server`` accepts only ``json_object`` with a ``schema``, which it compiles to a
  llama.cpp grammar) gets the other form from then on. Either way the reply is validated
  against the schema on arrival (``jsonschema``); a reply that does not conform comes back
  empty, which every caller already treats as "no usable JSON".
- **Token counting** for the prompt budget: the server's own tokenizer where it has one
  (``/extras/tokenize/count`` of llama_cpp.server, ``/tokenize`` of llama-server and vLLM),
  remembered per text; else, or while the server is too busy to answer within
  ``TOKENIZE_WAIT_SECONDS``, the base class's over-estimate.
- **Errors**: one line naming the URL (unreachable, timed out, refused the key, answered
  HTTP 4xx/5xx or something that is not an OpenAI reply). An unreachable server makes
  ``available`` False with that line as ``reason`` (so every mode falls back to extractive
  answers and says why); it is asked again after ``RETRY_SECONDS``.

The HTTP client is ``httpx2`` (Pydantic's maintained continuation of httpx, already installed as
a dependency of huggingface_hub): one thread-safe ``Client`` with a connection pool per
generator.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from assistant.generator import (
    QUEUE_POLL_SECONDS,
    SEED,
    GenerationStats,
    Generator,
    Prompt,
    TokenStream,
)
from ground.errors import ModelError
from ground.settings import Settings

CONNECT_SECONDS = 5.0
RETRY_SECONDS = 5.0  # an unreachable server is asked again after this
TOKENIZE_WAIT_SECONDS = 0.75  # longer than this and the over-estimate is used instead ...
TOKENIZE_BUSY_SECONDS = 10.0  # ... for this long (llama_cpp.server tokenizes between replies)
COUNT_CACHE_SIZE = 8192
DETAIL_CHARS = 160
SCHEMA_FORMS = ("json_schema", "json_object")


class EndpointUnreachable(ModelError):
    """Nothing answers at the URL, or the connection broke."""


class EndpointTimeout(ModelError):
    """The server took longer than ``llm_timeout`` (or a tokenizer wait) to answer."""


@dataclass(frozen=True)
class EndpointConfig:
    url: str  # the base URL, ending where "/chat/completions" is appended (usually ".../v1")
    api_key: str = ""
    model_name: str = ""
    timeout: float = 120.0
    n_ctx: int = 4096

    @classmethod
    def from_settings(cls, settings: Settings) -> EndpointConfig:
        return cls(settings.llm_url.strip().rstrip("/"), settings.llm_api_key.strip(),
                   settings.llm_model_name.strip(), settings.llm_timeout, settings.n_ctx)

    @property
    def root(self) -> str:
        """The server's root, where the non-OpenAI extras (tokenizers) live.

        >>> EndpointConfig("http://127.0.0.1:8080/v1").root
        'http://127.0.0.1:8080'
        """
        return self.url.removesuffix("/v1")


class OpenAIGenerator(Generator):
    """Completions from ``config.url``; construct with ``open_backend``."""

    PROMPT_INTERRUPTIBLE = True  # the caller stops waiting at once; the server stops later

    def __init__(self, config: EndpointConfig, client: httpx2.Client | None = None):
        self.config = config
        self.n_ctx = config.n_ctx
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self.client = client or httpx2.Client(
            headers=headers, timeout=httpx2.Timeout(config.timeout, connect=CONNECT_SECONDS),
            limits=httpx2.Limits(max_connections=None, max_keepalive_connections=32))
        self._state_lock = threading.Lock()
        self._model = config.model_name
        self._down_reason = ""
        self._checked_at: float | None = None
        self._schema_form = SCHEMA_FORMS[0]
        self._tokenizer: str | None = None  # "extras", "tokenize" or "estimate", once known
        self._tokenizer_busy_until = 0.0
        self._counts: dict[str, int] = {}

    # -- availability -------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        self._check()
        return not self._down_reason

    @property
    def reason(self) -> str:
        return self._down_reason

    @property
    def label(self) -> str:
        return f"{self._model or '(first model listed)'} at {self.config.url}"

    def _check(self) -> None:
        """Ask ``GET /models`` once, and again after ``RETRY_SECONDS`` while it fails."""
        with self._state_lock:
            now = time.monotonic()
            if self._checked_at is not None and (
                    not self._down_reason or now - self._checked_at < RETRY_SECONDS):
                return
            self._checked_at = now
            try:
                listed = self._listed_models()
            except ModelError as error:
                self._down_reason = str(error)
                return
            self._down_reason = ""
            if not self._model:
                if not listed:
                    self._down_reason = (f"LLM endpoint {self.config.url} lists no model; "
                                         "set llm_model_name")
                    return
                self._model = listed[0]

    def _listed_models(self) -> list[str]:
        data = self._json(self._send("GET", "/models"), "GET /models")
        models = data.get("data") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise self._wrong_answer("GET /models", data)
        return [str(m["id"]) for m in models if isinstance(m, dict) and "id" in m]

    def _mark_down(self, error: ModelError) -> ModelError:
        with self._state_lock:
            self._down_reason, self._checked_at = str(error), time.monotonic()
        return error

    # -- HTTP helpers -------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Any = None,
              timeout: httpx2.Timeout | None = None, root: bool = False) -> httpx2.Response:
        url = (self.config.root if root else self.config.url) + path
        try:
            extra = {"timeout": timeout} if timeout is not None else {}
            response = self.client.request(method, url, json=body, **extra)
        except httpx2.HTTPError as error:
            raise self.transport_error(error) from None
        if response.status_code >= 400:
            raise self.http_error(response, f"{method} {path}")
        return response

    def _json(self, response: httpx2.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self._wrong_answer(what, response.text) from None

    def transport_error(self, error: httpx2.HTTPError) -> ModelError:
        url = self.config.url
        if isinstance(error, httpx2.TimeoutException):
            return EndpointTimeout(f"LLM endpoint {url} did not answer within "
                                   f"{self.config.timeout:g} s (setting llm_timeout)")
        if isinstance(error, httpx2.ConnectError):
            return EndpointUnreachable(f"LLM endpoint {url} is unreachable ({_one_line(error)});"
                                       " start the server or change setting llm_url")
        if isinstance(error, httpx2.UnsupportedProtocol | httpx2.InvalidURL):
            return EndpointUnreachable(
                f"LLM endpoint {url}: not a usable http(s) URL (setting llm_url)")
        return EndpointUnreachable(
            f"LLM endpoint {url} broke off the connection ({_one_line(error)})")

    def http_error(self, response: httpx2.Response, what: str) -> ModelError:
        try:
            response.read()
            detail = _one_line(response.text)
        except httpx2.HTTPError:
            detail = ""
        hint = {401: "; check setting llm_api_key", 403: "; check setting llm_api_key",
                404: "; is llm_url the server's OpenAI base URL (usually ending in /v1)?"}
        return ModelError(f"LLM endpoint {self.config.url} answered HTTP {response.status_code} "
                          f"to {what}{hint.get(response.status_code, '')}"
                          + (f": {detail}" if detail else ""))

    def _wrong_answer(self, what: str, answer: Any) -> ModelError:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        return ModelError(f"LLM endpoint {self.config.url} answered {what} with something that "
                          f"is not an OpenAI-style reply: {_one_line(text) or '(empty)'}")

    # -- token counting -----------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """The server's count where it can tell us quickly, else the base over-estimate."""
        if text in self._counts:
            return self._counts[text]
        count = self._server_count(text)
        if count is None:
            return super().count_tokens(text)
        if len(self._counts) >= COUNT_CACHE_SIZE:
            self._counts.clear()
        self._counts[text] = count
        return count

    def _server_count(self, text: str) -> int | None:
        if self._tokenizer == "estimate" or time.monotonic() < self._tokenizer_busy_until:
            return None
        if not self.available:  # (and the model name is known from here on: vLLM needs it)
            return None
        wait = httpx2.Timeout(TOKENIZE_WAIT_SECONDS, connect=CONNECT_SECONDS)
        for way in ([self._tokenizer] if self._tokenizer else ["extras", "tokenize"]):
            try:
                count = self._ask_tokenizer(way, text, wait)
            except EndpointTimeout:
                self._tokenizer_busy_until = time.monotonic() + TOKENIZE_BUSY_SECONDS
                return None
            except EndpointUnreachable:
                return None
            except ModelError:
                continue  # HTTP 404/405/422 or a reply of another shape: not this way
            if count is not None:
                self._tokenizer = way
                return count
        if self._tokenizer is None:
            self._tokenizer = "estimate"
        return None

    def _ask_tokenizer(self, way: str, text: str, wait: httpx2.Timeout) -> int | None:
        if way == "extras":  # llama_cpp.server
            body = {"input": text, "model": self._model or None}
            data = self._json(self._send("POST", "/extras/tokenize/count", body, wait, True),
                              "POST /extras/tokenize/count")
            return data.get("count") if isinstance(data, dict) else None
        body = {"content": text, "prompt": text, "add_special": False}  # llama-server, vLLM
        if self._model:
            body["model"] = self._model
        data = self._json(self._send("POST", "/tokenize", body, wait, True), "POST /tokenize")
        if isinstance(data, dict) and isinstance(data.get("count"), int):
            return data["count"]
        tokens = data.get("tokens") if isinstance(data, dict) else None
        return len(tokens) if isinstance(tokens, list) else None

    # -- completions --------------------------------------------------------------------------

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> TokenStream:
        stats = GenerationStats(max_tokens=prompt.max_tokens)
        return TokenStream(_Reply(self, prompt, cancel or threading.Event(), stats), stats)

    def request_body(self, prompt: Prompt, form: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model or "default",
            "messages": [{"role": m.role, "content": m.content} for m in prompt.messages],
            "max_tokens": prompt.max_tokens,
            "temperature": prompt.temperature,
            "top_p": 0.95,
            "seed": SEED,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if prompt.json_schema is not None:
            schema = json.loads(prompt.json_schema)
            body["response_format"] = (
                {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
                if form == "json_schema" else {"type": "json_object", "schema": schema})
        return body

    def open_reply(self, prompt: Prompt) -> httpx2.Response:
        """The streaming response (headers read), in the schema form this server accepts."""
        if not self.available:
            raise ModelError(self.reason)
        while True:
            form = self._schema_form
            request = self.client.build_request(
                "POST", self.config.url + "/chat/completions", json=self.request_body(prompt, form))
            try:
                response = self.client.send(request, stream=True)
            except httpx2.HTTPError as error:
                raise self._mark_down(self.transport_error(error)) from None
            if response.status_code < 400:
                return response
            error = self.http_error(response, "POST /chat/completions")
            response.close()
            if (prompt.json_schema is not None and form == SCHEMA_FORMS[0]
                    and "response_format" in response.text):  # (llama_cpp.server: HTTP 500)
                self._schema_form = SCHEMA_FORMS[1]  # and ask again in the other form
                continue
            raise error

    def wrong_answer(self, what: str, answer: Any) -> ModelError:
        return self._wrong_answer(what, answer)


class _Reply(Iterator[str]):
    """One streamed completion: a worker thread reads the events, the caller's thread takes
    the pieces from a queue (and can stop waiting at any moment)."""

    def __init__(self, generator: OpenAIGenerator, prompt: Prompt, cancel: threading.Event,
                 stats: GenerationStats):
        self.generator, self.prompt, self.cancel, self.stats = generator, prompt, cancel, stats
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._response: httpx2.Response | None = None
        self._response_lock = threading.Lock()
        self._pieces = self._take()

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop now, from any thread: the caller's iteration ends and the connection closes."""
        self.cancel.set()
        self._shut_connection()
        try:
            self._pieces.close()
        except ValueError:  # being iterated by another thread: it sees the cancel shortly
            pass

    def _take(self) -> Iterator[str]:
        worker = threading.Thread(target=self._fetch, name="llm-endpoint-reply", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    kind, value = self._queue.get(timeout=QUEUE_POLL_SECONDS)
                except queue.Empty:
                    if self.cancel.is_set():
                        return
                    continue
                if self.cancel.is_set():
                    return
                if kind == "piece":
                    yield value
                elif kind == "error":
                    self.stats.phase, self.stats.finish_reason = "done", "error"
                    raise value
                else:
                    return
        finally:
            if self.stats.phase != "done":  # stopped early: cancelled, or the caller let go
                self.cancel.set()
                self.stats.phase = self.stats.finish_reason = "cancelled"
                self.stats.finished_at = time.perf_counter()
                self._shut_connection()

    def _shut_connection(self) -> None:
        """Shut the socket down so a read blocked in the worker returns at once."""
        with self._response_lock:
            response = self._response
        if response is None:
            return
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _fetch(self) -> None:
        """Worker: read the whole reply into the queue (JSON replies validated first)."""
        try:
            text = self._read()
            if self.prompt.json_schema is not None and not self.cancel.is_set():
                if conforms(text, self.prompt.json_schema):
                    self._queue.put(("piece", text))
                elif self.stats.finish_reason == "stop":
                    self.stats.finish_reason = "invalid"
            if not self.cancel.is_set():
                self.stats.phase = "done"
                self.stats.finished_at = time.perf_counter()
        except ModelError as error:
            if not self.cancel.is_set():
                self._queue.put(("error", error))
        except httpx2.HTTPError as error:
            if not self.cancel.is_set():
                self._queue.put(("error", self.generator._mark_down(
                    self.generator.transport_error(error))))
        finally:
            self._queue.put(("end", None))

    def _read(self) -> str:
        stats, generator = self.stats, self.generator
        response = generator.open_reply(self.prompt)
        with self._response_lock:
            self._response = response
        if self.cancel.is_set():
            response.close()
            return ""
        stats.started_at = time.perf_counter()
        stats.phase = "prompt"
        pieces: list[str] = []
        finished = False
        try:
            for event in server_events(response.iter_lines()):
                if self.cancel.is_set():
                    return ""
                if event == "[DONE]":
                    finished = True
                    break
                try:
                    chunk = json.loads(event)
                except ValueError:
                    raise generator.wrong_answer("the completion stream", event) from None
                if isinstance(chunk, dict) and "error" in chunk:  # llama-server, vLLM, Ollama
                    error = chunk["error"]
                    detail = error.get("message", error) if isinstance(error, dict) else error
                    raise ModelError(f"LLM endpoint {generator.config.url} reported an error "
                                     f"while answering: {_one_line(detail)}")
                if not isinstance(chunk, dict):
                    raise generator.wrong_answer("the completion stream", chunk)
                self._take_usage(chunk)
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        if stats.first_token_at is None:
                            stats.first_token_at = time.perf_counter()
                            stats.phase = "generating"
                        stats.completion_tokens += 1
                        pieces.append(piece)
                        if self.prompt.json_schema is None:
                            self._queue.put(("piece", piece))
                    if choice.get("finish_reason"):
                        stats.finish_reason = str(choice["finish_reason"])
        finally:
            response.close()
        if self.cancel.is_set():
            return ""
        if not finished or not stats.finish_reason:
            raise ModelError(
                f"LLM endpoint {generator.config.url} ended an answer early, without a finish "
                "reason (a llama_cpp.server interrupts answers unless started with "
                "--interrupt_requests False)")
        return "".join(pieces)

    def _take_usage(self, chunk: dict) -> None:
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.stats.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            self.stats.completion_tokens = int(usage.get("completion_tokens") or 0) or \
                self.stats.completion_tokens
            details = usage.get("prompt_tokens_details")
            if isinstance(details, dict):
                self.stats.cached_tokens = int(details.get("cached_tokens") or 0)


def server_events(lines: Iterator[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event (comments such as pings are skipped).

    >>> list(server_events(iter(['data: {"a": 1}', '', ': ping', '', 'data: [DONE]', ''])))
    ['{"a": 1}', '[DONE]']
    """
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


def conforms(text: str, json_schema: str) -> bool:
    """Whether ``text`` is JSON that ``json_schema`` accepts.

    >>> conforms('{"verdict": "correct"}', '{"properties": {"verdict": {"enum": ["correct"]}}}')
    True
    >>> conforms('{"verdict": "right"}', '{"properties": {"verdict": {"enum": ["correct"]}}}')
    False
    """
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), json.loads(json_schema))
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"


def open_backend(settings: Settings) -> Generator:
    """A generator for ``settings.llm_url``; whether it answers is checked on first use."""
    return OpenAIGenerator(EndpointConfig.from_settings(settings))
