"""The generation seam: ``Generator.stream(prompt)`` yields text pieces; one backend per file.

- ``generator_llama.LlamaGenerator`` (the default): the bundled GGUF in this process through
  llama-cpp-python; one context, so a process-wide lock queues completions.
- ``generator_openai.OpenAIGenerator`` (setting ``llm_url``): any OpenAI-compatible server
  (llama-server, llama_cpp.server, Ollama, LM Studio, vLLM); requests run concurrently and the
  server schedules them.

``open_generator(settings)`` picks the backend by configuration (``backend_key``).
``UnavailableGenerator`` stands in when the model file is missing or fails to load: it carries
the reason, and every mode falls back to extractive answers instead of generating.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ground.errors import ModelError
from ground.settings import Settings

SEED = 1234
MIN_ANSWER_TOKENS = 16  # a prompt that leaves less than this is cut in the middle instead
QUEUE_POLL_SECONDS = 0.05
READ_RATE_MARGIN = 0.9
"""A deadline counts on this share of a measured reading speed: one prompt's speed varied from
62 to 76 tokens/s within a run (dev7 r67), and the quote is picked after the prompt is built
(0.05-0.25 s)."""
BACKENDS = {"llama": "assistant.generator_llama", "openai": "assistant.generator_openai"}


@dataclass(frozen=True)
class Message:
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Prompt:
    """Everything one completion needs. ``json_schema`` (JSON text) constrains the output."""

    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.0
    json_schema: str | None = None
    shorter: tuple[tuple[Message, ...], ...] = ()
    """The same prompt with less to read, longest first: a backend that measures its reading
    speed while it reads (``LlamaGenerator``) answers the longest of ``messages`` and these
    that it can read by ``answer_by``, and says which in ``GenerationStats.read_variant``."""
    answer_by: float | None = None  # ``time.perf_counter()`` of the first token's deadline

    def with_schema(self, schema: dict) -> Prompt:
        return Prompt(self.messages, self.max_tokens, self.temperature, json.dumps(schema))


@dataclass
class GenerationStats:
    """Filled in while a completion runs (for the UI's status line and the benchmark)."""

    phase: str = "queued"  # queued -> prompt -> generating -> done | cancelled
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens reused from the KV cache
    completion_tokens: int = 0
    max_tokens: int = 0
    queued_at: float = field(default_factory=time.perf_counter)
    started_at: float | None = None  # lock acquired
    first_token_at: float | None = None
    finished_at: float | None = None
    finish_reason: str = ""  # "stop", "length" or "cancelled"
    drafted_tokens: int = 0  # guessed from the prompt's text (lookup decoding)
    accepted_tokens: int = 0  # of those, kept: each saved a one-token pass
    read_variant: int = 0  # the prompt answered: 0 its ``messages``, n its ``shorter[n - 1]``
    shared_rate: float | None = None  # tokens/s reading the part every variant shares

    @property
    def decode_tokens_per_second(self) -> float:
        if self.first_token_at is None or self.finished_at is None or self.completion_tokens < 2:
            return 0.0
        return (self.completion_tokens - 1) / max(self.finished_at - self.first_token_at, 1e-9)


class TokenStream(Iterator[str]):
    """Text pieces of one completion, with its ``stats`` (phase, token counts, timings)."""

    def __init__(self, pieces: Iterator[str], stats: GenerationStats):
        self._pieces = pieces
        self.stats = stats

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        close = getattr(self._pieces, "close", None)
        if close:
            close()


class Generator:
    """The seam: subclasses implement ``stream``; the rest are conveniences built on it."""

    available = True
    reason = ""  # why generation is unavailable, when it is
    label = ""  # what generates, for the Settings page ("", a GGUF path, "model at URL")
    n_ctx = 4096
    PROMPT_INTERRUPTIBLE = False
    read_rate: float | None = None
    """Prompt tokens read per second here, as measured on recent long prompts (``None``: not
    known, e.g. a remote endpoint): what a prompt read before a deadline may hold."""

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> Iterator[str]:
        raise NotImplementedError

    def complete(self, prompt: Prompt, cancel: threading.Event | None = None) -> str:
        return "".join(self.stream(prompt, cancel))

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` costs; this default over-estimates (one per UTF-8 byte / 2)."""
        return len(text.encode("utf-8")) // 2 + 1

    def count_prompt(self, messages: tuple[Message, ...]) -> int:
        """Tokens of the whole rendered prompt, chat template included."""
        return sum(self.count_tokens(m.content) + 8 for m in messages) + 4

    def prime(self, messages: tuple[Message, ...]) -> None:
        """Prepare for prompts that start with ``messages`` (a backend with a cache reuses it)."""


class UnavailableGenerator(Generator):
    """No model: ``available`` is False and ``reason`` says why (the ModelError's message)."""

    available = False

    def __init__(self, reason: str):
        self.reason = reason

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> Iterator[str]:
        raise ModelError(f"generation is unavailable: {self.reason}")


def fit_to_context(tokens: list[int], max_tokens: int, n_ctx: int) -> tuple[list[int], int]:
    """Make ``prompt + max_tokens`` fit ``n_ctx``: clip the answer, then cut the prompt's middle.

    The prompt builders budget passages so this never has to cut; it is the last guard that
    turns an oversized prompt into a shorter one instead of llama-cpp-python's exception. The
    head (system prompt) and tail (question, generation prompt) survive.

    >>> fit_to_context(list(range(10)), 4, 16)
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4)
    >>> fit_to_context(list(range(20)), 64, 48)[1]  # the answer is clipped to what is left
    27
    >>> fit_to_context(list(range(40)), 8, 24)  # no room: the middle goes
    ([0, 1, 2, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39], 8)
    """
    min_answer = min(max_tokens, MIN_ANSWER_TOKENS)
    room = n_ctx - 1 - len(tokens)
    if room >= min_answer:
        return tokens, min(max_tokens, room)
    keep = n_ctx - 1 - min(max_tokens, max(min_answer, n_ctx // 4))
    head = max(1, keep // 4)
    return tokens[:head] + tokens[len(tokens) - (keep - head):], n_ctx - 1 - keep


def backend_key(settings: Settings) -> str:
    """Which backend the settings select: an endpoint URL means ``openai``, else ``llama``."""
    return "openai" if settings.llm_url.strip() else "llama"


def create_generator(key: str, settings: Settings) -> Generator:
    """The backend ``key`` names (a key of ``BACKENDS``), opened with ``settings``."""
    try:
        module = importlib.import_module(BACKENDS[key])
    except (KeyError, ImportError) as error:
        raise ImportError(f"Unable to resolve generator backend: '{key}'") from error
    return module.open_backend(settings)


def open_generator(settings: Settings) -> Generator:
    """The configured LLM, or an ``UnavailableGenerator`` saying why it cannot run."""
    return create_generator(backend_key(settings), settings)


_MOVED_TO_LLAMA = {"LlamaConfig", "LlamaGenerator", "GENERATION_LOCK"}


def __getattr__(name: str) -> Any:
    """Names that moved to ``generator_llama`` stay importable from here."""
    if name in _MOVED_TO_LLAMA:
        return getattr(importlib.import_module(BACKENDS["llama"]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
