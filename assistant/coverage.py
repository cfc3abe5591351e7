"""Do the notes cover a question? Judged against the library in use, not fixed constants.

Two pieces of evidence, both relative to the library (``LibraryProfile``):

1. **Named terms.** The question's subject -- a technical name such as ``XGBoost``,
   ``逻辑回归`` or ``support vector machine`` (``subject_terms``) -- must be *treated* by the
   notes: it occurs in a section heading, at least twice in one passage, or as the subject of a
   definition. A name that never occurs (朴素贝叶斯 in deep-learning notes), or occurs only in
   passing (支持向量机 once in a list of loss functions), means the notes do not explain it,
   however close the question's embedding is to some neighbouring topic. An all-capitals
   abbreviation counts as present when the notes spell it out (``BN``: Batch Normalization).
   A name in a script the library hardly uses (a Chinese name over English notes) cannot be
   judged by its letters and is left to the cosine.
2. **Cosine against the library's own "unrelated" level.** The e5 cosines of any two texts sit
   in a narrow band whose height depends on the library and on the question's language, so the
   best cosine is compared with the best cosine that a fixed set of everyday questions (cooking,
   travel, flu; ``OFFTOPIC_QUESTIONS``, in the same language as the question) reaches in *this*
   library. A question no closer to the notes than "今天天气怎么样？" is not covered.

Covered = no untreated name and the best cosine above the library's off-topic level.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from assistant.language import detect_language, is_han
from assistant.library_profile import OFFTOPIC_QUESTIONS, LibraryProfile
from assistant.retrieval import Citation, Retriever
from assistant.subjects import subject_terms
from ingest.records import Hit

NEAREST_TOPICS = 3
NAME_SEARCH_HITS = 12  # passages searched (lexically) for a name
MIN_SCRIPT_SHARE = 0.1  # a library with less of a script than this cannot judge its names
SELF_TEST_CLOSENESS = 1.0  # a question as close as the headings themselves is covered
MIN_MENTIONS = 3  # a passage naming something this often is about it

_STEM = re.compile(r"(?:ing|ed|es|e|s)$")


@dataclass(frozen=True)
class Coverage:
    covered: bool
    score: float  # the best dense cosine
    threshold: float  # the library's off-topic level for the question's language
    nearest: tuple[Citation, ...] = ()  # the closest sections, for a "not covered" reply
    untreated: tuple[str, ...] = ()  # names the notes never explain
    reason: str = ""  # "covered", "untreated name", "unrelated"
    closeness: float = 0.0  # 0 = the library's off-topic level, 1 = its headings' self-test
    names: dict = field(default_factory=dict)  # subject name -> treated / passing / absent


def best_similarity(hits: list[Hit]) -> float | None:
    """The highest query-passage cosine among ``hits`` (None when no dense side saw them)."""
    known = [hit.similarity for hit in hits if hit.similarity is not None]
    return max(known) if known else None


def offtopic_level(profile: LibraryProfile, language: str) -> float:
    """The best cosine an everyday question in ``language`` reaches in this library."""
    same = [c for q, c in zip(OFFTOPIC_QUESTIONS, profile.offtopic_cosines, strict=False)
            if detect_language(q) == language]
    return max(same or profile.offtopic_cosines or (0.0,))


def _normal(text: str) -> str:
    return re.sub(r"[\s\-_–]+", "", text.lower())


def _stem(name: str) -> str:
    """``fine-tune`` -> ``finetun`` (matches ``fine-tuning``); short names stay whole."""
    normal = _normal(name)
    return _STEM.sub("", normal) if len(normal) > 5 and normal.isascii() else normal


def _initials(text: str) -> set[str]:
    """Initials of each run of capitalized or hyphenated words: "Batch Normalization" -> BN."""
    words = re.findall(r"[A-Za-z][A-Za-z]*", text)
    found = set()
    for start in range(len(words)):
        for end in range(start + 2, min(start + 6, len(words)) + 1):
            found.add("".join(w[0] for w in words[start:end]).upper())
    return found


def name_status(name: str, retriever: Retriever, profile: LibraryProfile | None = None) -> str:
    """``"treated"``, ``"passing"`` (mentioned, never explained) or ``"absent"``."""
    hits = retriever.search(name, k=NAME_SEARCH_HITS, mode="lexical")
    wanted = _stem(name)
    acronym = name.isupper() and name.isalpha() and 2 <= len(name) <= 6
    mentioned = False
    for hit in hits:
        chunk = hit.chunk
        heading, text = _normal(chunk.heading), _normal(chunk.text)
        if acronym and name not in chunk.text and name in _initials(chunk.heading + " " +
                                                                    chunk.text):
            if name in _initials(chunk.heading):
                return "treated"
            mentioned = True
            continue
        if wanted in heading or text.count(wanted) >= MIN_MENTIONS or _defines(chunk.text, name):
            return "treated"
        mentioned = mentioned or wanted in text
    if not mentioned and acronym and profile is not None and name in profile.acronyms:
        return "treated"  # spelled out somewhere (BN: Batch Normalization)
    return "passing" if mentioned else "absent"


def _defines(text: str, name: str) -> bool:
    """``name`` as the subject of a definition sentence (``X（…）是一种…`` / ``X is a …``)."""
    name = re.escape(name)
    sentence = name + r"\s*(?:[（(][^）)]{0,40}[）)])?\s*(?:是一种|是一类|是指|指的是|是|" \
        r"is an?\b|is the\b|refers to\b)"
    label = r"(?m)^\s*(?:[-*+]|\d+[.、])?\s*\**[^：:\n]{0,30}" + name + r"[^：:\n]{0,12}[：:]"
    return re.search(sentence, text, re.IGNORECASE) is not None or \
        re.search(label, text, re.IGNORECASE) is not None


def closeness(score: float, profile: LibraryProfile, language: str) -> float:
    """Where ``score`` sits between the library's off-topic level (0) and the cosine its own
    section headings reach as questions (1, the median of the self-test)."""
    floor = offtopic_level(profile, language)
    top = statistics.median(profile.heading_cosines) if profile.heading_cosines else floor + 0.1
    return (score - floor) / max(top - floor, 1e-6)


def assess_coverage(question: str, hits: list[Hit], retriever: Retriever | None = None,
                    profile: LibraryProfile | None = None) -> Coverage:
    """Covered when the best cosine is above the library's off-topic level for the question's
    language and every named subject is treated by the notes -- unless the cosine is as close
    as the library's own headings get (``SELF_TEST_CLOSENESS``): a name in the other language
    than the notes (层归一化 over notes that say "layer normalization") cannot be found by its
    letters (see the module docstring)."""
    language = detect_language(question)
    score = best_similarity(hits) or 0.0
    by_similarity = sorted(hits, key=lambda hit: -(hit.similarity or 0.0))
    nearest = tuple(Citation.of(i, hit) for i, hit in
                    enumerate(distinct_sections(by_similarity)[:NEAREST_TOPICS], start=1))
    if profile is None or retriever is None:
        return Coverage(bool(hits), score, 0.0, nearest, (), "covered" if hits else "unrelated")
    threshold = offtopic_level(profile, language)
    close = closeness(score, profile, language)
    if score <= threshold:
        return Coverage(False, score, threshold, nearest, (), "unrelated", close)
    status = {}
    for name in subject_terms(question):
        han = any(is_han(c) for c in name)
        share = profile.han_share if han else profile.latin_share
        if share >= MIN_SCRIPT_SHARE:
            status[name] = name_status(name, retriever, profile)
    absent = [n for n, s in status.items() if s == "absent"]
    if (absent or (status and "treated" not in status.values())) and \
            close < SELF_TEST_CLOSENESS:
        return Coverage(False, score, threshold, nearest, tuple(absent or status),
                        "untreated name", close, status)
    return Coverage(True, score, threshold, nearest, (), "covered", close, status)


def distinct_sections(hits: list[Hit]) -> list[Hit]:
    """Hits with repeated section titles removed (the same question appears in several files)."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        title = hit.chunk.heading_path[-1] if hit.chunk.heading_path else hit.chunk.title
        if title not in seen:
            seen.add(title)
            kept.append(hit)
    return kept
