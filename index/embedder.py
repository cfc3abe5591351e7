"""The embedder seam: texts in, L2-normalized float32 vectors out.

A backend implements one method, ``embed_batch(texts, kind)``; the base class builds the rest
on it (like llm's ``EmbeddingModel.embed_batch``). ``embed_passages`` is where ingest speed is
won or lost: it sorts passages by token count and cuts batches by a padded-token budget, so
short passages are never padded to the length of a long one and long ones never share a batch
with a hundred others (attention cost grows with the square of the padded length).

``kind`` picks the e5 prompt: ``"query"`` for what the user asks, ``"passage"`` for what is
stored. Mixing them up costs retrieval quality silently, so it is a required argument.

>>> embedder = create_embedder(Settings.load())  # doctest: +SKIP
>>> embedder.embed_passages(["梯度裁剪防止梯度爆炸。"]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ground.errors import ConfigError, ModelError
from ground.links import readable
from ground.settings import Settings
from models.embedding_files import MANIFEST_NAME

EmbedKind = Literal["query", "passage"]
EMBED_KINDS: tuple[EmbedKind, ...] = ("query", "passage")

EmbedProgress = Callable[[int, int], None]
"""Called with (passages_done, passages_total) after every batch."""


class Embedder(ABC):
    """Turns texts into unit-length float32 rows; subclasses implement ``embed_batch`` only."""

    #: padded tokens (rows x longest row) per batch in ``embed_passages``. Once batches are
    #: length-sorted, 2k-8k run within measurement noise of each other on 2 cores; bigger
    #: only costs memory (int8 activations are also quantized per batch).
    batch_token_budget: int = 4096
    #: cap on rows per batch, so a pile of one-line passages still reports progress.
    max_batch_size: int = 64

    def __init__(self, model_id: str, dim: int) -> None:
        self._model_id = model_id
        self._dim = dim

    @property
    def model_id(self) -> str:
        """Names model *and* numerics (e.g. ``...@sha/onnx-int8``): the embedding cache key."""
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        """Embed ``texts`` as one batch: float32, shape (len(texts), dim), rows of norm 1."""

    def token_counts(self, texts: Sequence[str], kind: EmbedKind) -> list[int]:
        """Tokens each text becomes (after prompt and truncation), for sorting and batching.

        The default, characters, is a poor proxy when Chinese (about a token per character) and
        English (about four characters per token) mix; backends with a tokenizer override it.
        """
        return [len(text) for text in texts]

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, shape (dim,)."""
        return self.embed_batch([text], "query")[0]

    def embed_passages(
        self, texts: Sequence[str], progress: EmbedProgress | None = None
    ) -> np.ndarray:
        """Embed many passages in length-sorted batches; rows come back in input order."""
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return vectors
        done = 0
        for batch in length_sorted_batches(
            self.token_counts(texts, "passage"), self.batch_token_budget, self.max_batch_size
        ):
            vectors[batch] = self.embed_batch([texts[i] for i in batch], "passage")
            done += len(batch)
            if progress:
                progress(done, len(texts))
        return vectors


class ReadingEmbedder:
    """Another embedder's ``embed_query`` / ``embed_passages`` / ``embed_batch`` on each
    text as a reader sees it (``ground.links.readable``: a formula image is its TeX, a link
    its text), as the index embeds passages (``embed_text_of``). For the parts of a passage
    weighed at question time: dev7's paragraphs of formula images were weighed by their
    encoded addresses, 512 tokens cut short, and one quote took 0.38 s."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(readable(text))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages([readable(text) for text in texts])

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        return self.inner.embed_batch([readable(text) for text in texts], kind)


class RememberingEmbedder:
    """Another embedder's ``embed_query`` / ``embed_passages`` / ``embed_batch``, each distinct
    text embedded once: for a short job that weighs the same paragraphs more than once
    (``assistant.extractive`` picks a paragraph, then the paragraphs of a question's other
    parts). Keep one only as long as that job. Each call goes to the same method of the inner
    embedder (its own batching), for the texts it has not seen in that role."""

    def __init__(self, inner: Embedder | ReadingEmbedder) -> None:
        self.inner = inner
        self._known: dict[tuple[str, str], np.ndarray] = {}

    def _remembered(self, texts: Sequence[str], kind: str, embed) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self._known))
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                self._known[(kind, text)] = np.asarray(vector)
        return np.stack([self._known[(kind, t)] for t in texts]) if texts else \
            np.asarray(embed([]))

    def embed_query(self, text: str) -> np.ndarray:
        return self._remembered([text], "query",
                                lambda ts: [self.inner.embed_query(t) for t in ts])[0]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._remembered(texts, "passage", self.inner.embed_passages)

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        return self._remembered(texts, kind, lambda ts: self.inner.embed_batch(ts, kind))


MAX_PADDING_RATIO = 2  # a row is not padded to more than twice its own tokens


def length_sorted_batches(
    token_counts: Sequence[int], token_budget: int, max_batch_size: int
) -> list[list[int]]:
    """Indices grouped longest first, each group's rows x longest row within ``token_budget``.

    A text longer than the budget still gets a batch of its own, and a text under half the
    batch's longest starts a new one: padding it to the longest costs more than another run
    of the model. The few paragraphs a quote weighs at question time ([333, 86, 53] tokens,
    one batch of 999 padded tokens) took 0.19 s; split as [333], [86, 53] they take less.

    >>> length_sorted_batches([3, 10, 4, 9], token_budget=20, max_batch_size=8)
    [[1, 3], [2, 0]]
    >>> length_sorted_batches([53, 86, 333], token_budget=4096, max_batch_size=64)
    [[2], [1, 0]]
    """
    order = sorted(range(len(token_counts)), key=lambda i: -token_counts[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = token_counts[current[0]] if current else token_counts[index]
        if current and (
            (len(current) + 1) * longest > token_budget or len(current) >= max_batch_size
            or token_counts[index] * MAX_PADDING_RATIO < longest
        ):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length (an all-zero row stays zero rather than NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def model_identity(name: str) -> str:
    """Name plus weights checksum when known, so a different model never reuses a vector."""
    manifest = Path(name) / MANIFEST_NAME
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        weights = next(v["sha256"] for k, v in files.items() if k.endswith(".safetensors"))
        return f"{Path(name).name}@{weights[:12]}"
    except (OSError, ValueError, KeyError, StopIteration):
        return Path(name).name if Path(name).exists() else name


# The setting string -> "module:attribute" of a factory taking Settings; imported only when
# chosen, so the ONNX path never pays for importing torch.
BACKENDS = {
    "torch": "index.embed_torch:TorchEmbedder",
    "onnx-int8": "index.embed_onnx:OnnxEmbedder",
}


def resolve_backend(settings: Settings) -> str:
    """``auto`` means the int8 ONNX export for the bundled model once it is installed, else torch.

    User-supplied models have no export: they always run on torch. An export that exists but is
    damaged (truncated, stale) is an error naming the file and the fix, not a reason to switch:
    falling back to torch silently changed the model id, so the whole library was re-embedded
    (minutes) on the next search and the damage stayed hidden.
    """
    backend = settings.embedding_backend
    if backend != "auto":
        return backend
    if settings.embedding_model:
        return "torch"
    from models.onnx_export import onnx_dir, onnx_int8_problem

    problem = onnx_int8_problem(settings)
    if problem is None:
        return "onnx-int8"
    if onnx_dir(settings).exists():
        raise ModelError(f"{problem}; run 'study models install'")
    return "torch"


def create_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for (``embedding_backend``), loaded and ready."""
    backend = resolve_backend(settings)
    try:
        module_name, _, class_name = BACKENDS[backend].partition(":")
        factory = getattr(importlib.import_module(module_name), class_name)
    except (KeyError, ImportError) as error:
        raise ConfigError(
            f"unable to resolve embedding backend '{backend}' "
            f"(known: auto, {', '.join(BACKENDS)}): {error}"
        ) from error
    return factory.from_settings(settings)
