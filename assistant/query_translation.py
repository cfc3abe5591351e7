"""A question translated into the notes' other language, so bilingual notes answer it.

The embedder barely matches a Chinese question to English notes or the reverse
(``index.cross_language``); the local LLM translating the question does. On dev2 (Chinese book +
English textbook), hybrid Hit@5 went 0.689 -> 0.892 with the translation searched too, Chinese
questions over English notes 0.15 -> 0.77 and English over Chinese 0.00 -> 0.78
(benchmarks/results/retrieval_dev2.md). A translation costs about a second on 2 cores (median
1.07 s, 74 + 74 questions, the model loaded): it is only asked for when the library holds
passages in another language than the question's (``languages_to_translate_into``), and the
reply is capped at a question's length.

The question is data in the prompt; the model is told to translate it, not to answer it. A
reply in the wrong language, empty, or an answer rather than a translation (far longer than
the question) is dropped: the search then runs on the original alone.

>>> translation_max_tokens("权重衰减为什么能减轻过拟合？")
44
>>> clean_translation("Why does weight decay help reduce overfitting?\\n\\nWeight decay is …", "en",
...                   "权重衰减为什么能减轻过拟合？")
'Why does weight decay help reduce overfitting?'
>>> clean_translation("权重衰减为什么能减轻过拟合？", "en", "权重衰减为什么能减轻过拟合？") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from assistant.coverage import (
    MIN_SCRIPT_SHARE,
    PASSING_CLOSENESS,
    SELF_TEST_CLOSENESS,
    Coverage,
    assess_coverage,
    is_token_name,
)
from assistant.described_names import judged_by_name
from assistant.generator import Generator, Message, Prompt
from assistant.language import detect_language, is_han
from assistant.library_profile import LibraryProfile
from assistant.prompts import SYSTEM
from assistant.retrieval import Retriever
from assistant.term_translation import treated_translation
from ground.records import Hit
from index.cross_language import languages_to_translate_into, merge_routed

TASK = {
    "en": ("Below is a question a student asked about their study notes. Translate it into "
           "English, keeping every technical term precise (the standard English term of the "
           "field). Do not answer it: reply with the translated question only."),
    "zh": ("下面是学生就自己的学习笔记提出的问题。把它翻译成简体中文，"
           "技术术语用该领域标准的中文译名。不要回答问题，只输出翻译后的问题。"),
}
"""The task goes in the user turn after the answers' own system prompt: llama.cpp keeps the
longest matching token prefix of the last prompt, so the answer that follows a translation
still finds its system prompt evaluated (a system prompt of its own cost the answer ~1.2 s)."""
EVERY_TERM_TASK = {
    "zh": ("下面是学生就自己的学习笔记提出的问题。把整个问题完整地翻译成简体中文：问题里提到的"
           "每个概念、每个术语都要译出来，不要省略或合并，技术术语用该领域标准的中文译名。"
           "不要回答问题，只输出翻译后的问题。"),
}
"""Asked again when the first translation is a summary (``is_summary``). Not the first task:
as the only task it moved as many held-out questions down as up (session 31)."""
SHORTEST_RATIO = {"zh": 0.75}
"""Chinese words-worth (Han characters and Latin words) per English word below which a
translation has dropped the question's terms: the 77 stored English -> Chinese translations
have a median of 1.5, and the two below 0.75 are "两者的区别是什么？" and "两个函数有什么区别？"
(for "… growing a tree level by level and growing it leaf by leaf?" and "… a loss function, a
cost function and an objective function?")."""
MAX_TRANSLATION_TOKENS = 64
_WORD = re.compile(r"[A-Za-z0-9]+")  # an English word, for ``is_summary``
LONGEST_RATIO = {"en": 8.0, "zh": 2.0}
"""A reply with more than this many times the question's characters is an answer, not a
translation (Chinese -> English takes 3-5 times the characters, English -> Chinese a third)."""
CANDIDATES = 40
"""Hits per query form before the routed merge (more than ``k``: a passage's best form may
rank it low in the other)."""


def translation_prompt(query: str, target: str, task: dict[str, str] = TASK) -> Prompt:
    return Prompt((SYSTEM, Message("user", f"{task[target]}\n\n{query}")),
                  max_tokens=translation_max_tokens(query))


def translation_max_tokens(query: str) -> int:
    """Room for a translation of ``query`` and no more (an answer would take the time)."""
    return min(MAX_TRANSLATION_TOKENS, 16 + 2 * len(query))


def clean_translation(reply: str, target: str, query: str) -> str | None:
    """The reply's first line if it is a translation into ``target``, else None."""
    first = next((line.strip() for line in reply.splitlines() if line.strip()), "")
    if not first or detect_language(first) != target:
        return None
    if len(first) > LONGEST_RATIO[target] * max(len(query), 8):
        return None
    return first


def is_summary(translation: str, query: str, target: str) -> bool:
    """A translation far shorter than its question: the terms were dropped, not translated.

    >>> query = "What is the difference between a loss, a cost and an objective function?"
    >>> is_summary("两个函数有什么区别？", query, "zh")
    True
    >>> is_summary("损失函数、代价函数和目标函数有什么区别？", query, "zh")
    False
    """
    words = len(_WORD.findall(query))
    worth = sum(map(is_han, translation)) + len(_WORD.findall(translation))
    return target in SHORTEST_RATIO and worth < SHORTEST_RATIO[target] * words


def translate_query(generator: Generator, query: str, target: str) -> str | None:
    """``query`` in ``target`` ("zh" or "en"), or None when the model gave no usable one. A
    summary (``is_summary``) is translated again, asked for every term (``EVERY_TERM_TASK``)."""
    reply = generator.complete(translation_prompt(query, target))
    text = clean_translation(reply, target, query)
    if text is not None and is_summary(text, query, target):
        again = generator.complete(translation_prompt(query, target, EVERY_TERM_TASK))
        fuller = clean_translation(again, target, query)
        if fuller is not None and not is_summary(fuller, query, target):
            return fuller
    return text


class Translated(NamedTuple):
    """The question translated into one of the library's languages, and what it found."""

    text: str
    hits: Sequence[Hit]


def search_across_languages(
    retriever: Retriever,
    generator: Generator,
    query: str,
    k: int,
    language_shares: dict[str, float],
    translations: dict[str, str] | None = None,
    searched: list[Hit] | None = None,
    made: dict[str, Translated] | None = None,
) -> list[Hit]:
    """The best ``k`` passages for ``query`` in every language the library holds.

    ``language_shares`` is ``index.cross_language.language_shares`` of the library's passages
    (compute it once per library state). ``translations`` (language -> text) skips the model,
    e.g. for a benchmark replaying stored ones. ``searched``: the caller's own hits for
    ``query``, returned as they are when no translation is needed (no second search).
    ``made`` receives each translation used, with what it found.
    """
    query_language = detect_language(query)
    targets = languages_to_translate_into(query_language, language_shares)
    if not targets and searched is not None:
        return searched
    original = retriever.search(query, k=max(k, CANDIDATES) if targets else k)
    if not targets:
        return original
    translated: dict[str, Sequence[Hit]] = {}
    for target in targets:
        text = (translations.get(target) if translations is not None
                else translate_query(generator, query, target))
        if text:
            translated[target] = retriever.search(text, k=max(k, CANDIDATES))
            if made is not None:
                made[target] = Translated(text, translated[target])
    return merge_routed(original, translated, query_language, k)


def coverage_in_translation(
    retriever: Retriever,
    generator: Generator,
    query: str,
    coverage: Coverage,
    profile: LibraryProfile,
) -> tuple[Coverage, dict[str, str]]:
    """A refusal for a phrase the notes may write in their other language, judged again on the
    question translated into it; returns the coverage to use and the translations made (the
    search across languages reuses them).

    "残差块为什么更容易学到恒等映射？" over a Chinese book that never says 残差块 and an English
    textbook that says "residual block" was refused; its translation is as close to the
    textbook as the library's own headings get. Only a refusal for a phrase (a ``XGBoost`` the
    notes never name is refused in every language) or for a question far from every passage in
    its own language, in a library with enough passages in another language, is re-judged: one
    translation (1-3 s) in the reply's preparation, after the closest passage's quote is out
    (``judged_again_in_translation``; the quote goes if the refusal stands). The translation must
    do better than pass (``_vouches``): name a subject the notes treat, or come as close as the
    headings for a refused name, at least halfway for a question refused as unrelated; on dev2 a
    bare pass let 8 of 27 uncovered questions through ("support vector machines" reaches 0.18).
    """
    if not judged_again_in_translation(generator, query, coverage, profile):
        return coverage, {}
    language = detect_language(query)
    made: dict[str, str] = {}
    for target in languages_to_translate_into(language, profile.passage_languages):
        text = translate_query(generator, query, target)
        if not text:
            continue
        made[target] = text
        again = assess_coverage(text, retriever.search(text, k=CANDIDATES), retriever, profile,
                                translated=True)
        if again.covered and _vouches(again, coverage):
            return again, made
        if named := names_in_translation(retriever, generator, coverage, target):
            return replace(coverage, covered=True, untreated=(), reason="covered",
                           names=coverage.names | named), made
    return coverage, made


def _vouches(again: Coverage, refused: Coverage) -> bool:
    """Whether the translation's coverage ``again`` overrules the refusal ``refused``: it names
    a subject the notes treat, or it comes close enough without naming what the notes lack.

    A refusal for a name asks as much of the translation as ``assess_coverage`` asks of a name
    it never finds: to be as close as the headings themselves (``SELF_TEST_CLOSENESS``), and
    not to name anything the notes never write either. Halfway (``PASSING_CLOSENESS``) let a
    translation that had dropped the name through ("the reparameterization trick" →
    重参数化技巧, no subject found, closeness 0.65), and so did one whose own name the notes
    lack as well (标签平滑 for "label smoothing", closeness 1.04); the names' own translations
    (``names_in_translation``) are asked next. A refusal for a question far from every passage
    names nothing: halfway is enough there.
    """
    if "treated" in again.names.values():
        return True
    if refused.reason != "untreated name":
        return again.closeness >= PASSING_CLOSENESS
    return again.closeness >= SELF_TEST_CLOSENESS and "absent" not in again.names.values()


def names_in_translation(retriever: Retriever, generator: Generator, coverage: Coverage,
                         target: str) -> dict[str, str]:
    """Each name ``coverage`` refused for, as treated, when the notes treat the translation of
    every one of them as a term (``term_translation``); empty otherwise. The whole
    question's translation words a name its own way ("gate control loop unit" for 门控循环单元),
    and the refusal stood (benchmarks/results/answers.md, session 30)."""
    if coverage.reason != "untreated name":
        return {}
    named = {}
    for name in coverage.untreated:
        form = treated_translation(generator, retriever, name, target)
        if form is None:
            return {}
        named[name] = "treated"
    return named


def judged_again_in_translation(generator: Generator, query: str, coverage: Coverage,
                                profile: LibraryProfile) -> bool:
    """Whether ``coverage_in_translation`` would translate ``query`` to judge it again: a
    refusal for a phrase or for a question far from every passage in its own language, no
    token name among the refused names, a model, and notes in another language."""
    if coverage.covered or coverage.reason not in ("untreated name", "unrelated") or \
            not generator.available:
        return False
    language = detect_language(query)
    return not any(is_token_name(name, language == "zh") for name in coverage.untreated) and \
        bool(languages_to_translate_into(language, profile.passage_languages))


def judged_in_translation_only(query: str, profile: LibraryProfile) -> bool:
    """Whether the notes are written too little in the question's script for its names to be
    looked for by their letters (a Chinese question over English notes, an English one over
    Chinese notes): ``assess_coverage`` then judges the question by its cosine alone."""
    chinese = detect_language(query) == "zh"
    return (profile.han_share if chinese else profile.latin_share) < MIN_SCRIPT_SHARE


def refusal_in_translation(
    retriever: Retriever,
    query: str,
    coverage: Coverage,
    translated: dict[str, Translated],
    profile: LibraryProfile,
) -> Coverage:
    """A question covered by its cosine alone (``judged_in_translation_only``), judged again on
    its translation (the one the search across languages makes anyway, with what it found) for
    the evidence that does not depend on wording: the translation is unrelated to the notes, or
    names a token name the notes never use. Phrases are not trusted here: a translation words a
    covered question its own way ("default values" for what the notes call the recommended
    settings).

    On the held-out dev3 (English notes), 3 of its 9 Chinese uncovered questions were answered
    and are now refused ("Q-learning" never named; focal loss and relative entropy unrelated),
    no covered question of any dev set is lost (benchmarks/results/answers.md, session 20).
    """
    if not coverage.covered or not judged_in_translation_only(query, profile):
        return coverage
    for target, (text, hits) in translated.items():
        again = assess_coverage(text, list(hits), retriever, profile, translated=True)
        if not again.covered and (again.reason == "unrelated" or any(
                is_token_name(name, target == "zh", translated=True) for name in again.untreated)):
            return again
    return coverage


def search_judged(
    retriever: Retriever,
    generator: Generator,
    query: str,
    k: int,
    coverage: Coverage,
    profile: LibraryProfile,
    searched: list[Hit],
) -> tuple[list[Hit], dict[str, str], Coverage]:
    """``search_across_languages`` and then ``refusal_in_translation`` on the translations it
    made, each searched once, and ``described_names.judged_by_name``: the hits, the translations
    (language -> text) and the coverage to use. What a reply's preparation does, and the
    refusal benchmark with it."""
    made: dict[str, Translated] = {}
    found = search_across_languages(retriever, generator, query, k, profile.passage_languages,
                                    searched=searched, made=made)
    judged = refusal_in_translation(retriever, query, coverage, made, profile)
    judged = judged_by_name(query, judged, generator, retriever, profile)
    return found, {language: t.text for language, t in made.items()}, judged
