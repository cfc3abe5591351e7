"""The in-process backend: the bundled (or the user's) GGUF through llama-cpp-python.

Constructing a ``LlamaGenerator`` loads the model; the caller keeps it (the app in
``st.cache_resource``, shared by every session; the CLI once per process), so one llama.cpp
context serves all callers: a process-wide lock queues their completions (a context cannot run
two at once). Cancelling releases the lock at the next token, or while still
queued. The prompt is evaluated in one uninterruptible ``llama_decode`` pass before the first
token (``PROMPT_INTERRUPTIBLE`` is False, so a UI can say "stopping after the prompt is read").

llama.cpp keeps the KV cache of the last prompt and reuses its longest matching token prefix,
so prompts put their fixed head first (the system prompt; for a question's translation, its
task too); ``prime`` evaluates a head once at start-up and keeps its state
(``assistant.kv_prefix``), put back when another prompt has taken the cache in between.
A prompt with shorter variants and a deadline (``Prompt.shorter``, ``answer_by``) is read in two
passes: the head the variants share, timed, then the rest of the longest variant that speed
reads in time (``_in_time``).
At temperature 0 (no grammar) the answer is decoded with drafts looked up in the prompt's own
text (``assistant.lookup_decoding``), about a third faster on the passages' copied phrases.
"""

from __future__ import annotations

import atexit
import codecs
import statistics
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.generator import (
    QUEUE_POLL_SECONDS,
    READ_RATE_MARGIN,
    SEED,
    GenerationStats,
    Generator,
    Message,
    Prompt,
    TokenStream,
    UnavailableGenerator,
    fit_to_context,
)
from assistant.kv_prefix import PrefixStates
from assistant.lookup_decoding import common_prefix, greedy_tokens
from ground.errors import ModelError
from ground.settings import Settings

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@dataclass(frozen=True)
class LlamaConfig:
    path: str
    n_ctx: int
    n_threads: int
    n_batch: int = 512
    flash_attn: bool = True
    draft_tokens: int = 3  # lookup decoding at temperature 0; 0 decodes token by token

    @classmethod
    def from_settings(cls, settings: Settings, path: Path) -> LlamaConfig:
        return cls(str(path), settings.n_ctx, settings.resolved_threads(),
                   draft_tokens=settings.draft_tokens)


class _LoadedModel:
    """One llama.cpp model + context and its chat template renderer.

    Every loaded model is closed at interpreter exit (``close_loaded_models``), while llama_cpp's
    module is still whole: left to the garbage collector during shutdown, ``Llama.__del__`` finds
    its C functions already gone and the process can end in a segmentation fault.
    """

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
        self._rendering = threading.Lock()
        _LOADED_MODELS.add(self)

    def close(self) -> None:
        """Free the llama.cpp context and model (idempotent)."""
        self.llm.close()

    def render(self, messages: tuple[Message, ...], add_generation_prompt: bool = True) -> str:
        payload = [{"role": m.role, "content": m.content} for m in messages]
        with self._rendering:  # the formatter's flag is shared: one render at a time
            self.formatter.add_generation_prompt = add_generation_prompt
            return self.formatter(messages=payload).prompt

    def tokens(self, rendered: str) -> list[int]:
        with _TOKENIZING.hold():
            return self.llm.tokenize(rendered.encode("utf-8"), add_bos=self.add_bos, special=True)

    def count(self, text: str) -> int:
        with _TOKENIZING.hold():
            return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


class ModelUsers:
    """Callers reading the model outside the generation lock: tokenizing a prompt takes
    milliseconds and must not queue behind a running completion, but it reads the model, so
    exit waits for those in progress (``wait_idle``) and refuses new ones before freeing it."""

    def __init__(self, closing: threading.Event):
        self._closing = closing
        self._idle = threading.Condition()
        self._count = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._idle:
            if self._closing.is_set():
                raise ModelError("the model is closing: the app is stopping")
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


GENERATION_LOCK = threading.Lock()  # one completion at a time, across every session
EXIT_WAIT_SECONDS = 30.0  # exit waits this long for a prompt being read before closing anyway
TOKENIZE_WAIT_SECONDS = 5.0  # and this long for a prompt being tokenized (milliseconds)
_EXITING = threading.Event()  # set at exit: a running completion stops at its next token
_TOKENIZING = ModelUsers(_EXITING)  # tokenizers outside the lock, waited for at exit

_LOADED_MODELS: weakref.WeakSet[_LoadedModel] = weakref.WeakSet()
RATE_MIN_TOKENS = 100
"""A prompt read this long gives its reading speed (``Generator.read_rate``): below it, the
fixed cost of a pass and of the first token's sampling weighs in (136 tokens read at 71/s,
400-750 at 70-77/s on 2 cores, session 50)."""
RATE_SAMPLES = 5
"""Prompts whose median speed is ``read_rate``: one prompt read at 57 tokens/s among others at
64-76 (dev2, session 50), and a deadline counting on it cut the next prompt by a third."""


@atexit.register
def close_loaded_models() -> None:
    """Stop any completion still running (a daemon thread), then close every loaded model.

    The generation lock is kept once taken: nothing may decode on a closed model; nor may a
    prompt be tokenized on it (a reply's preparation counts its passages outside the lock).
    """
    if _EXITING.is_set():  # closed already (or closing on another thread)
        return
    _EXITING.set()
    if GENERATION_LOCK.acquire(timeout=EXIT_WAIT_SECONDS) and \
            _TOKENIZING.wait_idle(TOKENIZE_WAIT_SECONDS):
        for model in list(_LOADED_MODELS):
            model.close()


class LlamaGenerator(Generator):
    """The bundled (or the user's) GGUF; construct with ``open_generator`` to get fallbacks."""

    def __init__(self, config: LlamaConfig):
        self.config = config
        self.model = _LoadedModel(config)
        self.n_ctx = self.model.llm.n_ctx()
        self.heads = PrefixStates()  # primed prompt heads, restored after other prompts
        self.read_rates: deque[float] = deque(maxlen=RATE_SAMPLES)  # tokens/s, latest last

    @property
    def label(self) -> str:
        return self.config.path

    def count_tokens(self, text: str) -> int:
        return self.model.count(text)

    def count_prompt(self, messages: tuple[Message, ...]) -> int:
        return len(self.model.tokens(self.model.render(messages)))

    def prime(self, messages: tuple[Message, ...]) -> None:
        """Evaluate the fixed leading messages now and keep their state: the first prompt that
        starts with them reuses it, and so does any later one, whatever ran in between."""
        self._keep_head(lambda: self.model.tokens(
            self.model.render(messages, add_generation_prompt=False)))

    def prime_shared(self, prompts: tuple[tuple[Message, ...], ...]) -> None:
        """``prime`` for the tokens every one of ``prompts`` (two or more) starts with: a task
        that opens the user turn, before the text that varies (a question to translate)."""
        def head() -> list[int]:
            rendered = [self.model.tokens(self.model.render(messages)) for messages in prompts]
            return rendered[0][:min((common_prefix(rendered[0], other) for other in rendered[1:]),
                                    default=0)]  # one prompt alone: no head is known
        self._keep_head(head)

    def _keep_head(self, head: Callable[[], list[int]]) -> None:
        """Under the lock, tokenizing too: a warm-up thread may still run when the process
        exits, and the model must not be read once ``close_loaded_models`` has freed it."""
        with GENERATION_LOCK:
            if _EXITING.is_set():
                return
            tokens = head()
            llm = self.model.llm
            if len(tokens) < 2 or tokens in self.heads:
                return
            llm.n_tokens = min(common_prefix(llm._input_ids, tokens), len(tokens) - 1)
            unread, started = len(tokens) - llm.n_tokens, time.perf_counter()
            llm.eval(tokens[llm.n_tokens:])  # what an earlier head shares is not read again
            self._timed_reading(unread, time.perf_counter() - started)
            self.heads.save(llm, tokens)

    def _timed_reading(self, tokens: int, seconds: float) -> None:
        """Keep the reading speed of a prompt long enough to measure it (``read_rate``)."""
        if tokens >= RATE_MIN_TOKENS and seconds > 0:
            self.read_rates.append(tokens / seconds)

    @property
    def read_rate(self) -> float | None:  # type: ignore[override]
        """The median of the last ``RATE_SAMPLES`` prompts' reading speeds."""
        return statistics.median(self.read_rates) if self.read_rates else None

    def _in_time(self, tokens: list[int], shorter: list[list[int]], answer_by: float,
                 stats: GenerationStats) -> list[int]:
        """Read the head every variant of the prompt shares, timing it; go on with the longest
        variant whose rest, at that speed (``READ_RATE_MARGIN``), is read by ``answer_by``, or
        with the shortest. A head too short to time is judged at ``read_rate``."""
        llm = self.model.llm
        shared = min(common_prefix(tokens, variant) for variant in shorter)
        llm.n_tokens = min(common_prefix(llm._input_ids, tokens), shared)
        unread, started = shared - llm.n_tokens, time.perf_counter()
        if unread > 0:
            llm.eval(tokens[llm.n_tokens:shared])
        seconds = time.perf_counter() - started
        rate = unread / seconds if unread >= RATE_MIN_TOKENS and seconds > 0 else \
            self.read_rate
        stats.shared_rate = rate
        variants = [tokens, *shorter]
        if rate is not None:
            left = answer_by - time.perf_counter()
            stats.read_variant = next(
                (index for index, variant in enumerate(variants)
                 if len(variant) - shared <= left * rate * READ_RATE_MARGIN), len(shorter))
        stats.prompt_tokens = len(variants[stats.read_variant])
        return variants[stats.read_variant]

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> TokenStream:
        stats = GenerationStats(max_tokens=prompt.max_tokens)
        return TokenStream(self._run(prompt, cancel or threading.Event(), stats), stats)

    def _run(self, prompt: Prompt, cancel: threading.Event, stats: GenerationStats):
        tokens = self.model.tokens(self.model.render(prompt.messages))
        tokens, max_tokens = fit_to_context(tokens, prompt.max_tokens, self.n_ctx)
        shorter = [fit_to_context(self.model.tokens(self.model.render(messages)), max_tokens,
                                  self.n_ctx)[0] for messages in prompt.shorter
                   ] if prompt.answer_by is not None else []
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
            yield from self._decode(tokens, shorter, max_tokens, prompt, grammar, cancel, stats)
        finally:
            stats.finished_at = time.perf_counter()
            GENERATION_LOCK.release()

    def _decode(self, tokens, shorter, max_tokens, prompt, grammar, cancel, stats):
        import llama_cpp

        llm = self.model.llm
        stats.cached_tokens = self.heads.restore(llm, tokens)
        stats.phase = "prompt"
        reading = time.perf_counter()
        if shorter:
            tokens = self._in_time(tokens, shorter, prompt.answer_by, stats)
        llm.set_seed(SEED)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        if prompt.temperature == 0 and grammar is None and self.config.draft_tokens > 0:
            pieces = greedy_tokens(llm, tokens, self.config.draft_tokens, stats)
        else:
            pieces = llm.generate(tokens, temp=prompt.temperature, top_k=40, top_p=0.95,
                                  repeat_penalty=1.0, grammar=grammar)
        stats.finish_reason = "length"
        try:
            for token in pieces:
                if stats.first_token_at is None:
                    stats.first_token_at = time.perf_counter()
                    stats.phase = "generating"
                    self._timed_reading(len(tokens) - stats.cached_tokens,
                                        stats.first_token_at - reading)
                if cancel.is_set() or _EXITING.is_set():
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




def _grammar(json_schema: str | None):
    if json_schema is None:
        return None
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_json_schema(json_schema, verbose=False)


def open_backend(settings: Settings) -> Generator:
    """The configured GGUF, or an ``UnavailableGenerator`` saying why it cannot load."""
    from models.llm_file import resolve_llm_path

    try:
        return LlamaGenerator(LlamaConfig.from_settings(settings, resolve_llm_path(settings)))
    except ModelError as error:
        return UnavailableGenerator(str(error))
