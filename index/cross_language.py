"""Searching notes in two languages with a question in one: each query form ranks its own.

multilingual-e5-small scores a question well above *every* passage in its own language and
below the passage in the other language that answers it: on dev2 (Chinese Q&A book + English
textbook) a Chinese question over English notes put its gold passage at a median dense rank of
383 of 695, and the same in reverse (239). Centering per-language vectors, prefix tricks and
split-window embeddings did not move those ranks (benchmarks/results/retrieval_dev2.md).

What does: the question translated into the notes' other language
(``assistant.query_translation``) and searched too. Two result lists are then merged by
*routing*: a passage written in the question's language is scored by the original query, one
in the other language by the translation -- each by a query in its own language, so the scores
compare. A passage's routed score is its fused hybrid score plus ``COSINE_WEIGHT`` times its
cosine to that query (min-max fused scores put each list's best at ~1 whatever its quality;
same-language cosines are what tells a good English best from a poor one).

>>> passage_language("梯度裁剪把梯度的范数限制在阈值以内。")
'zh'
>>> passage_language("Weight decay adds an L2 penalty.")
'en'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ground.links import readable
from ground.records import Hit
from index.chunk_shape import prior_of

LANGUAGES = ("zh", "en")
COSINE_WEIGHT = 5.0
"""Chosen on both dev sets (benchmarks/results/retrieval_dev2.md): dev2 hybrid Hit@1 with
translation, merged by routed fused score alone 0.541, + 2 x cosine 0.622, + 5 x cosine 0.635;
the sample notes are unchanged by it (Chinese questions there are not translated)."""
MIN_LANGUAGE_SHARE = 0.1
"""A language under this share of a library's passages (a few code-only or English-titled
passages among Chinese notes) is not worth a translation."""

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_PROSE = re.compile(r"(?:```|~~~).*?(?:```|~~~)|`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]+\$|"
                        r"\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL)


def passage_language(text: str) -> str:
    """``"zh"`` when Han characters are at least as many as Latin words, else ``"en"``, counted
    in the passage's prose: not in its code, its formulas or a link's address (a Chinese
    section of dev7 with three formula images counted as English, so the English question's
    score ranked it, and its Chinese translation, which found it first, was not heard). A
    passage with no prose (code alone) is counted whole.

    >>> passage_language("误差率 ![$\\\\frac{1}{m}\\\\sum x$](http://latex.codecogs.com/x.gif) 小")
    'zh'
    """
    prose = _NOT_PROSE.sub(" ", readable(text))
    han, latin = len(_HAN.findall(prose)), len(_LATIN_WORD.findall(prose))
    if not han and not latin:
        han, latin = len(_HAN.findall(text)), len(_LATIN_WORD.findall(text))
    return "zh" if han >= latin else "en"


def language_shares(texts: Iterable[str]) -> dict[str, float]:
    """Share of passages in each language.

    >>> language_shares(["什么是梯度裁剪？", "What is dropout?", "批归一化"])
    {'zh': 0.6666666666666666, 'en': 0.3333333333333333}
    """
    counts = dict.fromkeys(LANGUAGES, 0)
    for text in texts:
        counts[passage_language(text)] += 1
    total = sum(counts.values())
    return {language: count / total for language, count in counts.items()} if total else {}


def languages_to_translate_into(query_language: str, shares: dict[str, float]) -> tuple[str, ...]:
    """The library's other languages with enough passages to be worth a translated search.

    >>> languages_to_translate_into("zh", {"zh": 0.5, "en": 0.5})
    ('en',)
    >>> languages_to_translate_into("zh", {"zh": 0.97, "en": 0.03})
    ()
    """
    return tuple(language for language in LANGUAGES
                 if language != query_language and shares.get(language, 0) >= MIN_LANGUAGE_SHARE)


def merge_routed(
    original: Sequence[Hit],
    translated: dict[str, Sequence[Hit]],
    query_language: str,
    k: int,
) -> list[Hit]:
    """The best ``k`` of both lists, each passage scored by the query form in its language.

    ``translated`` maps a language to the hits of the query translated into it. A passage the
    form in its language also found is scored by that form only: a Chinese passage the English
    translation ranks high keeps the Chinese question's score. One that form never found is
    scored by the form that did (its best, when several did): a Chinese interview note headed
    "Batch Normalization的作用" was the English question's first hit, and its translation
    "为什么批归一化…" (words the note never writes) left it out, so it was dropped (r53 dev4:c29;
    with the stored translations dev4 Hit@5 0.882 -> 0.912, the other five sets unchanged).
    The cosine term keeps the passage's shape prior (``index.chunk_shape``), as its fused score
    already does: a reference list does not climb back on its cosine. Hits keep their original
    fields; the order is new.
    """
    if not any(translated.values()):
        return list(original[:k])
    by_language = {language: {hit.chunk.id: hit for hit in hits}
                   for language, hits in translated.items() if hits}
    by_language[query_language] = {hit.chunk.id: hit for hit in original}
    seen: dict[int, list[Hit]] = {}
    for hits in (original, *translated.values()):
        for hit in hits:
            seen.setdefault(hit.chunk.id, []).append(hit)
    scored = []
    for chunk_id, hits in seen.items():
        language = passage_language(hits[0].chunk.text)
        own = by_language.get(language, by_language[query_language]).get(chunk_id)
        best = own if own is not None else max(hits, key=_routed_score)
        scored.append((_routed_score(best), best))
    scored.sort(key=lambda pair: -pair[0])
    return [hit for _, hit in scored[:k]]


def _routed_score(hit: Hit) -> float:
    prior = prior_of(hit.chunk.heading_path, hit.chunk.text)
    return hit.score + COSINE_WEIGHT * prior * (hit.similarity or 0.0)
