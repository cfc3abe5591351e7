"""Paragraph vectors saved at ingest, so the quote weighs a long section's paragraphs without
embedding them while the student waits.

The quote (``assistant.extractive``) picks the paragraph of a passage closest to the question
(e5 cosine). Embedding a long English section's paragraphs at question time was most of the
quote's time: dev3:c6 ("why is L2 regularization called weight decay?") weighed six paragraphs
of 98-175 tokens in one 0.17 s batch, and its quote took 0.31-0.33 s on an idle 2-core AMD
EPYC, over the 0.3 s the quote has. After an ingest, ``save_paragraph_vectors`` embeds every
paragraph a quote can weigh (``paragraph_texts``: as ``_best_paragraph`` joins and reads them)
into the library's embedding cache, under the embedder's id with ``NAMESPACE`` appended so that
the passages' own rows never mix with them. At question time ``StoredParagraphs`` takes a
paragraph's vector from there and embeds only what is missing (the question, a quote joined
with the next paragraph, a library ingested before this existed).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from assistant.extractive import _paragraph_blocks, _says_something
from ground.errors import StudyError
from ground.links import readable
from index.embedder import Embedder, EmbedKind, EmbedProgress
from index.embedding_cache import COMMIT_BATCH, EmbeddingCache, content_hash

NAMESPACE = "#paragraphs"


def paragraph_texts(text: str) -> list[str]:
    """The paragraphs of a passage's ``text`` that a quote weighs, as the embedder reads them;
    none for a passage of one such paragraph (its quote weighs nothing).

    >>> paragraph_texts("# Dropout\\n\\nDrop units at random.\\n\\nScale by 1/p at test time.")
    ['Drop units at random.', 'Scale by 1/p at test time.']
    >>> paragraph_texts("Only one paragraph.")
    []
    """
    lines = text.split("\n")
    blocks = [block for block in _paragraph_blocks(lines) if _says_something(lines, block)]
    if len(blocks) < 2:
        return []
    return [readable("\n".join(lines[i] for i in block)) for block in blocks]


def _cache(library) -> EmbeddingCache:
    embedder = library.embedder
    return EmbeddingCache.open(library.settings.home, embedder.model_id + NAMESPACE, embedder.dim)


def save_paragraph_vectors(library, progress: EmbedProgress | None = None) -> int:
    """Embed the paragraphs of every passage of ``library`` not saved yet and drop those of
    passages gone; returns how many were embedded. Each passage's paragraphs go through the
    embedder in one call, batched as a quote batches them: the int8 model quantizes each batch
    by its own range, so a vector depends a little on its batch-mates, and only the same batch
    gives the vector the quote would have computed (embedded across the library in
    length-sorted batches instead, 7 of the 240 annotated dev2-dev6 quotes moved). Safe to
    interrupt: what was committed stays, the rest is embedded next time."""
    embedder = library.embedder
    passages = [(texts, [content_hash(text) for text in texts])
                for texts in (paragraph_texts(c.text) for c in library.chunks()) if texts]
    keep = list(dict.fromkeys(key for _, hashes in passages for key in hashes))
    with _cache(library) as cache:
        saved = set(cache.get(keep))
        missing = [(texts, hashes) for texts, hashes in passages if not saved.issuperset(hashes)]
        total, done = sum(len(texts) for texts, _ in missing), 0
        keys: list[str] = []
        rows: list[np.ndarray] = []
        for texts, hashes in missing:
            keys += hashes
            rows.append(embedder.embed_passages(texts))
            done += len(texts)
            if len(keys) >= COMMIT_BATCH or done == total:
                cache.put(keys, np.concatenate(rows))
                keys, rows = [], []
            if progress:
                progress(done, total)
        cache.retain(keep)
    return total


class StoredParagraphs(Embedder):
    """``library``'s embedder, its passage vectors taken from the saved paragraphs where they
    are (``save_paragraph_vectors``); everything else is embedded as before."""

    def __init__(self, library) -> None:
        self.inner = library.embedder
        super().__init__(self.inner.model_id, self.inner.dim)
        self._library = library

    def embed_batch(self, texts: Sequence[str], kind: EmbedKind) -> np.ndarray:
        return self.inner.embed_batch(texts, kind)

    def token_counts(self, texts: Sequence[str], kind: EmbedKind) -> list[int]:
        return self.inner.token_counts(texts, kind)

    def embed_passages(self, texts: Sequence[str],
                       progress: EmbedProgress | None = None) -> np.ndarray:
        if not texts:
            return self.inner.embed_passages(texts)
        hashes = [content_hash(text) for text in texts]
        saved = self._saved(hashes)
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        missing = [i for i, key in enumerate(hashes) if key not in saved]
        if missing:
            vectors[missing] = self.inner.embed_passages([texts[i] for i in missing])
        for index, key in enumerate(hashes):
            if key in saved:
                vectors[index] = saved[key]
        return vectors

    def _saved(self, hashes: list[str]) -> dict[str, np.ndarray]:
        try:
            with _cache(self._library) as cache:
                return cache.get(hashes)
        except (StudyError, sqlite3.Error, OSError):  # no cache: embed as before
            return {}


def quoting_embedder(retriever) -> Embedder | None:
    """The embedder a quote weighs paragraphs with: ``StoredParagraphs`` over a library,
    the retriever's own embedder otherwise (None without one)."""
    embedder = getattr(retriever, "embedder", None)
    if embedder is None or getattr(retriever, "settings", None) is None:
        return embedder
    return StoredParagraphs(retriever)
