"""The generation seam: ``Generator.stream(prompt)`` yields text pieces; one backend per class.

``LlamaGenerator`` runs the bundled GGUF through llama-cpp-python. The model is loaded once per
process per (file, context settings) and shared by every session, so one llama.cpp context serves
all callers: a process-wide lock queues their completions (a context cannot run two at once).
Cancelling releases the lock at the next token, or while still queued. The prompt is evaluated
in one uninterruptible ``llama_decode`` pass before the first token (``PROMPT_INTERRUPTIBLE`` is
False, so a UI can say "stopping after the prompt is read").

llama.cpp keeps the KV cache of the last prompt and reuses its longest matching token prefix,
so prompts put the fixed system prompt first; ``prime`` evaluates it once at start-up.

``UnavailableGenerator`` stands in when the model file is missing or fails to load: it carries
the reason, and every mode falls back to extractive answers instead of generating.
"""

from __future__ import annotations

import codecs
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import ModelError
from ingest.settings import Settings

SEED = 1234
MIN_ANSWER_TOKENS = 16  # a prompt that leaves less than this is cut in the middle instead
QUEUE_POLL_SECONDS = 0.05
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


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
    n_ctx = 4096
    PROMPT_INTERRUPTIBLE = False

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


class UnavailableGenerator(Generator):
    """No model: ``available`` is False and ``reason`` says why (the ModelError's message)."""

    available = False

    def __init__(self, reason: str):
        self.reason = reason

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> Iterator[str]:
        raise ModelError(f"generation is unavailable: {self.reason}")


@dataclass(frozen=True)
class LlamaConfig:
    path: str
    n_ctx: int
    n_threads: int
    n_batch: int = 512
    flash_attn: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, path: Path) -> LlamaConfig:
        return cls(str(path), settings.n_ctx, settings.resolved_threads())


class _LoadedModel:
    """One llama.cpp model + context and its chat template renderer."""

    def __init__(self, config: LlamaConfig):
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            self.llm = Llama(
                config.path,
                n_ctx=config.n_ctx,
                n_batch=config.n_batch,
                n_ubatch=config.n_batch,
                n_threads=config.n_threads,
                n_threads_batch=config.n_threads,
                flash_attn=config.flash_attn,
                seed=SEED,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(f"{config.path}: the LLM failed to load ({error})") from None
        model = self.llm._model
        self.eos_text = model.token_get_text(self.llm.token_eos())
        bos = self.llm.token_bos()
        self.add_bos = model.add_bos_token() and bos >= 0
        template = self.llm.metadata.get("tokenizer.chat_template") or CHATML_TEMPLATE
        self.formatter = Jinja2ChatFormatter(
            template, self.eos_text, model.token_get_text(bos) if bos >= 0 else ""
        )

    def render(self, messages: tuple[Message, ...], add_generation_prompt: bool = True) -> str:
        self.formatter.add_generation_prompt = add_generation_prompt
        payload = [{"role": m.role, "content": m.content} for m in messages]
        return self.formatter(messages=payload).prompt

    def tokens(self, rendered: str) -> list[int]:
        return self.llm.tokenize(rendered.encode("utf-8"), add_bos=self.add_bos, special=True)


_MODELS: dict[LlamaConfig, _LoadedModel] = {}
_MODELS_LOCK = threading.Lock()
GENERATION_LOCK = threading.Lock()  # one completion at a time, across every session


def load_model(config: LlamaConfig) -> _LoadedModel:
    with _MODELS_LOCK:
        if config not in _MODELS:
            _MODELS[config] = _LoadedModel(config)
        return _MODELS[config]


class LlamaGenerator(Generator):
    """The bundled (or the user's) GGUF; construct with ``open_generator`` to get fallbacks."""

    def __init__(self, config: LlamaConfig):
        self.config = config
        self.model = load_model(config)
        self.n_ctx = self.model.llm.n_ctx()

    def count_tokens(self, text: str) -> int:
        return len(self.model.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_prompt(self, messages: tuple[Message, ...]) -> int:
        return len(self.model.tokens(self.model.render(messages)))

    def prime(self, messages: tuple[Message, ...]) -> None:
        """Evaluate the fixed leading messages now, so the first real prompt reuses them."""
        tokens = self.model.tokens(self.model.render(messages, add_generation_prompt=False))
        with GENERATION_LOCK:
            llm = self.model.llm
            if list(llm._input_ids[: len(tokens)]) != tokens:
                llm.reset()
                llm.eval(tokens)

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> TokenStream:
        stats = GenerationStats(max_tokens=prompt.max_tokens)
        return TokenStream(self._run(prompt, cancel or threading.Event(), stats), stats)

    def _run(self, prompt: Prompt, cancel: threading.Event, stats: GenerationStats):
        tokens = self.model.tokens(self.model.render(prompt.messages))
        tokens, max_tokens = fit_to_context(tokens, prompt.max_tokens, self.n_ctx)
        stats.prompt_tokens, stats.max_tokens = len(tokens), max_tokens
        grammar = _grammar(prompt.json_schema)
        while not GENERATION_LOCK.acquire(timeout=QUEUE_POLL_SECONDS):
            if cancel.is_set():
                stats.phase = stats.finish_reason = "cancelled"
                return
        try:
            stats.started_at = time.perf_counter()
            if cancel.is_set():
                stats.phase = stats.finish_reason = "cancelled"
                return
            yield from self._decode(tokens, max_tokens, prompt, grammar, cancel, stats)
        finally:
            stats.finished_at = time.perf_counter()
            GENERATION_LOCK.release()

    def _decode(self, tokens, max_tokens, prompt, grammar, cancel, stats):
        import llama_cpp

        llm = self.model.llm
        stats.cached_tokens = _common_prefix(llm._input_ids, tokens)
        stats.phase = "prompt"
        llm.set_seed(SEED)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces = llm.generate(tokens, temp=prompt.temperature, top_k=40, top_p=0.95,
                              repeat_penalty=1.0, grammar=grammar)
        stats.finish_reason = "length"
        try:
            for token in pieces:
                if stats.first_token_at is None:
                    stats.first_token_at = time.perf_counter()
                    stats.phase = "generating"
                if cancel.is_set():
                    stats.finish_reason = "cancelled"
                    break
                if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                    stats.finish_reason = "stop"
                    break
                stats.completion_tokens += 1
                text = decoder.decode(llm.detokenize([token]))
                if text:
                    yield text
                if stats.completion_tokens >= max_tokens:
                    break
            tail = decoder.decode(b"", final=True)
            if tail and stats.finish_reason != "cancelled":
                yield tail
        finally:
            pieces.close()
            stats.phase = "cancelled" if stats.finish_reason == "cancelled" else "done"


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


def _common_prefix(cached: Any, tokens: list[int]) -> int:
    count = 0
    for old, new in zip(cached, tokens, strict=False):
        if old != new:
            break
        count += 1
    return count


def _grammar(json_schema: str | None):
    if json_schema is None:
        return None
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_json_schema(json_schema, verbose=False)


def open_generator(settings: Settings) -> Generator:
    """The configured LLM, or an ``UnavailableGenerator`` saying why it cannot run."""
    from assistant.llm_file import resolve_llm_path

    try:
        return LlamaGenerator(LlamaConfig.from_settings(settings, resolve_llm_path(settings)))
    except ModelError as error:
        return UnavailableGenerator(str(error))
