"""Explain mode: the notes' own answer at once, then a model explanation, every sentence checked.

``start_explanation`` retrieves, judges coverage against the library in use and builds the
prompt, then returns at once: the UI shows ``explanation.extractive`` (the notes' own answer,
quoted with its line numbers) and ``explanation.passages`` (the sources) before the model has
read anything, streams ``explanation.stream()`` and ends with ``explanation.finish()``, the
checked ``Answer``. When the notes do not cover the question, or no model is available, the
same object streams a fixed reply instead: the nearest topics, or the best passages.

The model reads few passages, whole: the retriever's best section first (numbered [1]; the
chunks the index cut a section into are joined back into one passage, ``whole_sections``),
then the next section, and is told to answer from
[1] and use [2] only where [1] has no answer (``choose_passages`` says why two, and why the
retriever's order), and a third when its answer block is closer to the question than both
(``passage_extra``). The quote shown first comes from [1] (``quote_of``) and is ready before
the slower preparation (the search in the notes' other language, the third section, the
prompt: ``Explanation.prepare``, run when the passages are first read); the answer keeps the
quote of the section it cites most and, for a list question, the notes' items it left out
(``extractive_followup``). Passages are compacted
(no Markdown marks) and share ``PROMPT_BUDGET`` tokens; a passage longer than what is left
contributes its lines around the question's terms instead. Prompt reading runs at ~76 tokens/s
on 2 cores, so the first token costs about (prompt tokens - ~90 cached) / 76 s: two Q&A
sections are 400-1,000 prompt tokens, 5-12 s. The prompt comes with shorter variants
(``prompt_variants``): the model times its reading of the head they share and goes on with the
longest it can read before ``FIRST_TOKEN_SECONDS`` at that speed, whatever the preparation took
(a translated question) or the machine's speed does; never less than half the budget. Every
sentence of the
answer is then checked against the passages (``assistant.citations``); when none survives, the
answer is the notes' quoted lines, never nothing. A question asked in the notes' other
language gets the quote translated instead of explained (``assistant.quote_translation``):
across languages the checker cannot tell a passage's point from a borrowed one.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from assistant.budget import excerpt, query_terms, trim_to_tokens
from assistant.citations import (
    CheckedText,
    SentenceCheck,
    addresses_the_model,
    is_claim,
    with_marker,
)
from assistant.claim_translation import checked_in_both_languages
from assistant.coverage import Coverage, assess_coverage, best_similarity
from assistant.extractive import (
    ENDS_SENTENCE,
    TABLE_ROW,
    TABLE_RULE,
    ExtractiveAnswer,
    asks_for_code,
    extract_from_passage,
    is_list_item,
    plain,
    title_rank,
)
from assistant.extractive_followup import (
    complete_from_quote,
    copies_quote,
    quote_for_answer,
    quote_leaned_on,
    without_quote_copies,
)
from assistant.formula_lines import FilledStream
from assistant.generator import READ_RATE_MARGIN, GenerationStats, Generator, Prompt
from assistant.han_words import load_in_background as load_segmenter_in_background
from assistant.language import detect_language
from assistant.library_profile import LibraryProfile, profile_of
from assistant.loop_guard import ends_a_sentence, is_looping
from assistant.named_sections import named_first, titled_for
from assistant.paragraph_vectors import quoting_embedder
from assistant.passage_extra import closer_section, same_section
from assistant.passing_mentions import mentioned_names, passing_mentions
from assistant.prompts import (
    PASSAGE_FOOTER,
    SYSTEM,
    compact,
    explain_messages,
    explain_task,
    passage_header,
    section_title,
)
from assistant.query_translation import (
    coverage_in_translation,
    judged_again_in_translation,
    search_across_languages,
    search_judged,
)
from assistant.quote_translation import (
    checked_translation,
    needs_translation,
    translated_part,
    translation_layout,
    translation_max_tokens,
    translation_messages,
)
from assistant.retrieval import Citation, Embedder, Passage, Retriever
from assistant.session import HISTORY_TOKENS, Turn, history_messages
from assistant.task_echo import without_echo
from assistant.whole_sections import holding, quote_in_section, whole_sections
from ground.records import Hit
from ground.sentences import split_sentences

PROMPT_PASSAGES = 2  # sections the model reads, best first (see choose_passages)
CANDIDATES = 8  # retrieved hits: coverage reads them; the prompt takes the best sections
PROMPT_BUDGET = 600
"""Passage tokens in the prompt: the knee of the measured curve (benchmarks/results/answers.md,
"Prompt size against first token"): on dev2, 300 / 600 / 800 / 1,200 gave first token 7.1 /
11.0 / 12.9 / 14.4 s (median) and key-point recall 0.23 / 0.42 / 0.34 / 0.32; on the sample
notes 600 and above make the same prompts (two Q&A sections fit in 600)."""
MIN_PART_TOKENS = 80  # what is left below this is not worth a further passage
EXPLAIN_MAX_TOKENS = 320  # an explanation of 3-6 sentences; a cut one is trimmed
TRANSLATION_MAX_TOKENS = 480  # the quote translated (five list items in English: ~330)
OFFLINE_PASSAGE_TOKENS = 160  # per passage shown when no model can run
SAFETY_TOKENS = 8  # token counts of pieces and of the whole differ by a few at the joins
FIRST_TOKEN_SECONDS = 12.0
"""The explanation's first word by this long after the question (issue 13): the passages get
what the model can read in the time the preparation left (``prompt_variants``). Two Q&A sections
(~800 prompt tokens) read in ~11 s at 70-77 tokens/s; a question translated first (a model call
of 1-3 s) ran to 12.7-13.6 s on dev7 (3 of 26)."""
DEADLINE_SHARE = 0.5
"""The deadline takes at most this share of the passages' budget: at half of it (300 of 600
tokens) key-point recall fell from 0.42 to 0.23 on dev2 (``PROMPT_BUDGET``'s curve); a slower
machine keeps that half and answers later."""
DEADLINE_STEPS = 3
"""Shorter prompts made for the deadline (``prompt_variants``), their passages' budgets evenly
spaced down to ``DEADLINE_SHARE`` of the whole (600: 500, 400, 300 tokens): a step is ~1.5 s
of reading at 65 tokens/s."""


@dataclass(frozen=True)
class Answer:
    question: str
    language: str  # "zh" or "en", the question's
    text: str  # with [n] markers
    citations: tuple[Citation, ...]  # what the markers point at, in order
    covered: bool  # False: the notes do not cover the question
    generated: bool  # False: extractive (no model, not covered, or cancelled before a token)
    unsupported: tuple[str, ...] = ()  # sentences no passage supports
    nearest_topics: tuple[Citation, ...] = ()  # when not covered
    notice: str = ""  # e.g. why generation is unavailable
    removed_markers: int = 0
    attached_markers: int = 0
    extractive: ExtractiveAnswer | None = None  # the notes' own answer, shown first
    non_answers: tuple[str, ...] = ()  # sentences that only restated the question (taken out)
    repointed_markers: int = 0
    checks: tuple[SentenceCheck, ...] = ()  # one per sentence of the model's text
    untreated: tuple[str, ...] = ()  # names in the question the notes never explain
    translated: bool = False  # the text translates the quote (asked in the notes' other language)
    mentions: tuple[ExtractiveAnswer, ...] = ()  # a refusal's: where the notes name it in passing

    @property
    def only_quotes(self) -> bool:
        """The text is the quoted lines of ``extractive`` (no model sentence passed the
        check): a view showing the quote need not show it twice, only the notice."""
        return self.extractive is not None and self.text == quoted_answer(self.extractive)

    def as_json(self) -> dict:
        return {
            "question": self.question, "language": self.language,
            "extractive": self.extractive.as_json() if self.extractive else None,
            "answer": self.text,
            "covered": self.covered, "generated": self.generated, "notice": self.notice,
            "citations": [c.as_json() for c in self.citations],
            "unsupported": list(self.unsupported), "non_answers": list(self.non_answers),
            "nearest_topics": [c.as_json() for c in self.nearest_topics],
            "untreated": list(self.untreated),
            "removed_markers": self.removed_markers, "attached_markers": self.attached_markers,
            "repointed_markers": self.repointed_markers, "translated": self.translated,
            "mentions": [m.as_json() for m in self.mentions],
        }


MESSAGES = {
    "not_covered": {
        "zh": "你的笔记中没有涉及这个问题，我不做无依据的回答。最接近的主题：",
        "en": "Your notes do not cover this question, so I will not guess. Nearest topics:",
    },
    "unavailable": {
        "zh": "生成不可用（{reason}）。以下是笔记中最相关的段落：",
        "en": "Generation is unavailable ({reason}). The most relevant passages in your notes:",
    },
    "cancelled": {"zh": "（已停止）", "en": "(stopped)"},
    "nothing_checked": {  # said of the model's text only: the quote may well answer
        "zh": "模型写的解释没有显示：其中没有一句既能在所引段落中得到印证、又回答了问题。"
              "上面引用的几行是你笔记的原文（来源见下）。",
        "en": "The model's explanation is not shown: none of its sentences was both confirmed "
              "by the passage it cites and an answer to the question. The lines quoted above "
              "are your notes' own words (sources below).",
    },
    "repeated_rest_unchecked": {  # the model's kept lines copied the quote; the rest went
        "zh": "模型写的解释只重复了上面引用的笔记原文；其余的句子没能在所引段落中得到印证，"
              "没有显示。",
        "en": "The model's explanation only repeated the lines quoted above; its other "
              "sentences could not be confirmed by the passages they cite and are not shown.",
    },
    "translation_unchecked": {  # the quote answers; only its translation failed the check
        "zh": "引用段落的翻译没能逐句核对上原文，所以按笔记原文显示（来源见下）。",
        "en": "The translation of the quoted lines could not be checked line by line against "
              "them, so they are shown as your notes write them (sources below).",
    },
    "translated_part": {  # a long quote: only its first lines were read in time
        "zh": "译文只含引文的第 {lines} 行，其余请看上方的笔记原文。",
        "en": "The translation covers lines {lines} of the quote; the rest is in your notes' "
              "own words above.",
    },
    "untreated": {"zh": "笔记中没有讲解：", "en": "Not explained in your notes: "},
    "described": {  # a name the question never wrote: the model's (``described_names``)
        "zh": "你问的似乎是「{name}」（这是模型给它起的名字），笔记中没有提到它。",
        "en": "Your question seems to be about “{name}” (the model's name for it), which your "
              "notes never mention. ",
    },
    "mentioned": {"zh": "笔记只在下面几行顺带提到{names}，请看它们是否回答了你的问题。",
                  "en": "Your notes mention {names} only in passing, in the lines below: see "
                        "whether they answer your question."},
}


@dataclass
class Explanation:
    """One question in flight: sources now, text pieces while generating, then the Answer."""

    question: str
    language: str
    given: list[Passage]  # the passages (``passages`` prepares them first)
    coverage: Coverage
    generator: Generator
    planned: Prompt | None  # None: nothing to generate (not covered or no model)
    retriever: Retriever
    extractive: ExtractiveAnswer | None = None  # ready before any token
    profile: LibraryProfile | None = None
    preparation: Callable[[], Prepared] | None = None  # see prepare()
    translated_part: ExtractiveAnswer | None = None  # the quote's lines the prompt asks
    # translated (``quote_translation``): all of them, or the first ones read in time
    checking: bool = False  # refused in the question's words: the quote is the closest
    # passage's while prepare() judges the question again in translation, and goes if refused
    asked: dict[str, str] = field(default_factory=dict)  # the question in the notes' other
    # language, as the search translated it (language -> text)
    shorter_given: tuple[list[Passage], ...] = ()  # the passages of ``Prompt.shorter``'s
    # variants: ``given`` becomes the one the model read (``GenerationStats.read_variant``)
    _pieces: list[str] = field(default_factory=list)
    _tokens: Iterator[str] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _streamed: bool = False
    _answer: Answer | None = None
    _mentions: tuple[ExtractiveAnswer, ...] | None = None

    def prepare(self) -> None:
        """What may take a second, done after the quote is out: the search in the notes'
        other language (a model call), the third section, the prompt -- or a refusal, when
        the question's translation shows the notes do not cover it (``Prepared``): the quote
        then goes (``extractive`` is None) and the reply is the fixed "not covered" one."""
        if self.preparation is not None:
            preparation, self.preparation = self.preparation, None
            (self.given, self.planned, self.extractive, self.translated_part, self.coverage,
             self.asked, self.shorter_given) = preparation()
            self.checking = False

    @property
    def passages(self) -> list[Passage]:
        self.prepare()
        return self.given

    @property
    def translating(self) -> bool:
        """The prompt asks for the quote translated, not for an explanation."""
        self.prepare()
        return self.translated_part is not None

    @property
    def prompt(self) -> Prompt | None:
        self.prepare()
        return self.planned

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(p.citation for p in self.passages)

    @property
    def will_generate(self) -> bool:
        return self.planned is not None or self.preparation is not None

    @property
    def stats(self) -> GenerationStats | None:
        """Token counts and timings of the generation, once it has started."""
        return getattr(self._tokens, "stats", None)

    @property
    def phase(self) -> str:
        """``queued``, ``prompt`` (reading the prompt: cannot be stopped), ``generating``, ..."""
        if not self.will_generate:
            return "done"
        return self.stats.phase if self.stats is not None else "queued"

    def cancel(self) -> None:
        """Stop at the next token (from any thread); the stream then ends by itself."""
        self._cancel.set()

    def close(self) -> None:
        """Cancel and release the model now, for a consumer that stops iterating midway
        (a Streamlit rerun interrupts the script between two pieces)."""
        self._cancel.set()
        if self._tokens is not None:
            self._tokens.close()

    def stream(self) -> Iterator[str]:
        """Text pieces as they arrive; a fixed reply arrives as one piece."""
        if self._streamed:
            raise RuntimeError("an explanation streams once; use finish() for the answer")
        self._streamed = True
        if self.prompt is None:
            text = self._fixed_reply()
            self._pieces.append(text)
            yield text
            return
        self._tokens = self.generator.stream(self.prompt, self._cancel)
        layout = translation_layout(self.translated_part) if self.translating else None
        shown = FilledStream(layout) if layout is not None else None
        for piece in self._tokens:
            if not self._pieces:
                self._read_passages()
            self._pieces.append(piece)
            yield piece if shown is None else shown.feed(piece)
            if ends_a_sentence(piece) and is_looping("".join(self._pieces)):
                self._tokens.close()  # the rest would be the same sentence again
                break
        if shown is not None:
            yield shown.flush()

    def _read_passages(self) -> None:
        """The passages as the model read them (a shorter variant, read in time)."""
        variant = self.stats.read_variant if self.stats is not None else 0
        if variant:  # a passage left out keeps its number, with nothing read of it
            read = self.shorter_given[variant - 1]
            self.given = read + [Passage(p.number, p.hit, "") for p in self.given[len(read):]]

    def finish(self) -> Answer:
        """The checked answer (consumes the stream first if nobody did)."""
        if self._answer is None:
            if not self._streamed:
                for _ in self.stream():
                    pass
            self._answer = self._build_answer("".join(self._pieces))
        return self._answer

    @property
    def mentions(self) -> tuple[ExtractiveAnswer, ...]:
        """A refusal's lines naming what it refused for, where the notes mention it only in
        passing (``passing_mentions``); none for an answer."""
        if self._mentions is None:
            self.prepare()
            self._mentions = () if self.coverage.covered or self.retriever is None else \
                passing_mentions(self.coverage, self.retriever)
        return self._mentions

    def _fixed_reply(self) -> str:
        if not self.coverage.covered:
            separator = "；" if self.language == "zh" else "; "
            topics = separator.join(c.heading.split(" > ")[-1] for c in self.coverage.nearest)
            names = ""
            if self.coverage.reason == "described name":
                names = MESSAGES["described"][self.language].format(
                    name=separator.join(self.coverage.untreated))
            elif self.coverage.untreated:
                names = MESSAGES["untreated"][self.language] + \
                    separator.join(self.coverage.untreated) + ("。" if self.language == "zh"
                                                               else ". ")
            reply = names + MESSAGES["not_covered"][self.language] + " " + topics
            if self.mentions:
                reply += "\n\n" + MESSAGES["mentioned"][self.language].format(
                    names=separator.join(mentioned_names(self.coverage)))
            return reply
        reason = self.generator.reason or "no model"
        lines = [MESSAGES["unavailable"][self.language].format(reason=reason)]
        lines += [f"[{p.number}] {p.excerpt}" for p in self.passages]
        return "\n\n".join(lines)

    def _build_answer(self, text: str) -> Answer:
        base = dict(question=self.question, language=self.language,
                    covered=self.coverage.covered, nearest_topics=self.coverage.nearest,
                    untreated=self.coverage.untreated)
        if not self.coverage.covered:
            return Answer(text=text, citations=(), generated=False, mentions=self.mentions,
                          **base)
        base["extractive"] = self.extractive
        if self.prompt is None:
            return Answer(text=text, citations=self.citations, generated=False,
                          notice=f"generation is unavailable: {self.generator.reason}", **base)
        stats = self.stats
        cut = stats is not None and stats.finish_reason in ("length", "cancelled")
        if self.translating:
            return self._translation(text, cut, base)
        checked = self._checked(without_task_echo(text, self.language), cut)
        notice = MESSAGES["cancelled"][self.language] if self._cancel.is_set() else ""
        shown = checked.text
        terms = query_terms(self.question)
        quoted = quote_for_answer(shown, self.passages, self.extractive, terms, self.question)
        base["extractive"] = quoted
        if not _has_claim(shown) and not notice:
            if text.strip():  # unsupported, or no answer ("差为0"), or the question again
                notice = MESSAGES["nothing_checked"][self.language]
                quoted = quote_leaned_on(checked.checks, self.passages, quoted, terms,
                                         self.question, self.asked, self.profile)
                base["extractive"] = quoted
            if quoted is not None:  # never an empty answer: the notes' own lines
                shown = quoted_answer(quoted)
        elif not notice and copies_quote(shown, quoted):
            shown = quoted_answer(quoted)  # the same lines twice teach nothing: shown once
            if checked.unsupported:  # r74 dev7:c33: a removed sentence, and no word of it
                notice = MESSAGES["repeated_rest_unchecked"][self.language]
        elif not notice:
            completed = complete_from_quote(shown, quoted, self.language, self.question)
            shown = completed if completed != shown else \
                without_quote_copies(shown, quoted) or quoted_answer(quoted)
        return Answer(text=shown, citations=self.citations, generated=bool(text.strip()),
                      unsupported=checked.unsupported, notice=notice,
                      removed_markers=checked.removed, attached_markers=checked.attached,
                      non_answers=checked.non_answers, repointed_markers=checked.repointed,
                      checks=checked.checks, **base)

    def _checked(self, text: str, cut: bool) -> CheckedText:
        return checked_in_both_languages(text, self.passages, self.retriever.embedder,
                                         self.question, self.profile, self.generator,
                                         self.asked, cut, self._cancel)

    def _translation(self, text: str, cut: bool, base: dict) -> Answer:
        """The quote translated: its lines checked (``quote_translation``), each citing it;
        when none is left, the quote itself."""
        part = self.translated_part
        shown, dropped = checked_translation(text, part, self.language, cut)
        notice = MESSAGES["cancelled"][self.language] if self._cancel.is_set() else ""
        translated = _has_claim(shown) or bool(notice)
        if not translated:
            notice = MESSAGES["translation_unchecked"][self.language] if text.strip() else ""
            shown = quoted_answer(self.extractive)
        elif not notice and part is not self.extractive:
            notice = MESSAGES["translated_part"][self.language].format(
                lines=part.location().rsplit(":", 1)[-1])
        return Answer(text=shown, citations=self.citations, generated=bool(text.strip()),
                      unsupported=dropped, notice=notice, translated=translated, **base)


def start_explanation(
    retriever: Retriever,
    generator: Generator,
    question: str,
    history: list[Turn] | None = None,
    max_tokens: int = EXPLAIN_MAX_TOKENS,
    top_k: int = 5,
    search_mode: str | None = None,
    temperature: float = 0.0,
    prompt_passages: int = PROMPT_PASSAGES,
    passage_tokens: int | None = None,
    prompt_budget: int = PROMPT_BUDGET,
) -> Explanation:
    """Retrieve, judge coverage, quote the notes' answer and budget the prompt; generation
    starts when streamed. ``passage_tokens`` caps each passage (default: whole)."""
    asked_at = time.perf_counter()
    language = detect_language(question)
    query = search_query(question, history or [])
    hits, dense_hits = retrieve(retriever, query, max(top_k, prompt_passages, CANDIDATES),
                                search_mode)
    profile = profile_of(retriever)
    coverage = assess_coverage(query, dense_hits, retriever, profile)
    checking = judged_again_in_translation(generator, query, coverage, profile)
    if not coverage.covered and not checking:
        return Explanation(question, language, [], coverage, generator, None, retriever,
                           profile=profile)
    terms = query_terms(query)
    chosen = named_first(choose_passages(hits, prompt_passages), question)
    embedder = quoting_embedder(retriever)
    quoted = quote_of(question, terms, chosen, embedder)
    if not generator.available:
        passages = _offline_passages(chosen, terms, generator)
        return Explanation(question, language, passages, coverage, generator, None, retriever,
                           quoted, profile)

    def preparation() -> Prepared:
        load_segmenter_in_background()  # for the reply's check (han_words); after the quote
        found, known, judged = hits, {}, coverage
        if checking:  # refused for a phrase the notes may write in their other language
            judged, known = coverage_in_translation(retriever, generator, query, coverage,
                                                    profile)
            if known and judged.covered and search_mode in (None, "hybrid"):
                found = search_across_languages(retriever, generator, query, len(hits),
                                                profile.passage_languages, known)
        elif search_mode in (None, "hybrid"):
            found, known, judged = search_judged(retriever, generator, query, len(hits),
                                                 coverage, profile, hits)
            found = found or hits
        if not judged.covered:  # the quote out already was only the closest passage
            return Prepared([], None, None, None, judged, known, ())
        sections = named_first(choose_passages(found, prompt_passages), question)
        sections = whole_sections(sections + closer_section(found, sections, embedder, question,
                                                            terms))
        variants = prompt_variants(
            generator, sections, question, language, history or [],
            min(max_tokens, EXPLAIN_MAX_TOKENS), prompt_budget, passage_tokens, terms)
        passages, messages, tokens = variants[0]
        asked_as = known if query == question else {}  # a follow-up's search was two questions
        asked = asked_in_notes_language(question, asked_as, passages)
        quote = quote_among(quoted, passages, asked, query_terms(asked), embedder)
        if needs_translation(quote, language):
            part = in_time(quote, language, generator, asked_at)
            return Prepared(passages, Prompt(translation_messages(part, language),
                                             translation_max_tokens(part, generator.count_tokens,
                                                                    TRANSLATION_MAX_TOKENS),
                                             temperature), quote, part, judged, asked_as, ())
        prompt = Prompt(messages, tokens, temperature,
                        shorter=tuple(shorter for _, shorter, _ in variants[1:]),
                        answer_by=asked_at + FIRST_TOKEN_SECONDS if len(variants) > 1 else None)
        return Prepared(passages, prompt, quote, None, judged, asked_as,
                        tuple(shorter for shorter, _, _ in variants[1:]))

    preview = [Passage(i, hit, hit.chunk.text) for i, hit in enumerate(chosen, start=1)]
    return Explanation(question, language, preview, coverage, generator, None, retriever,
                       quoted, profile, preparation, checking=checking)


class Prepared(NamedTuple):
    """What ``Explanation.prepare`` sets: the prompt's passages, the prompt (None: a refusal
    judged on the question's translation, ``search_judged``), the quote, the part of it the
    prompt asks translated (None: an explanation), the coverage, the question's
    translations, and the passages of the prompt's shorter variants (``Prompt.shorter``)."""

    passages: list[Passage]
    prompt: Prompt | None
    quote: ExtractiveAnswer | None
    translated: ExtractiveAnswer | None
    coverage: Coverage
    asked: dict[str, str]
    shorter: tuple[list[Passage], ...]


def asked_in_notes_language(question: str, translations: dict[str, str],
                            passages: list[Passage]) -> str:
    """The question as the quote is looked for: in the language of the prompt's first section
    when that is not the question's and the search translated the question into it. A Chinese
    question's terms name nothing in English notes, so the quote fell on the section's first
    paragraph ("Unroll the loop in time" for why RNNs' gradients vanish); the translation's
    terms find the lines that answer (benchmarks/results/answers.md, session 20)."""
    if not passages:
        return question
    language = detect_language(passages[0].hit.chunk.text)
    if language == detect_language(question):
        return question
    return translations.get(language) or question


def quote_among(quoted: ExtractiveAnswer | None, passages: list[Passage], question: str,
                terms, embedder: Embedder | None = None) -> ExtractiveAnswer | None:
    """The quote of the prompt's first section, which the model reads first; the first quote
    (renumbered) only when that section has none.

    The prompt's sections come from the search in every language the library holds, which
    finds the answer more often than the first search the 0.3 s quote comes from: over the
    dev questions the prompt's first section gave a quote from a gold section for 47 of 74
    questions on the bilingual dev2 library against 39 when the first quote was kept wherever
    the prompt held it (cross-language questions 10 of 22 against 4; "how does a variational
    autoencoder generate new samples?" first quoted the plain autoencoder section), and 68
    against 67 on the sample notes; no question type lost (``benchmarks/quote_source.py``).
    Keeping a held labelled answer over a first section's plain paragraph was measured too:
    46 of 74 on dev2, as many right as wrong swaps, not kept."""
    own = quote_of(question, terms, [p.hit for p in passages], embedder)
    if own is not None or quoted is None:
        return own
    return renumbered(quoted, passages)


def renumbered(quoted: ExtractiveAnswer, passages: list[Passage]) -> ExtractiveAnswer | None:
    """The quote citing the number its chunk has among ``passages`` (the prompt's sections
    may come in another order than the first search's); None when they leave its chunk out."""
    passage = holding(passages, quoted)
    if passage is None:
        return None
    if passage.number == quoted.citation.number:
        return quoted
    return replace(quoted, citation=replace(quoted.citation, number=passage.number))


def choose_passages(hits: list[Hit], sections: int) -> list[Hit]:
    """The retriever's best hit first, then the next ``sections - 1`` other sections; a chunk
    of an already chosen section (a long section split in two) comes along in reading order.

    The retriever's order is kept: re-ranking its top 8 by the closeness of each one's answer
    block, of its heading or of both put the gold section first less often on both dev sets
    (sample notes 37-41 of 68 against the retriever's 44; dev2 20-28 of 46 against 31), and a
    1.5B model answers from the passage it reads first. Two sections hold the gold one for
    56/68 (sample) and 38/46 (dev2) questions, against 44 and 31 for one; more make the
    model mix sections.
    """
    chosen: list[Hit] = []
    distinct = 0
    for hit in hits:
        if any(same_section(hit, c) for c in chosen):
            chosen.append(hit)
        elif distinct < sections:
            chosen.append(hit)
            distinct += 1
    ordered: list[Hit] = []
    for hit in chosen:  # each section's chunks together, in the order of the file
        if hit in ordered:
            continue
        group = sorted((c for c in chosen if same_section(c, hit)),
                       key=lambda c: c.chunk.start_line)
        ordered.extend(group)
    return ordered


def quote_of(question: str, terms, chosen: list[Hit],
             embedder: Embedder | None = None) -> ExtractiveAnswer | None:
    """The notes' own answer from the first section: its code for a code question, from
    whichever of its chunks holds it, else from the chunk of it the search ranks highest (the
    next when that one has nothing to quote).

    A long section comes in several chunks, kept in reading order for the prompt; its first
    chunk was quoted, though the search ranks the one about the question first. Scored against
    lines annotated as answering (``tests/data/answer_lines``, ``benchmarks.quote_lines``), the
    quote held an answering line for 26 of the 45 dev3 questions against 17 and for 34 of 51 on
    dev6 against 32, the other sets unchanged or within one (session 25)."""
    if not chosen:
        return None
    section = [h for h in chosen if same_section(h, chosen[0])]
    if asks_for_code(question):
        for hit in section:
            number = chosen.index(hit) + 1
            found = extract_from_passage(Passage(number, hit, hit.chunk.text), terms, question)
            if found is not None and found.kind == "code":
                return found
    ranked = sorted(section, key=lambda h: -h.score)
    titles = {id(h): titled_for(h.chunk.text, question) for h in ranked}
    titled = sorted((h for h in ranked if titles[id(h)] is not None),
                    key=lambda h: title_rank(titles[id(h)]))  # a part titled as asked first
    for hit in titled + [h for h in ranked if h not in titled]:
        found = quote_in_section(hit, chosen.index(hit) + 1, terms, question, embedder)
        if found is not None:
            return found
    return None


def search_query(question: str, history: list[Turn]) -> str:
    """What to search for: a follow-up ("它能防止什么？") is searched with the question before.

    >>> search_query("它能防止什么？", [Turn("什么是梯度裁剪？", "…")])
    '什么是梯度裁剪？ 它能防止什么？'
    """
    return f"{history[-1].question} {question}" if history else question


def retrieve(
    retriever: Retriever, query: str, k: int, mode: str | None
) -> tuple[list[Hit], list[Hit]]:
    """The hits to show (``mode``) and hits whose cosine measures coverage (the same ones,
    unless a lexical search left their ``similarity`` unknown)."""
    hits = retriever.search(query, k=k, mode=mode)
    if best_similarity(hits) is not None:
        return hits, hits
    return hits, retriever.search(query, k=k, mode="dense")


def share_budget(texts, overheads, budget, count, terms, cap=None) -> list[str | None]:
    """What of each passage (best first) goes in: whole when it fits, else its lines around
    ``terms``; ``None`` when less than ``MIN_PART_TOKENS`` is left for it.

    The first passage is the one the answer most likely needs: it may use all but
    ``MIN_PART_TOKENS`` kept for each passage after it (or that passage whole, when shorter),
    so a short passage ranked below still goes in whole (梯度裁剪 ranked 4th under two long
    sections). The others then share what is left, each counting the ones after it at no more
    than a fair share. (A fair share for every passage cut passage [1] to under 60 % of its
    lines in 38 of 65 held-out prompts; dev2:c31 lost the lines that answer.)

    >>> [len(t) for t in share_budget(["a" * 300, "b" * 40, "c" * 300], [5, 5, 5], 300, len, [])]
    [165, 40, 80]
    """
    costs = [count(text) for text in texts]
    kept: list[str | None] = []
    remaining = budget
    for index, (text, overhead) in enumerate(zip(texts, overheads, strict=True)):
        later = range(index + 1, len(texts))
        fair = remaining // max(len(later) + 1, 1)
        reserved = sum(min(costs[j] + overheads[j],
                           MIN_PART_TOKENS + overheads[j] if index == 0 else fair)
                       for j in later)
        room = remaining - reserved - overhead
        if cap is not None:
            room = min(room, cap)
        part = fit_in(text, costs[index], room, count, terms)
        kept.append(part)
        if part:
            remaining -= (costs[index] if part is text else count(part)) + overhead
    return kept


def fit_in(text: str, cost: int, room: int, count, terms) -> str | None:
    """``text`` whole when its ``cost`` fits ``room``, else its lines around ``terms``; ``None``
    when ``room`` is under ``MIN_PART_TOKENS`` or no line fits."""
    if cost <= room:
        return text
    if room < MIN_PART_TOKENS:
        return None
    return excerpt(text, terms, room, count) or None


def whole_passages(texts, overheads, budget, count, terms, cap=None) -> list[str]:
    """``share_budget`` without the passages left out (for callers that renumber)."""
    return [t for t in share_budget(texts, overheads, budget, count, terms, cap) if t]


def in_time(quote: ExtractiveAnswer, language: str, generator: Generator,
            asked_at: float) -> ExtractiveAnswer:
    """The part of ``quote`` to translate: the first lines the model reads by the deadline
    (``read_limit``), at least ``DEADLINE_SHARE`` of ``PROMPT_BUDGET`` as the passages get; the
    whole quote when the reading speed is not known yet."""
    unread = read_limit(generator, asked_at)
    if unread is None:
        return quote
    held = generator.count_prompt((SYSTEM,))  # read once, kept (generator_llama)
    limit = held + max(unread, int(PROMPT_BUDGET * DEADLINE_SHARE))
    return translated_part(quote, language, limit, generator.count_prompt)


def read_limit(generator: Generator, asked_at: float) -> int | None:
    """Prompt tokens the model can read before ``FIRST_TOKEN_SECONDS`` after ``asked_at``, at
    its measured speed (``None`` when that is not known)."""
    if not generator.read_rate:
        return None
    left = FIRST_TOKEN_SECONDS - (time.perf_counter() - asked_at)
    return max(int(left * generator.read_rate * READ_RATE_MARGIN), 0)


def prompt_variants(generator, hits, question, language, turns, max_tokens, budget,
                    passage_tokens, terms) -> list[tuple[list[Passage], tuple, int]]:
    """``build_prompt`` at ``budget`` and, for a model whose reading speed is measured, at
    ``DEADLINE_STEPS`` smaller budgets down to ``DEADLINE_SHARE`` of it: the model answers the
    longest it reads by the deadline (``Prompt.shorter``). A smaller one is kept when the
    passages it shares with the whole budget's are numbered alike, so that every marker keeps
    its meaning: it leaves out the last ones where the room left would drop an earlier one
    (``share_budget`` keeps ``MIN_PART_TOKENS`` for each), or, its first passage cut to the
    lines around the question's terms, takes in one more."""
    variants = [build_prompt(generator, hits, question, language, turns, max_tokens, budget,
                             passage_tokens, terms)]
    if generator.read_rate is None:  # a remote endpoint: no speed, no deadline
        return variants
    numbered = [p.hit.chunk.id for p in variants[0][0]]
    for step in range(1, DEADLINE_STEPS + 1):
        smaller = int(budget * (1 - (1 - DEADLINE_SHARE) * step / DEADLINE_STEPS))
        for count in range(len(hits), 0, -1):  # fewer passages, rather than the first left out
            passages, messages, tokens = build_prompt(generator, hits[:count], question,
                                                      language, turns, max_tokens, smaller,
                                                      passage_tokens, terms)
            kept = [p.hit.chunk.id for p in passages]
            shared = min(len(kept), len(numbered))
            if passages and kept[:shared] == numbered[:shared]:
                if messages != variants[-1][1]:
                    variants.append((passages, messages, tokens))
                break
    return variants


def build_prompt(generator, hits, question, language, turns, max_tokens, budget,
                 passage_tokens, terms):
    """Passages and history cut so that prompt + ``max_tokens`` fits the context window and
    the passages fit ``budget``."""
    count = generator.count_tokens
    max_tokens = min(max_tokens, generator.n_ctx // 2)
    room = generator.n_ctx - max_tokens - SAFETY_TOKENS
    bare = generator.count_prompt(explain_messages([], question, language, []))
    if bare > room // 2:  # an enormous question: keep its head
        question = trim_to_tokens(question, room // 2 - (bare - count(question)), count)
        bare = generator.count_prompt(explain_messages([], question, language, []))
    history = history_messages(turns, min(HISTORY_TOKENS, (room - bare) // 3), count)
    fixed = generator.count_prompt(explain_messages([], question, language, history))
    drafts = [Passage(i, hit, "") for i, hit in enumerate(hits, start=1)]
    texts = [compact(hit.chunk.text, section_title(p)) for hit, p in zip(hits, drafts, strict=True)]
    overheads = [count(passage_header(p) + PASSAGE_FOOTER) for p in drafts]
    excerpts = share_budget(texts, overheads, min(budget, room - fixed), count, terms,
                            passage_tokens)
    kept = [(hit, text) for hit, text in zip(hits, excerpts, strict=True) if text]
    passages = [Passage(i, hit, text) for i, (hit, text) in enumerate(kept, start=1)]
    messages = explain_messages(passages, question, language, history)
    while passages and generator.count_prompt(messages) + max_tokens > generator.n_ctx:
        passages.pop()  # token joins miscounted: drop the lowest-ranked until it fits
        messages = explain_messages(passages, question, language, history)
    return passages, messages, max_tokens


def _has_claim(text: str) -> bool:
    return any(is_claim(s) for line in text.split("\n") for s in split_sentences(line))


def quoted_answer(quoted: ExtractiveAnswer) -> str:
    """The notes' quoted lines as the answer text, each line citing its passage (code is left
    as it stands, the marker after its block)."""
    number = quoted.citation.number
    if quoted.keeps_its_form:  # a marker inside code or a table breaks it
        lines = quoted.text.split("\n")
        return "\n".join([with_table_header(quoted.text), *_unclosed(lines)]) + f"\n\n[{number}]"
    shown = [line.text for line in quoted.lines if not addresses_the_model(line.text)]
    inside = _inside_blocks(shown)
    return "\n".join([with_marker(text, number)
                      if is_claim(text) and not within and not runs_on(text, after) else text
                      for text, within, after in zip(shown, inside, [*shown[1:], ""],
                                                     strict=True)] + _unclosed(shown))


def runs_on(line: str, after: str) -> bool:
    """Whether ``line`` stops mid-sentence and ``after`` carries the sentence on (it ends on a
    comma, or ``after`` goes on in lower case): Markdown joins them into one paragraph, so a
    marker after ``line`` would stand mid-sentence (dev7's hard-wrapped KNN bullets showed
    "…using certain[2] distance metric (e.g., …)"). A line of Chinese notes without a stop
    ("1. 梯度消失") is mostly a title, its text on the next line: it keeps its marker.

    >>> runs_on("* we compute the K nearest data points using certain", "distance metric.")
    True
    >>> runs_on("缺点：", "1. 不能避免梯度爆炸问题；"), runs_on("它会变慢。", "下一句。")
    (False, False)
    """
    if not after.strip() or not line.strip() or line.endswith(("  ", "\\")):
        return False
    if is_list_item(after) or _BLOCK_EDGE.match(after) or after.lstrip().startswith(("#", "|")):
        return False
    ending = plain(line)
    return ending.endswith((",", "，", "、")) or (
        after.lstrip()[0].islower() and not ENDS_SENTENCE.search(ending))


def _edges(lines: list[str]):
    """(index, opening fence) of each line that opens or closes a code block or a ``$$``
    formula, indented or opening a list item."""
    for index, line in enumerate(lines):
        edge = _BLOCK_EDGE.match(line)
        if edge is not None and not _ONE_LINE_MATH.match(line):
            yield index, " " * edge.start(1) + edge.group(1)


def _inside_blocks(lines: list[str]) -> list[bool]:
    """Whether each line is a fence or inside a block."""
    inside, opening, edges = [], "", dict(_edges(lines))
    for index, line in enumerate(lines):
        closes = opening.endswith("$$") and line.rstrip().endswith("$$")  # "\\end{align}$$"
        inside.append(bool(opening) or index in edges)
        if index in edges or closes:
            opening = "" if opening else edges[index]
    return inside


def _unclosed(lines: list[str]) -> list[str]:
    """The fence that closes a block the quote stopped inside (or the rest renders as code,
    r43 dev3:c29 and c35), else nothing.

    >>> _unclosed(["Ex:", "  ```", "  Maximize F1"]), _unclosed(["```", "x", "```"])
    (['  ```'], [])
    >>> _unclosed(["$$\\\\begin{align}", "E[x] = 1", "\\\\end{align}$$", "后文。"])
    []
    """
    inside = _inside_blocks(lines + [""])
    if not inside[-1]:
        return []
    return [next(opening for index, opening in reversed(list(_edges(lines))))]


_BLOCK_EDGE = re.compile(r"^\s*(?:[-*+]\s+)?(```|~~~|\$\$)")
"""A fence or ``$$`` line, indented or opening a list item: the lines up to the next one are
code or a formula, and a marker inside breaks them (r43 dev3:c35 showed "vdW = 0[1]" and
"on iteration t[1]:" inside Adam's pseudo-code, a fence indented under a list item)."""
_ONE_LINE_MATH = re.compile(r"^\s*\$\$.+\$\$\s*$")


_TABLE_RULE = re.compile(TABLE_RULE)


def with_table_header(text: str) -> str:
    """``text`` with a rule under a table's first row when the quote left it out (the quote
    skips rule lines): without it Markdown shows the rows as raw pipes.

    >>> print(with_table_header("| 名称 | 特点 |\\n| BN | 按批 |"))
    | 名称 | 特点 |
    | --- | --- |
    | BN | 按批 |
    """
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if TABLE_ROW.match(line)), None)
    if first is None or (first + 1 < len(lines) and _TABLE_RULE.match(lines[first + 1])):
        return text
    columns = max(lines[first].strip().strip("|").count("|") + 1, 1)
    rule = "| " + " | ".join(["---"] * columns) + " |"
    return "\n".join(lines[: first + 1] + [rule] + lines[first + 1:])


def without_task_echo(text: str, language: str) -> str:
    """``text`` without what it copied of the task its prompt gave it (``explain_task``)."""
    return without_echo(text, explain_task("", language))


def _offline_passages(hits, terms, generator) -> list[Passage]:
    count = generator.count_tokens
    return [Passage(i, hit, excerpt(hit.chunk.text, terms, OFFLINE_PASSAGE_TOKENS, count))
            for i, hit in enumerate(hits, start=1)]
