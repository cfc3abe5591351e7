"""Explain mode: the notes' own answer at once, then a model explanation, every sentence checked.

``start_explanation`` retrieves, judges coverage against the library in use and builds the
prompt, then returns at once: the UI shows ``explanation.extractive`` (the notes' own answer,
quoted with its line numbers) and ``explanation.passages`` (the sources) before the model has
read anything, streams ``explanation.stream()`` and ends with ``explanation.finish()``, the
checked ``Answer``. When the notes do not cover the question, or no model is available, the
same object streams a fixed reply instead: the nearest topics, or the best passages.

The model reads the best passages *whole* (compacted: no Markdown marks), best first, until
``PROMPT_BUDGET`` tokens; a passage longer than what is left contributes its lines around the
question's terms instead. The budget is measured (benchmarks/results/answers.md): prompt
reading runs at ~76 tokens/s on 2 cores and the fixed part of the prompt (task, question, tags)
adds ~130 tokens to the passages, ~90 of them cached; 800 passage tokens is a first token of
~11 s on an idle machine (900 measured 13.6 s median at load 2.4), while 4 whole Q&A sections
of these notes take 600-1,000 tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.budget import excerpt, query_terms, trim_to_tokens
from assistant.citations import SentenceCheck, check_citations
from assistant.coverage import Coverage, assess_coverage, best_similarity
from assistant.extractive import ExtractiveAnswer, rank_by_answer
from assistant.generator import GenerationStats, Generator, Prompt
from assistant.language import detect_language
from assistant.library_profile import LibraryProfile, profile_of
from assistant.prompts import (
    PASSAGE_FOOTER,
    compact,
    explain_messages,
    passage_header,
    section_title,
)
from assistant.retrieval import Citation, Passage, Retriever
from assistant.session import HISTORY_TOKENS, Turn, history_messages
from ground.records import Hit

PROMPT_PASSAGES = 4  # at most this many passages, best first
CANDIDATES = 8  # retrieved sections whose answer blocks compete for the prompt
PROMPT_BUDGET = 800  # passage tokens in the prompt (see the module docstring)
MIN_PART_TOKENS = 80  # what is left below this is not worth a further passage
EXPLAIN_MAX_TOKENS = 320  # an explanation of 3-6 sentences; a cut one is trimmed
OFFLINE_PASSAGE_TOKENS = 160  # per passage shown when no model can run
SAFETY_TOKENS = 8  # token counts of pieces and of the whole differ by a few at the joins


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
            "repointed_markers": self.repointed_markers,
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
    "nothing_checked": {
        "zh": "模型的解释没有通过核对（没有一句能在资料中找到依据），请以上面笔记原文为准。",
        "en": "The model's explanation did not pass the check (no sentence is supported by "
              "the passages); rely on the notes' own answer above.",
    },
    "untreated": {"zh": "笔记中没有讲解：", "en": "Not explained in your notes: "},
}


@dataclass
class Explanation:
    """One question in flight: sources now, text pieces while generating, then the Answer."""

    question: str
    language: str
    passages: list[Passage]
    coverage: Coverage
    generator: Generator
    prompt: Prompt | None  # None: nothing to generate (not covered or no model)
    retriever: Retriever
    extractive: ExtractiveAnswer | None = None  # ready before any token
    profile: LibraryProfile | None = None
    _pieces: list[str] = field(default_factory=list)
    _tokens: Iterator[str] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    _streamed: bool = False
    _answer: Answer | None = None

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(p.citation for p in self.passages)

    @property
    def will_generate(self) -> bool:
        return self.prompt is not None

    @property
    def stats(self) -> GenerationStats | None:
        """Token counts and timings of the generation, once it has started."""
        return getattr(self._tokens, "stats", None)

    @property
    def phase(self) -> str:
        """``queued``, ``prompt`` (reading the prompt: cannot be stopped), ``generating``, ..."""
        if self.prompt is None:
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
        for piece in self._tokens:
            self._pieces.append(piece)
            yield piece

    def finish(self) -> Answer:
        """The checked answer (consumes the stream first if nobody did)."""
        if self._answer is None:
            if not self._streamed:
                for _ in self.stream():
                    pass
            self._answer = self._build_answer("".join(self._pieces))
        return self._answer

    def _fixed_reply(self) -> str:
        if not self.coverage.covered:
            separator = "；" if self.language == "zh" else "; "
            topics = separator.join(c.heading.split(" > ")[-1] for c in self.coverage.nearest)
            names = ""
            if self.coverage.untreated:
                names = MESSAGES["untreated"][self.language] + \
                    separator.join(self.coverage.untreated) + ("。" if self.language == "zh"
                                                               else ". ")
            return names + MESSAGES["not_covered"][self.language] + " " + topics
        reason = self.generator.reason or "no model"
        lines = [MESSAGES["unavailable"][self.language].format(reason=reason)]
        lines += [f"[{p.number}] {p.excerpt}" for p in self.passages]
        return "\n\n".join(lines)

    def _build_answer(self, text: str) -> Answer:
        base = dict(question=self.question, language=self.language,
                    covered=self.coverage.covered, nearest_topics=self.coverage.nearest,
                    untreated=self.coverage.untreated)
        if not self.coverage.covered:
            return Answer(text=text, citations=(), generated=False, **base)
        base["extractive"] = self.extractive
        if self.prompt is None:
            return Answer(text=text, citations=self.citations, generated=False,
                          notice=f"generation is unavailable: {self.generator.reason}", **base)
        stats = self.stats
        cut = stats is not None and stats.finish_reason in ("length", "cancelled")
        checked = check_citations(text, self.passages, self.retriever.embedder, self.question,
                                  self.profile, cut=cut)
        notice = MESSAGES["cancelled"][self.language] if self._cancel.is_set() else ""
        if text.strip() and not checked.text.strip() and not notice:
            notice = MESSAGES["nothing_checked"][self.language]
        return Answer(text=checked.text, citations=self.citations, generated=bool(text.strip()),
                      unsupported=checked.unsupported, notice=notice,
                      removed_markers=checked.removed, attached_markers=checked.attached,
                      non_answers=checked.non_answers, repointed_markers=checked.repointed,
                      checks=checked.checks, **base)


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
    language = detect_language(question)
    query = search_query(question, history or [])
    hits, dense_hits = retrieve(retriever, query, max(top_k, prompt_passages, CANDIDATES),
                                search_mode)
    profile = profile_of(retriever)
    coverage = assess_coverage(query, dense_hits, retriever, profile)
    if not coverage.covered:
        return Explanation(question, language, [], coverage, generator, None, retriever,
                           profile=profile)
    terms = query_terms(query)
    ranked, quoted = rank_by_answer(query, hits, retriever.embedder)
    chosen = ranked[:prompt_passages]
    if not generator.available:
        passages = _offline_passages(chosen, terms, generator)
        return Explanation(question, language, passages, coverage, generator, None, retriever,
                           quoted, profile)
    passages, messages, max_tokens = build_prompt(
        generator, chosen, question, language, history or [],
        min(max_tokens, EXPLAIN_MAX_TOKENS), prompt_budget, passage_tokens, terms)
    prompt = Prompt(messages, max_tokens, temperature)
    return Explanation(question, language, passages, coverage, generator, prompt, retriever,
                       quoted, profile)


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

    Each passage may use what the passages after it leave over, each of those counted at no
    more than a fair share of what remains, so one long passage cannot push out the short one
    ranked below it that answers the question (梯度裁剪 ranked 4th under two long sections).

    >>> [len(t) for t in share_budget(["a" * 300, "b" * 40, "c" * 30], [5, 5, 5], 200, len, [])]
    [115, 40, 30]
    """
    costs = [count(text) for text in texts]
    kept: list[str | None] = []
    remaining = budget
    for index, (text, overhead) in enumerate(zip(texts, overheads, strict=True)):
        later = range(index + 1, len(texts))
        fair = remaining // max(len(later) + 1, 1)
        reserved = sum(min(costs[j] + overheads[j], fair) for j in later)
        room = remaining - reserved - overhead
        if cap is not None:
            room = min(room, cap)
        if costs[index] <= room:
            kept.append(text)
            remaining -= costs[index] + overhead
        elif room >= MIN_PART_TOKENS:
            part = excerpt(text, terms, room, count)
            kept.append(part or None)
            remaining -= (count(part) + overhead) if part else 0
        else:
            kept.append(None)
    return kept


def whole_passages(texts, overheads, budget, count, terms, cap=None) -> list[str]:
    """``share_budget`` without the passages left out (for callers that renumber)."""
    return [t for t in share_budget(texts, overheads, budget, count, terms, cap) if t]


def build_prompt(generator, hits, question, language, turns, max_tokens, budget,
                 passage_tokens, terms):
    """Passages and history cut so that prompt + ``max_tokens`` fits the context window."""
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


def _offline_passages(hits, terms, generator) -> list[Passage]:
    count = generator.count_tokens
    return [Passage(i, hit, excerpt(hit.chunk.text, terms, OFFLINE_PASSAGE_TOKENS, count))
            for i, hit in enumerate(hits, start=1)]
