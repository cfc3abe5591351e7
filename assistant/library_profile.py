"""What one library looks like, measured once per library state, for judging relative to it.

Coverage and the claim checker must work on any notes, so they do not compare against
constants fitted on one set of notes; they compare against this profile of the library in use:

- ``document_frequency``: in how many chunks each term (``query_terms``: Latin words, Han
  bigrams) occurs -- does a question's key term occur in the library at all, and how rare is it;
- ``heading_cosines``: the best dense cosine a question gets when the library does cover it,
  sampled with the library's own section headings as questions (the self-test);
- ``offtopic_cosines``: the best dense cosine of a fixed set of everyday questions (cooking,
  travel, sports, in Chinese and English) that no study library covers: where "unrelated" sits
  in this library's cosine band;
- ``background``: embeddings of sentences from sections spread over the library, to tell a
  claim that matches its cited passage from one that matches any text of these notes;
- ``headings``: embeddings of every section heading, to tell a name a section is about (in
  any wording or language) from one the notes never treat (``heading_lead``).

Computing it embeds ~100 short texts (about a second); it is cached in memory per library
object and on disk in the library home (JSON, keyed by the chunk fingerprint).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.budget import query_terms
from assistant.language import detect_language
from assistant.retrieval import Retriever
from ground.headings import strip_numbering
from ground.records import Chunk
from ground.sentences import split_sentences
from index.cross_language import language_shares
from index.hubness import OFFTOPIC_QUESTIONS

PROFILE_VERSION = 16  # 16: passage languages counted in prose (index.cross_language)
PROFILE_FILE = "assistant-profile.json"
HEADING_SAMPLES = 40
BACKGROUND_SENTENCES = 80
MIN_BACKGROUND = 12
MAX_HEADINGS = 2000  # headings kept for the name check (spread over a larger library)
HEADING_PERCENTILE = 90
MIN_HEADING_CHARS = 4
_HAN_TEXT = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
HAN_CHARS_PER_WORD = 1.7  # the mean length of a Chinese word in characters
_CAPITALIZED_RUN = re.compile(r"[A-Z][a-z]+(?:[\s\-]+[A-Z][a-z]+)+")
_WRITTEN_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,6}(?![A-Za-z])")


@dataclass(frozen=True)
class LibraryProfile:
    fingerprint: str
    chunk_count: int
    document_frequency: dict[str, int]
    heading_cosines: tuple[float, ...]
    offtopic_cosines: tuple[float, ...]
    background: np.ndarray  # (n, dim) unit vectors of sentences spread over the library
    han_share: float = 0.0  # share of the words that are Chinese (a word ~ 1.7 characters)
    latin_share: float = 0.0  # share of the words that are Latin-script
    acronyms: frozenset[str] = frozenset()  # initials of spelled-out names (Batch Normalization)
    background_languages: tuple[str, ...] = ()  # "zh" / "en" of each background sentence
    headings: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), np.float32))
    passage_languages: dict[str, float] = field(default_factory=dict)  # share of passages
    heading_texts: tuple[str, ...] = ()  # the section headings ``headings`` embeds, in order

    def heading_lead(self, name_vector: np.ndarray) -> float:
        """How much the closest section heading stands out for a name (query embedding):
        its cosine minus the 90th percentile of the name's cosines to all headings. A heading
        about the name -- in any wording or language -- stands out; for a name the notes never
        treat, the closest heading is just one more of many similar ones."""
        if len(self.headings) < MIN_BACKGROUND:
            return 0.0
        cosines = self.headings @ name_vector
        return float(cosines.max() - np.percentile(cosines, HEADING_PERCENTILE))

    def leading_heading(self, name_vector: np.ndarray) -> str:
        """The section heading closest to a name (query embedding), "" when none is known."""
        if not len(self.heading_texts) or len(self.heading_texts) != len(self.headings):
            return ""
        return self.heading_texts[int(np.argmax(self.headings @ name_vector))]

    def background_in(self, language: str) -> np.ndarray:
        """The background sentences written in ``language`` (all, if fewer than a dozen)."""
        rows = [i for i, lang in enumerate(self.background_languages) if lang == language]
        return self.background[rows] if len(rows) >= MIN_BACKGROUND else self.background

    def frequency(self, term: str) -> int:
        return self.document_frequency.get(term, 0)

    def idf(self, term: str) -> float:
        """Rare terms weigh most; a term the library never uses weighs most of all."""
        return math.log((self.chunk_count + 1) / (self.frequency(term) + 0.5))

    def as_json(self) -> dict:
        return {"version": PROFILE_VERSION, "fingerprint": self.fingerprint,
                "chunk_count": self.chunk_count, "document_frequency": self.document_frequency,
                "heading_cosines": list(self.heading_cosines),
                "offtopic_cosines": list(self.offtopic_cosines),
                "background": np.round(self.background, 5).tolist(),
                "han_share": self.han_share, "latin_share": self.latin_share,
                "acronyms": sorted(self.acronyms),
                "background_languages": list(self.background_languages),
                "headings": np.round(self.headings, 4).tolist(),
                "passage_languages": self.passage_languages,
                "heading_texts": list(self.heading_texts)}

    @classmethod
    def from_json(cls, data: dict) -> LibraryProfile:
        return cls(data["fingerprint"], int(data["chunk_count"]),
                   {str(k): int(v) for k, v in data["document_frequency"].items()},
                   tuple(float(x) for x in data["heading_cosines"]),
                   tuple(float(x) for x in data["offtopic_cosines"]),
                   np.asarray(data["background"], dtype=np.float32),
                   float(data["han_share"]), float(data["latin_share"]),
                   frozenset(data["acronyms"]), tuple(data["background_languages"]),
                   np.asarray(data["headings"], dtype=np.float32),
                   {str(k): float(v) for k, v in data["passage_languages"].items()},
                   tuple(str(h) for h in data.get("heading_texts", ())))


def clean_heading(heading: str) -> str:
    """A section heading as a student's question: numbering and Markdown marks removed.

    >>> clean_heading("题目 4：什么是梯度裁剪？"), clean_heading("2.5 实例理解")
    ('什么是梯度裁剪？', '实例理解')
    """
    return strip_numbering(heading.replace("*", ""))


def fingerprint_of(chunks: list[Chunk]) -> str:
    from index.index_state import chunk_fingerprint

    return chunk_fingerprint(chunks)


def spread(items: list, count: int) -> list:
    """``count`` items evenly spread over ``items`` (all when there are fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def document_frequency(chunks: list[Chunk]) -> dict[str, int]:
    counts: Counter = Counter()
    for chunk in chunks:
        counts.update(set(query_terms(chunk.embed_text)))
    return dict(counts)


def distinct_headings(chunks: list[Chunk], minimum: int = 2) -> list[str]:
    """Every section's own heading, cleaned, once (at most ``MAX_HEADINGS``, spread)."""
    seen: set[str] = set()
    headings = []
    for chunk in chunks:
        if not chunk.heading_path:
            continue
        heading = clean_heading(chunk.heading_path[-1])
        if len(heading) >= minimum and heading not in seen:
            seen.add(heading)
            headings.append(heading)
    return spread(headings, MAX_HEADINGS)


def sample_headings(chunks: list[Chunk]) -> list[str]:
    return spread(distinct_headings(chunks, MIN_HEADING_CHARS), HEADING_SAMPLES)


def background_sentences(chunks: list[Chunk]) -> list[str]:
    sentences = []
    for chunk in spread(chunks, BACKGROUND_SENTENCES):
        lines = [line.strip(" #*-") for line in chunk.text.split("\n")]
        candidates = [s.strip() for line in lines for s in split_sentences(line)
                      if len(s.strip()) >= 12]
        if candidates:
            sentences.append(max(candidates[:6], key=len))
    return sentences


def spelled_out(chunks: list[Chunk]) -> frozenset[str]:
    """Initials of every run of 2-5 capitalized words: what an abbreviation may stand for.

    A run inside a longer one whose initials the notes write is not a name of its own, unless
    the notes write its initials too: "Deep Convolutional Generative Adversarial Network
    (DCGAN)" spells out DCGAN and GAN, not CGAN (the conditional GAN, which dev5's notes never
    treat, looked spelled out: session 30).

    >>> text = "批量归一化（Batch Normalization）"
    >>> sorted(spelled_out([Chunk(1, 1, "a", "t", (), 1, 1, 0, 1, text, "h")]))
    ['BN']
    >>> text = "Deep Convolutional Generative Adversarial Network (DCGAN), a kind of GAN"
    >>> sorted(spelled_out([Chunk(1, 1, "a", "t", (), 1, 1, 0, 1, text, "h")]))
    ['DCGAN', 'GAN']
    """
    written = {word for chunk in chunks for word in _WRITTEN_ACRONYM.findall(chunk.text)}
    found: set[str] = set()
    for chunk in chunks:
        for run in _CAPITALIZED_RUN.finditer(chunk.text):
            words = re.findall(r"[A-Z][a-z]+", run.group(0))
            spans = {(start, end): "".join(w[0] for w in words[start:end])
                     for start in range(len(words))
                     for end in range(start + 2, min(start + 5, len(words)) + 1)}
            claimed = [span for span, initials in spans.items() if initials in written]
            found.update(initials for (start, end), initials in spans.items()
                         if initials in written or not any(
                             low <= start and end <= high and (start, end) != (low, high)
                             for low, high in claimed))
    return frozenset(found)


def best_cosine(retriever: Retriever, question: str) -> float:
    hits = retriever.search(question, k=1, mode="dense")
    return float(hits[0].similarity) if hits and hits[0].similarity is not None else 0.0


def measure_profile(retriever: Retriever, chunks: list[Chunk], fingerprint: str) -> LibraryProfile:
    heading_cosines = tuple(best_cosine(retriever, h) for h in sample_headings(chunks))
    offtopic_cosines = tuple(best_cosine(retriever, q) for q in OFFTOPIC_QUESTIONS)
    sentences = background_sentences(chunks)
    background = (np.asarray(retriever.embedder.embed_passages(sentences), dtype=np.float32)
                  if sentences else np.zeros((0, 1), dtype=np.float32))
    han_words = sum(len(_HAN_TEXT.findall(c.text)) for c in chunks) / HAN_CHARS_PER_WORD
    latin_words = sum(len(_LATIN_WORD.findall(c.text)) for c in chunks)
    words = max(han_words + latin_words, 1)
    han, latin = han_words / words, latin_words / words
    headings = distinct_headings(chunks)
    heading_vectors = (np.asarray(retriever.embedder.embed_passages(headings), dtype=np.float32)
                       if headings else np.zeros((0, 1), dtype=np.float32))
    return LibraryProfile(fingerprint, len(chunks), document_frequency(chunks),
                          heading_cosines, offtopic_cosines, background, han, latin,
                          spelled_out(chunks), tuple(detect_language(s) for s in sentences),
                          heading_vectors, language_shares(c.text for c in chunks),
                          tuple(headings))


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def profile_of(retriever: Retriever) -> LibraryProfile:
    """The profile of ``retriever``'s current chunks: from memory, the home's cache file, or
    measured now (and saved)."""
    fingerprint = _current_fingerprint(retriever)
    with _CACHE_LOCK:
        cached = _CACHE.get(retriever)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        path = _cache_path(retriever)
        profile = _read(path, fingerprint) if path else None
        if profile is None:
            chunks = retriever.chunks()
            fingerprint = fingerprint or fingerprint_of(chunks)
            profile = measure_profile(retriever, chunks, fingerprint)
            if path:
                _write(path, profile)
        try:
            _CACHE[retriever] = profile
        except TypeError:  # not weak-referenceable: no memory cache
            pass
        return profile


def _current_fingerprint(retriever: Retriever) -> str:
    """The library's chunk fingerprint as its index state records it (no chunk scan), or one
    computed from the chunks for a retriever without index state."""
    indexes = getattr(retriever, "indexes", None)
    state = getattr(indexes(), "state", None) if callable(indexes) else None
    return getattr(state, "fingerprint", None) or fingerprint_of(retriever.chunks())


def _cache_path(retriever: Retriever) -> Path | None:
    settings = getattr(retriever, "settings", None)
    home = getattr(settings, "home", None)
    return Path(home) / PROFILE_FILE if home else None


def _read(path: Path, fingerprint: str) -> LibraryProfile | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != PROFILE_VERSION or data.get("fingerprint") != fingerprint:
            return None
        return LibraryProfile.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: measure again


def _write(path: Path, profile: LibraryProfile) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(profile.as_json(), ensure_ascii=False),
                             encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)  # a read-only home: keep it in memory only
