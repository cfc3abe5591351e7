"""Fakes of the two model seams, for plumbing tests that must not load a model.

``HashEmbedder`` implements ``index.embedder.Embedder`` (``embed_batch``; the rest is the real
base class): hashed character n-grams, deterministic across runs and machines. Its cosines sit in
the e5 band the product's thresholds were calibrated on -- about 0.80 for unrelated texts,
rising towards 1.0 with shared n-grams -- so coverage and citation checks behave as they do with
the real model on clear-cut cases (a sentence copied from a passage is supported, a sentence
about cooking is not). It knows nothing about meaning: tests that depend on meaning use the real
model and are marked ``slow``.

``ScriptedGenerator`` implements ``assistant.generator.Generator``: tests ``enqueue`` the replies
(text, malformed JSON, a wrong quiz key, an answer without markers, a marker to the wrong
passage); ``stream`` yields each reply in small pieces with a ``GenerationStats`` like the real
one, honours ``cancel`` and ``max_tokens``, and records every prompt it was given. It does not
apply the JSON-schema grammar, so it can hand the product output the real grammar would forbid.

``fake_token_counter`` stands in for the e5 tokenizer (about one token per Chinese character),
and ``FakeModelsLibrary`` is the real ``Library`` (SQLite, FAISS, BM25) with the two fakes.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence

import numpy as np

from assistant.generator import READ_RATE_MARGIN, GenerationStats, Generator, Prompt, TokenStream
from index.embedder import Embedder, EmbedKind
from index.library import Library
from ingest.chunker import EMBEDDING_WINDOW
from ingest.token_count import DEFAULT_PASSAGE_PREFIX, TokenCounter

FAKE_DIM = 384  # the bundled e5-small's, so index code sees the shapes it sees in production
FLOOR = 0.80  # cosine of two texts sharing no n-gram (the e5 band starts about here)
_WORDS = re.compile(r"[a-z0-9]+")


def _features(text: str) -> dict[int, float]:
    """Bucket -> weight: character bigrams and trigrams of the Han text, and Latin words."""
    lowered = text.lower()
    han = "".join(c if "\u4e00" <= c <= "\u9fff" else " " for c in lowered)
    grams: list[str] = []
    for run in han.split():
        grams += [run[i : i + 2] for i in range(len(run) - 1)]
        grams += [run[i : i + 3] for i in range(len(run) - 2)]
        if len(run) == 1:
            grams.append(run)
    grams += _WORDS.findall(lowered)
    weights: dict[int, float] = {}
    for gram in grams:
        bucket = 1 + zlib.crc32(gram.encode("utf-8")) % (FAKE_DIM - 1)
        weights[bucket] = weights.get(bucket, 0.0) + 1.0
    return weights


class HashEmbedder(Embedder):
    """Deterministic unit vectors: a constant component (the floor) plus hashed n-grams.

    >>> embedder = HashEmbedder()
    >>> a, b, c = embedder.embed_passages(["梯度裁剪限制梯度大小。", "梯度裁剪可以限制梯度的大小。",
    ...                                    "红烧肉要先炒糖色。"])
    >>> round(float(a @ a), 3), float(a @ b) > 0.9, round(float(a @ c), 2)
    (1.0, True, 0.8)
    """

    def __init__(self, dim: int = FAKE_DIM) -> None:
        super().__init__("fake-hash-ngrams", dim)
        self.calls: list[tuple[str, int]] = []  # (kind, batch size), for tests

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        self.calls.append((kind, len(texts)))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = np.zeros(self.dim, dtype=np.float32)
            for bucket, weight in _features(text).items():
                grams[bucket] = weight
            norm = np.linalg.norm(grams)
            if norm > 0:
                grams *= np.sqrt(1.0 - FLOOR) / norm
                vectors[row, 0] = np.sqrt(FLOOR)
            else:
                vectors[row, 0] = 1.0
            vectors[row] += grams
        return vectors


def fake_token_counter(window: int = EMBEDDING_WINDOW) -> TokenCounter:
    """About one token per Chinese character and per four Latin letters, plus the specials."""
    return TokenCounter("fake-tokenizer", DEFAULT_PASSAGE_PREFIX, window, estimate_tokens)


def estimate_tokens(text: str) -> int:
    """A plausible token count (the e5 tokenizer's order of magnitude), without a tokenizer.

    >>> estimate_tokens("梯度裁剪"), estimate_tokens("gradient clipping")
    (6, 7)
    """
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return 2 + han + (len(text) - han + 3) // 4


class FakeModelsLibrary(Library):
    """The real library (SQLite, FAISS, BM25, manifests) with the fake embedder and tokenizer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._embedder = HashEmbedder()
        self._token_counter = fake_token_counter()


Reply = str | Sequence[str]


def _asks_for_a_name(prompt: Prompt) -> bool:
    from assistant.described_names import TASK

    return any(m.role == "user" and m.content.startswith(TASK) for m in prompt.messages)


class ScriptedGenerator(Generator):
    """Streams the replies tests ``enqueue``, in order; records the prompts it received.

    >>> from assistant.generator import Message
    >>> generator = ScriptedGenerator()
    >>> generator.enqueue("梯度裁剪限制梯度[1]。", ["It ", "clips", "."])
    >>> prompt = Prompt((Message("user", "什么是梯度裁剪？"),), max_tokens=64)
    >>> generator.complete(prompt), list(generator.stream(prompt))
    ('梯度裁剪限制梯度[1]。', ['It ', 'clips', '.'])
    >>> len(generator.prompts), generator.pending
    (2, 0)
    """

    PIECE_CHARS = 3  # a reply given as one string streams in pieces about a token long

    def __init__(self, n_ctx: int = 4096, piece_delay: float = 0.0) -> None:
        self.n_ctx = n_ctx
        self.piece_delay = piece_delay  # seconds between pieces, for cancel tests
        self.prompts: list[Prompt] = []
        self.streams: list[TokenStream] = []
        self._replies: deque[list[str]] = deque()
        self._names: deque[str] = deque()
        self.name_prompts: list[Prompt] = []
        self._lock = threading.Lock()

    def enqueue(self, *replies: Reply) -> None:
        """Each reply is a string (cut into pieces) or a sequence of the pieces to stream."""
        for reply in replies:
            if isinstance(reply, str):
                pieces = [
                    reply[i : i + self.PIECE_CHARS] for i in range(0, len(reply), self.PIECE_CHARS)
                ]
            else:
                pieces = list(reply)
            self._replies.append(pieces)

    def enqueue_json(self, *objects: object) -> None:
        """Replies that are JSON documents (what the grammar makes the real model write)."""
        self.enqueue(*(json.dumps(o, ensure_ascii=False) for o in objects))

    @property
    def pending(self) -> int:
        return len(self._replies)

    def enqueue_name(self, *replies: str) -> None:
        """Replies to the question-naming prompt (``described_names``), which otherwise gets
        "NONE": the tests that script an answer need not script that call too."""
        self._names.extend(replies)

    def stream(self, prompt: Prompt, cancel: threading.Event | None = None) -> TokenStream:
        if _asks_for_a_name(prompt):
            with self._lock:
                self.name_prompts.append(prompt)
                reply = self._names.popleft() if self._names else "NONE"
            return TokenStream(iter([reply]), GenerationStats(max_tokens=prompt.max_tokens))
        with self._lock:
            self.prompts.append(prompt)
            if not self._replies:
                raise AssertionError(
                    f"ScriptedGenerator: no reply enqueued for prompt #{len(self.prompts)}"
                )
            pieces = self._replies.popleft()
        stats = GenerationStats(max_tokens=prompt.max_tokens)
        stats.prompt_tokens = self.count_prompt(prompt.messages)
        if prompt.shorter and prompt.answer_by is not None and self.read_rate:
            self._in_time(prompt, stats)
        stream = TokenStream(self._run(pieces, prompt, cancel or threading.Event(), stats), stats)
        self.streams.append(stream)
        return stream

    def _in_time(self, prompt: Prompt, stats: GenerationStats) -> None:
        """``LlamaGenerator``'s choice at ``read_rate``, as if measured, every token counted as
        unread: the longest variant read by ``answer_by``, or the shortest."""
        left = (prompt.answer_by - time.perf_counter()) * self.read_rate * READ_RATE_MARGIN
        variants = [prompt.messages, *prompt.shorter]
        stats.read_variant = next((i for i, messages in enumerate(variants)
                                   if self.count_prompt(messages) <= left), len(variants) - 1)
        stats.prompt_tokens = self.count_prompt(variants[stats.read_variant])

    def _run(
        self, pieces: list[str], prompt: Prompt, cancel: threading.Event, stats: GenerationStats
    ) -> Iterator[str]:
        stats.started_at = time.perf_counter()
        stats.phase = "prompt"
        stats.finish_reason = "stop"
        try:
            for piece in pieces:
                if cancel.is_set():
                    stats.finish_reason = "cancelled"
                    return
                if stats.completion_tokens >= prompt.max_tokens:
                    stats.finish_reason = "length"
                    return
                if stats.first_token_at is None:
                    stats.first_token_at = time.perf_counter()
                    stats.phase = "generating"
                stats.completion_tokens += self.count_tokens(piece)
                yield piece
                if self.piece_delay:
                    time.sleep(self.piece_delay)
        finally:
            stats.finished_at = time.perf_counter()
            stats.phase = "cancelled" if stats.finish_reason == "cancelled" else "done"

    def count_tokens(self, text: str) -> int:
        return max(1, estimate_tokens(text) - 2) if text else 0
