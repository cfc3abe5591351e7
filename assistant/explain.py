"""Explain mode: answer a question from the notes, with [n] markers checked after generation.

``start_explanation`` retrieves and builds the prompt, then returns at once: the UI shows
``explanation.passages`` (the sources) before the first token, streams ``explanation.stream()``
and ends with ``explanation.finish()``, the checked ``Answer``. When the notes do not cover the
question, or no model is available, the same object streams a fixed reply instead: the nearest
topics, or the best passages with their locations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from assistant.budget import fit_passages, query_terms, trim_to_tokens
from assistant.citations import check_citations
from assistant.coverage import Coverage, assess_coverage, best_similarity
from assistant.generator import GenerationStats, Generator, Prompt
from assistant.language import detect_language
from assistant.prompts import (
    PASSAGE_FOOTER,
    compact,
    explain_messages,
    passage_header,
    section_title,
)
from assistant.retrieval import Citation, Passage, Retriever
from assistant.session import HISTORY_TOKENS, Turn, history_messages
from ingest.records import Hit

PROMPT_PASSAGES = 3  # passages given to the model (a short prompt is a fast first token)
PASSAGE_TOKENS = 70  # each is cut to this many tokens around the question's terms
RELEVANCE_MARGIN = 0.05  # passages whose cosine trails the best by more are left out
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

    def as_json(self) -> dict:
        return {
            "question": self.question, "language": self.language, "answer": self.text,
            "covered": self.covered, "generated": self.generated, "notice": self.notice,
            "citations": [c.as_json() for c in self.citations],
            "unsupported": list(self.unsupported),
            "nearest_topics": [c.as_json() for c in self.nearest_topics],
            "removed_markers": self.removed_markers, "attached_markers": self.attached_markers,
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
            return MESSAGES["not_covered"][self.language] + " " + topics
        reason = self.generator.reason or "no model"
        lines = [MESSAGES["unavailable"][self.language].format(reason=reason)]
        lines += [f"[{p.number}] {p.excerpt}" for p in self.passages]
        return "\n\n".join(lines)

    def _build_answer(self, text: str) -> Answer:
        base = dict(question=self.question, language=self.language,
                    covered=self.coverage.covered, nearest_topics=self.coverage.nearest)
        if not self.coverage.covered:
            return Answer(text=text, citations=(), generated=False, **base)
        if self.prompt is None:
            return Answer(text=text, citations=self.citations, generated=False,
                          notice=f"generation is unavailable: {self.generator.reason}", **base)
        checked = check_citations(text, self.passages, self.retriever.embedder)
        notice = MESSAGES["cancelled"][self.language] if self._cancel.is_set() else ""
        return Answer(text=checked.text, citations=self.citations, generated=bool(text.strip()),
                      unsupported=checked.unsupported, notice=notice,
                      removed_markers=checked.removed, attached_markers=checked.attached, **base)


def start_explanation(
    retriever: Retriever,
    generator: Generator,
    question: str,
    history: list[Turn] | None = None,
    max_tokens: int = 512,
    top_k: int = 5,
    search_mode: str | None = None,
    temperature: float = 0.0,
    prompt_passages: int = PROMPT_PASSAGES,
    passage_tokens: int = PASSAGE_TOKENS,
    relevance_margin: float = RELEVANCE_MARGIN,
) -> Explanation:
    """Retrieve, assess coverage and budget the prompt; generation starts when streamed."""
    language = detect_language(question)
    query = search_query(question, history or [])
    hits, dense_hits = retrieve(retriever, query, max(top_k, prompt_passages), search_mode)
    coverage = assess_coverage(query, dense_hits)

    terms = query_terms(query)
    chosen = close_to_best(hits[:prompt_passages], relevance_margin)
    if not coverage.covered:
        return Explanation(question, language, [], coverage, generator, None, retriever)
    if not generator.available:
        passages = _extractive_passages(chosen, terms, generator, passage_tokens)
        return Explanation(question, language, passages, coverage, generator, None, retriever)
    passages, messages, max_tokens = build_prompt(
        generator, chosen, question, language, history or [], max_tokens, passage_tokens, terms)
    prompt = Prompt(messages, max_tokens, temperature)
    return Explanation(question, language, passages, coverage, generator, prompt, retriever)


def search_query(question: str, history: list[Turn]) -> str:
    """What to search for: a follow-up ("它能防止什么？") is searched with the question before.

    >>> search_query("它能防止什么？", [Turn("什么是梯度裁剪？", "…")])
    '什么是梯度裁剪？ 它能防止什么？'
    """
    return f"{history[-1].question} {question}" if history else question


def close_to_best(hits: list[Hit], margin: float) -> list[Hit]:
    """The first hit, and the others whose cosine is within ``margin`` of the best.

    A focused question ("什么是梯度裁剪？") then costs two passages, not three: the third,
    on exploding gradients, trails by 0.06. Each passage left out saves ~1 s before the first
    token on 2 cores.

    >>> from ingest.records import Chunk
    >>> chunk = Chunk(1, 1, "f", "t", (), 1, 1, 0, 1, "x", "h")
    >>> hits = [Hit(chunk, 1.0, (), s) for s in (0.93, 0.94, 0.875, None)]
    >>> [h.similarity for h in close_to_best(hits, 0.05)]
    [0.93, 0.94]
    """
    known = [h.similarity for h in hits if h.similarity is not None]
    if not known:
        return hits[:1]
    floor = max(known) - margin
    return hits[:1] + [h for h in hits[1:] if h.similarity is not None and h.similarity >= floor]


def retrieve(
    retriever: Retriever, query: str, k: int, mode: str | None
) -> tuple[list[Hit], list[Hit]]:
    """The hits to show (``mode``) and hits whose cosine measures coverage (the same ones,
    unless a lexical search left their ``similarity`` unknown)."""
    hits = retriever.search(query, k=k, mode=mode)
    if best_similarity(hits) is not None:
        return hits, hits
    return hits, retriever.search(query, k=k, mode="dense")


def build_prompt(generator, hits, question, language, turns, max_tokens, passage_tokens, terms):
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
    excerpts = fit_passages(texts, overheads, room - fixed, count,
                            passage_tokens, terms)
    passages = [Passage(p.number, p.hit, text) for p, text in zip(drafts, excerpts, strict=False)]
    messages = explain_messages(passages, question, language, history)
    while passages and generator.count_prompt(messages) + max_tokens > generator.n_ctx:
        passages.pop()  # token joins miscounted: drop the lowest-ranked until it fits
        messages = explain_messages(passages, question, language, history)
    return passages, messages, max_tokens


def _extractive_passages(hits, terms, generator, passage_tokens) -> list[Passage]:
    count = generator.count_tokens
    return [Passage(i, hit, fit_passages([hit.chunk.text], [0], passage_tokens * 2, count,
                                         passage_tokens * 2, terms)[0])
            for i, hit in enumerate(hits, start=1)]
