"""BM25 keyword search over chunk texts, for Chinese and English together (bm25s scores it).

Tokenization (:func:`tokenize`), measured against jieba on the sample notes (see
benchmarks/results/search.md):

- text is NFKC-normalized (full-width ``ＢＥＲＴ１２`` becomes ``BERT12``);
- a run of CJK characters becomes its overlapping character bigrams (a one-character run stays
  a unigram). Bigrams need no dictionary and no start-up cost, and match any substring a user
  remembers; jieba segments a query span differently from the same span inside a sentence;
- any other run of letters, digits and ``_`` is lowercased and kept whole (``resnet50``,
  ``x86_64``, ``c++``, ``c#``); an identifier also yields its parts (``batch_norm`` and
  ``BatchNorm`` give ``batch`` and ``norm``) so prose queries find code;
- a short list of English function words is dropped;
- a size written as a product is one token however it is typed: ``3x3``, ``3×3``,
  ``$3\\times 3$`` and ``3 * 3`` all give ``3x3`` (Markdown notes write kernel sizes in LaTeX,
  students type them with an x).

>>> tokenize("什么是BatchNorm？")
['什么', '么是', 'batchnorm', 'batch', 'norm']

bm25s has no incremental update, so the index is rebuilt from (id, text) pairs after the
library changes; rebuilding 1e5 chunks takes seconds (measured in the benchmark).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import warnings
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import bm25s
import numpy as np

from ground.errors import LibraryStateError
from index.manifest import (
    REINDEX_HINT,
    IndexManifest,
    check_manifest,
    read_manifest,
    verify_files,
    write_data_file,
    write_manifest,
)
from index.scored import ScoredId

WHAT = "keyword index"
TOKENIZER_VERSION = "cjk-bigram+latin-v2"
K1, B, METHOD = 1.5, 0.75, "lucene"
#: Stands in the manifest where a vector index names its embedding model: change the tokenizer
#: or the BM25 parameters and old indexes are reported as needing ``study reindex``.
MODEL_ID = f"bm25s-{METHOD}-k1={K1}-b={B}/{TOKENIZER_VERSION}"
IDS_FILE = "chunk_ids.npy"
BM25S_FILES = (
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
    "vocab.index.json",
    "params.index.json",
)

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W{_CJK}]+(?:\+\+|#)?)")
_SIZE = re.compile(r"(\d+)\s*(?:[x×*]|\\times|\\cdot)\s*(\d+)(?![\d.])")
_IDENTIFIER_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")
STOPWORDS_EN = frozenset(
    "a an and are as at be been but by for from has have in into is it its of on or that the "
    "their then there these this to was were which will with".split()
)


def tokenize(text: str) -> list[str]:
    """Lowercased words, identifier parts and CJK bigrams of ``text``.

    >>> tokenize("深度学习")
    ['深度', '度学', '学习']
    >>> tokenize("The x86_64 build of C++ and ResNet50")
    ['x86_64', 'x86', '64', 'build', 'c++', 'resnet50', 'res', 'net50']
    >>> tokenize(r"$1\\times1$卷积") == tokenize("1x1卷积") == tokenize("1 × 1卷积")
    True
    """
    tokens: list[str] = []
    normalized = _SIZE.sub(r"\1x\2", unicodedata.normalize("NFKC", text))
    for cjk, word in _TOKEN.findall(normalized):
        if cjk:
            if len(cjk) == 1:
                tokens.append(cjk)
            else:
                tokens.extend(map(str.__add__, cjk[:-1], cjk[1:]))
            continue
        lowered = word.lower()
        if lowered in STOPWORDS_EN:
            continue
        tokens.append(lowered)
        parts = [p for piece in word.split("_") for p in _IDENTIFIER_PART.findall(piece)]
        if len(parts) > 1:
            tokens.extend(p.lower() for p in parts if len(p) > 1 and p.lower() != lowered)
    return tokens


class _TokenIdCorpus:
    """Every chunk's token ids in one flat int32 array: what bm25s's ``index`` iterates.

    bm25s accepts an object with ``ids`` (a sized iterable of token-id lists) and ``vocab``.
    Holding 1e6 chunks as Python lists of str would take tens of GB; this holds 4 bytes a token.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self.vocab: dict[str, int] = {}
        flat = array("i")
        offsets = array("q", [0])
        lookup = self.vocab.setdefault
        for text in texts:
            flat.extend([lookup(token, len(self.vocab)) for token in tokenize(text)])
            offsets.append(len(flat))
        self._flat = np.frombuffer(flat, dtype=np.int32) if flat else np.empty(0, np.int32)
        self._offsets = np.frombuffer(offsets, dtype=np.int64)
        self.ids = self

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __iter__(self) -> Iterator[list[int]]:
        flat, offsets = self._flat, self._offsets
        for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
            yield flat[start:end].tolist()


class LexicalIndex:
    """BM25 over chunk texts; ``search`` returns chunk ids with their BM25 scores."""

    def __init__(self, chunk_ids: np.ndarray, retriever: bm25s.BM25) -> None:
        self._chunk_ids = chunk_ids
        self._bm25 = retriever

    @classmethod
    def build(cls, chunk_ids: Sequence[int] | np.ndarray, texts: Iterable[str]) -> LexicalIndex:
        """Index ``texts`` (aligned with ``chunk_ids``); call again to apply any change."""
        chunk_ids = np.asarray(chunk_ids, dtype=np.int64).reshape(-1)
        corpus = _TokenIdCorpus(texts)
        if len(corpus) != len(chunk_ids):
            raise ValueError(f"{len(chunk_ids)} chunk ids but {len(corpus)} texts")
        if len(np.unique(chunk_ids)) != len(chunk_ids):
            raise ValueError("chunk ids must be unique")
        if not corpus.vocab:
            corpus.vocab[""] = 0  # bm25s needs a non-empty vocabulary
        retriever = bm25s.BM25(k1=K1, b=B, method=METHOD)
        with warnings.catch_warnings():  # an empty library averages an empty list
            warnings.simplefilter("ignore", RuntimeWarning)
            retriever.index(corpus, create_empty_token=False, show_progress=False)
        return cls(chunk_ids, retriever)

    def __len__(self) -> int:
        return len(self._chunk_ids)

    @property
    def chunk_ids(self) -> np.ndarray:
        """The indexed chunk ids (read-only), for consistency checks against the chunk store."""
        ids = self._chunk_ids.view()
        ids.flags.writeable = False
        return ids

    def search(self, query: str, k: int, only_ids: np.ndarray | None = None) -> list[ScoredId]:
        """Up to ``k`` chunks sharing a term with ``query``, best BM25 score first.

        ``only_ids`` restricts the search to those chunk ids (a document filter) before the
        top-k cut, so a narrow filter still gets ``k`` results.
        """
        vocab = self._bm25.vocab_dict
        token_ids = sorted({vocab[t] for t in tokenize(query) if t in vocab})
        if not token_ids or k <= 0 or not len(self):
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        if only_ids is not None:
            scores = np.where(np.isin(self._chunk_ids, only_ids), scores, 0)
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        best = candidates[np.lexsort((candidates, -scores[candidates]))]
        return [ScoredId(int(self._chunk_ids[i]), float(scores[i])) for i in best]

    def scores_of(self, query: str) -> dict[int, float]:
        """Every chunk's BM25 score for ``query`` (tests and diagnostics; O(chunks))."""
        vocab = self._bm25.vocab_dict
        token_ids = sorted({vocab[t] for t in tokenize(query) if t in vocab})
        if not token_ids:
            return {int(i): 0.0 for i in self._chunk_ids}
        scores = self._bm25.get_scores_from_ids(token_ids)
        return {int(i): float(s) for i, s in zip(self._chunk_ids, scores, strict=True)}

    def save(self, directory: Path, content_digest: str = "") -> IndexManifest:
        """Write bm25s's arrays and JSON (never pickle) and our id map, then the manifest
        (naming the chunk set, ``content_digest``, the index was built from)."""
        directory = Path(directory)
        staging = directory / f".staging.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            self._bm25.save(staging, allow_pickle=False, show_progress=False)
            files = [
                write_data_file(directory, name, lambda p, n=name: os.replace(staging / n, p))
                for name in BM25S_FILES
            ]
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        files.append(write_data_file(directory, IDS_FILE, self._write_ids))
        manifest = IndexManifest("bm25", MODEL_ID, 0, len(self), tuple(files),
                                 content_digest=content_digest)
        write_manifest(directory, manifest)
        return manifest

    def _write_ids(self, path: Path) -> None:
        with open(path, "wb") as stream:
            np.save(stream, self._chunk_ids, allow_pickle=False)

    @classmethod
    def open(cls, directory: Path, expected_count: int | None = None) -> LexicalIndex:
        """Load after checking tokenizer, files and chunk count (LibraryStateError if not)."""
        directory = Path(directory)
        manifest = read_manifest(directory, WHAT)
        check_manifest(manifest, directory, WHAT, MODEL_ID, 0, expected_count)
        verify_files(directory, manifest, WHAT, {*BM25S_FILES, IDS_FILE})
        try:
            retriever = bm25s.BM25.load(
                directory, load_corpus=False, allow_pickle=False, mmap=False
            )
            with open(directory / IDS_FILE, "rb") as stream:
                chunk_ids = np.load(stream, allow_pickle=False)
        except (ValueError, OSError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise LibraryStateError(
                f"{directory}: {WHAT} unreadable ({type(error).__name__}); {REINDEX_HINT}"
            ) from None
        if chunk_ids.dtype != np.int64 or len(chunk_ids) != retriever.scores["num_docs"]:
            raise LibraryStateError(f"{directory}: {WHAT} id map does not match; {REINDEX_HINT}")
        if len(chunk_ids) != manifest.count:
            raise LibraryStateError(
                f"{directory}: {WHAT} holds {len(chunk_ids)} chunks, its manifest says "
                f"{manifest.count}; {REINDEX_HINT}"
            )
        return cls(chunk_ids, retriever)
