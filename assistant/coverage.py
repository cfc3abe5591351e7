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
from dataclasses import dataclass

from assistant.language import detect_language, is_han
from assistant.library_profile import OFFTOPIC_QUESTIONS, LibraryProfile
from assistant.retrieval import Citation, Retriever
from ingest.records import Hit

NEAREST_TOPICS = 3
NAME_SEARCH_HITS = 12  # passages searched (lexically) for a name
MIN_SCRIPT_SHARE = 0.1  # a library with less of a script than this cannot judge its names
MIN_MENTIONS = 3  # a passage naming something this often is about it

_HAN_FRAMES = (  # a clause that asks what X is, or how X and Y differ
    re.compile(r"^(?:请问|请)?(?:解释一下|解释|介绍一下|介绍|说说|讲讲)?(?:什么叫做?|什么是|何为|何谓)"
               r"(?P<x>[^，,；;]+?)(?:[（(].*)?$"),
    re.compile(r"^(?P<x>[^，,；;]+?)(?:[（(][^）)]*[）)])?(?:到底|究竟)?(?:是什么|是指什么|指的是什么|是啥|"
               r"的定义是什么)$"),
    re.compile(r"^(?P<x>[^，,；;和与跟]+?)(?:[（(][^）)]*[）)])?(?:和|与|跟)(?P<y>[^，,；;]+?)"
               r"(?:[（(][^）)]*[）)])?(?:之间)?(?:有什么|有何|的)?(?:区别|不同|差别|异同)$"),
)
_HAN_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z0-9\-–]{2,12}$")
_HAN_QUESTION_WORDS = ("什么", "怎么", "为什么", "如何", "哪", "吗", "呢", "多少", "是否", "一下")
_EN_FRAMES = (
    re.compile(r"\bwhat(?:'s| is| are)\s+(?:an?\s+|the\s+)?(.+?)(?:\s+(?:and|used|for|in|"
               r"mean|do|work)\b|[?,.;]|$)", re.IGNORECASE),
    re.compile(r"\bhow (?:does|do|is|are) (?:an?\s+|the\s+)?(.+?)\s+(?:work|works|help|"
               r"differ|compare)\b", re.IGNORECASE),
    re.compile(r"\bdifference between (?:an?\s+|the\s+)?(.+?) and (?:an?\s+|the\s+)?(.+?)"
               r"(?:[?,.;]|$)", re.IGNORECASE),
)
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*(?:\+\+)?"
                         r"(?:\s+[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*)*")
_EN_COMMON = frozenset(
    "a an the what how why when which who is are was were do does did can could should would "
    "will i you we it its this that these those of to in on for with by from and or vs versus "
    "between difference different use used using work works help make made get one some many "
    "more most better best new way ways me my our your their there here about into than then "
    "so if not no yes e g eg ie etc".split())
_STEM = re.compile(r"(?:ing|ed|es|e|s)$")


@dataclass(frozen=True)
class Coverage:
    covered: bool
    score: float  # the best dense cosine
    threshold: float  # the library's off-topic level for the question's language
    nearest: tuple[Citation, ...] = ()  # the closest sections, for a "not covered" reply
    untreated: tuple[str, ...] = ()  # names the notes never explain
    reason: str = ""  # "covered", "untreated name", "unrelated"


def best_similarity(hits: list[Hit]) -> float | None:
    """The highest query-passage cosine among ``hits`` (None when no dense side saw them)."""
    known = [hit.similarity for hit in hits if hit.similarity is not None]
    return max(known) if known else None


def offtopic_level(profile: LibraryProfile, language: str) -> float:
    """The best cosine an everyday question in ``language`` reaches in this library."""
    same = [c for q, c in zip(OFFTOPIC_QUESTIONS, profile.offtopic_cosines, strict=False)
            if detect_language(q) == language]
    return max(same or profile.offtopic_cosines or (0.0,))


def subject_terms(question: str) -> list[str]:
    """The names a question asks about: X (and Y) in "什么是X" / "X是什么" / "X和Y有什么区别"
    (split at 的), a Latin name that opens a Chinese question (unless it is an example:
    "PyTorch 这类框架"), X in "what is X" / "how does X work" / "difference between X and Y",
    and capitalized abbreviations. Free-form questions name nothing here.

    >>> subject_terms("逻辑回归的损失函数是什么？")
    ['逻辑回归', '损失函数']
    >>> subject_terms("随机森林和 GBDT 有什么区别？"), subject_terms("KNN 算法中的 K 值怎么选？")
    (['随机森林', 'GBDT'], ['KNN'])
    >>> subject_terms("What is the difference between bagging and boosting?")
    ['bagging', 'boosting']
    >>> subject_terms("怎么弄清楚模型为什么做出了这个判断"), subject_terms("什么是偏差-方差权衡？")
    ([], ['偏差-方差权衡'])
    >>> subject_terms("PyTorch 这类框架是怎么自动算梯度的")
    []
    """
    if detect_language(question) == "zh":
        names = han_subjects(question)
        lead = _LEADING_LATIN.match(question)
        if lead and not _EXAMPLE_AFTER.match(question[lead.end():]):
            names.insert(0, lead.group("name"))
        return list(dict.fromkeys(names))
    names = []
    for frame in _EN_FRAMES:
        for match in frame.finditer(question):
            names += [_strip_common(g) for g in match.groups() if g]
    names += re.findall(r"\b[A-Z][A-Z0-9]+\b", question)
    return list(dict.fromkeys(n for n in names if n and len(n.split()) <= 4))


def _strip_common(phrase: str) -> str:
    words = phrase.strip().split()
    while words and words[0].lower() in _EN_COMMON:
        words.pop(0)
    return "" if any(w.lower() in _EN_COMMON for w in words) else " ".join(words)


def han_subjects(question: str) -> list[str]:
    """X (and Y) of each clause framed as "什么是X" / "X是什么" / "X和Y有什么区别"."""
    spans: list[str] = []
    for clause in re.split(r"[？?。！!；;]", question):
        clause = re.sub(r"\s+", "", clause)
        for frame in _HAN_FRAMES:
            match = frame.match(clause)
            if not match:
                continue
            for group in match.groups():
                for piece in re.split(r"的|之", _ASIDE.sub("", group or "")):
                    if _HAN_NAME.match(piece) and \
                            not any(w in piece for w in _HAN_QUESTION_WORDS):
                        spans.append(piece)
            break
    return spans


_ASIDE = re.compile(r"[（(][^）)]*[）)]")
_LEADING_LATIN = re.compile(
    r"^\s*(?:请问|请)?(?:解释一下|解释|介绍一下|什么是)?\s*"
    r"(?P<name>[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*"
    r"(?:\s+[A-Za-z][A-Za-z0-9]*(?:[-+][A-Za-z0-9]+)*)*)")
_EXAMPLE_AFTER = re.compile(r"^\s*(?:这类|这些|这种|之类|等|、|,|，)")


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


def assess_coverage(question: str, hits: list[Hit], retriever: Retriever | None = None,
                    profile: LibraryProfile | None = None) -> Coverage:
    """Covered when every named subject is treated by the notes and the best cosine is above
    the library's off-topic level for the question's language (see the module docstring)."""
    language = detect_language(question)
    score = best_similarity(hits) or 0.0
    by_similarity = sorted(hits, key=lambda hit: -(hit.similarity or 0.0))
    nearest = tuple(Citation.of(i, hit) for i, hit in
                    enumerate(distinct_sections(by_similarity)[:NEAREST_TOPICS], start=1))
    if profile is None or retriever is None:
        return Coverage(bool(hits), score, 0.0, nearest, (), "covered" if hits else "unrelated")
    threshold = offtopic_level(profile, language)
    status = {}
    for name in subject_terms(question):
        han = any(is_han(c) for c in name)
        share = profile.han_share if han else profile.latin_share
        if share >= MIN_SCRIPT_SHARE:
            status[name] = name_status(name, retriever, profile)
    absent = [n for n, s in status.items() if s == "absent"]
    if absent or (status and "treated" not in status.values()):
        untreated = tuple(absent or status)
        return Coverage(False, score, threshold, nearest, untreated, "untreated name")
    if score <= threshold:
        return Coverage(False, score, threshold, nearest, (), "unrelated")
    return Coverage(True, score, threshold, nearest, (), "covered")


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
