"""Practice questions from the notes: one chunk per item, so every item cites where it came from.

Sections come from a topic search, or, without a topic, are spread evenly over every document
for coverage. Each item is generated under a JSON-schema grammar, then checked
(``quiz_schema.problems``); an invalid or repeated item is regenerated once with sampling,
then dropped for the next section; past ``SPARE_SECTIONS`` more sections than items asked for,
the rest are built from the notes alone, as without a model. MCQ options are shuffled, because
a small model puts the right answer first far more often than chance. Without a model, items
are built extractively: the section's question heading and the first sentence of its answer.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.bank_verify import verify
from assistant.budget import trim_to_tokens
from assistant.generator import Generator, Message, Prompt
from assistant.language import detect_language
from assistant.prompts import compact, quiz_messages, section_title
from assistant.quiz_schema import (
    KINDS,
    OPTION_CHARS,
    OPTION_COUNT,
    SCHEMAS,
    TEXT_CHARS,
    TRUE_FALSE_OPTIONS,
    QuizItem,
    normalized,
    problems,
)
from assistant.retrieval import Passage, Retriever
from ground.errors import ConfigError
from ground.headings import strip_numbering
from ground.records import Chunk, Hit
from ground.sentences import split_sentences

QUIZ_PASSAGE_TOKENS = 200
QUIZ_MAX_TOKENS = 220
MIN_SECTION_CHARS = 60  # sections shorter than this hold too little to ask about
ATTEMPTS = 2  # greedy first, then one sampled retry
SPARE_SECTIONS = 2
"""Sections the model may draft on beyond the number of items asked for. Past them, the sections
left give items built from the notes alone (``generated`` False), so a quiz whose drafts the
checks keep turning down ends within ``(count + SPARE_SECTIONS) * ATTEMPTS`` drafts, not one
per candidate section: 3 items asked on the sample notes took up to 22 drafts, over 15 min
on 2 cores."""
RETRY_TEMPERATURE = 0.7
_ANSWER_LABEL = re.compile(r"^\s*(答案|解答|回答|answer)\s*[:：]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class QuizRequest:
    topic: str | None = None
    count: int = 5
    kind: str = "mcq"
    seed: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"quiz type must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not 1 <= self.count <= 50:
            raise ConfigError(f"quiz size must be 1-50, got {self.count}")


@dataclass
class QuizLog:
    """What happened while generating: rejected drafts and why (for the UI and --json)."""

    rejected: int = 0
    reasons: tuple[str, ...] = ()

    def reject(self, why: list[str]) -> None:
        self.rejected += 1
        self.reasons = (*self.reasons, "; ".join(why))


def question_of(title: str) -> str:
    """A section heading as a question: its numbering removed.

    >>> question_of("题目 4：什么是梯度裁剪？"), question_of("5. 什么是 Dropout？")
    ('什么是梯度裁剪？', '什么是 Dropout？')
    """
    return strip_numbering(title)


def key_sentence(text: str, limit: int = 2) -> str:
    """The first ``limit`` sentences of a section's answer (after an "答案：" label if any).

    >>> key_sentence("题目：什么是L2？\\n答案：L2 惩罚权重的平方。它让权重变小。还有别的。")
    'L2 惩罚权重的平方。它让权重变小。'
    """
    lines = [line for line in compact(text).split("\n") if line.strip()]
    start = next((i for i, line in enumerate(lines) if _ANSWER_LABEL.match(line)), 0)
    body = " ".join(_ANSWER_LABEL.sub("", line) for line in lines[start:]).strip()
    sentences = [s for s in split_sentences(body) if s.strip()]
    return "".join(sentences[:limit]).strip()


def clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters (the schema's maxLength), "…" marking a cut.

    >>> clip("梯度裁剪限制梯度大小", 6)
    '梯度裁剪限…'
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def select_sections(retriever: Retriever, request: QuizRequest) -> list[Hit]:
    """Candidate sections, best first: a topic's search hits, or an even spread for coverage."""
    wanted = request.count * 3 + 2
    if request.topic:
        hits = retriever.search(request.topic, k=wanted)
    else:
        hits = [Hit(chunk, 0.0) for chunk in spread(retriever.chunks(), wanted, request.seed)]
    seen: set[str] = set()
    kept = []
    for hit in hits:
        title = section_title(Passage(0, hit, ""))
        if len(compact(hit.chunk.text, title)) >= MIN_SECTION_CHARS and title not in seen:
            seen.add(title)
            kept.append(hit)
    return kept


def spread(chunks: list[Chunk], count: int, seed: int = 0) -> list[Chunk]:
    """``count`` chunks taken round-robin over documents, evenly spaced within each.

    >>> from ground.records import Chunk
    >>> cs = [Chunk(i, i // 4, "f", "t", ("t", str(i)), 1, 1, 0, 1, "x", "h") for i in range(8)]
    >>> [c.id for c in spread(cs, 4)]
    [0, 4, 2, 6]
    """
    by_doc: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    per_doc = -(-count // max(len(by_doc), 1))
    columns = []
    for doc_chunks in by_doc.values():
        step = max(len(doc_chunks) / per_doc, 1.0)
        offset = random.Random(seed).random() * step if seed else 0.0
        columns.append([doc_chunks[int(offset + i * step)]
                        for i in range(min(per_doc, len(doc_chunks)))
                        if int(offset + i * step) < len(doc_chunks)])
    picked = [column[i] for i in range(per_doc) for column in columns if i < len(column)]
    return picked[:count]


def generate_items(
    retriever: Retriever,
    generator: Generator,
    request: QuizRequest,
    log: QuizLog | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[QuizItem]:
    """Items one at a time (an interactive quiz can ask the first while the next is made)."""
    log = log or QuizLog()
    sections = select_sections(retriever, request)
    earlier: list[str] = []
    made = drafted = 0
    for number, hit in enumerate(sections, start=1):
        if made == request.count or (cancel is not None and cancel.is_set()):
            return
        passage = _passage(number, hit, generator)
        if generator.available and drafted < request.count + SPARE_SECTIONS:
            drafted += 1
            item = _generated_item(passage, request, generator, earlier, log, cancel)
        else:
            item = _extractive_item(passage, request, sections, made)
        if item is not None:
            earlier.append(item.question)
            made += 1
            yield item


def item_on_chunk(
    retriever: Retriever,
    generator: Generator,
    chunk: Chunk,
    kind: str = "mcq",
    seed: int = 0,
    earlier: list[str] | None = None,
    log: QuizLog | None = None,
    cancel: threading.Event | None = None,
    checked: bool = True,
) -> QuizItem | None:
    """One item on a given chunk (spaced review asks about the same passage in new words;
    ``earlier`` holds the questions already asked on it, which the new one must not repeat).
    ``checked``: run the verifier's checks before returning it (the bank worker, which runs the
    whole verifier itself, turns this off)."""
    request = QuizRequest(None, 1, kind, seed)
    passage = _passage(1, Hit(chunk, 0.0), generator)
    if generator.available:
        return _generated_item(passage, request, generator, list(earlier or ()),
                               log or QuizLog(), cancel, checked)
    distractors = select_sections(retriever, QuizRequest(None, 5, kind, seed))
    return _extractive_item(passage, request, distractors, seed)


def make_quiz(retriever: Retriever, generator: Generator, request: QuizRequest,
              log: QuizLog | None = None) -> list[QuizItem]:
    return list(generate_items(retriever, generator, request, log))


def _passage(number: int, hit: Hit, generator: Generator) -> Passage:
    draft = Passage(number, hit, "")
    text = compact(hit.chunk.text, section_title(draft))
    return Passage(number, hit, trim_to_tokens(text, QUIZ_PASSAGE_TOKENS, generator.count_tokens))


def _generated_item(passage, request, generator, earlier, log, cancel,
                    checked: bool = True) -> QuizItem | None:
    language = detect_language(passage.excerpt)
    messages = quiz_messages(Passage(1, passage.hit, passage.excerpt), request.kind, language,
                             earlier)
    wanted_truth = None
    if request.kind == "mcq":
        messages = (*messages[:-1], Message("user", messages[-1].content + MCQ_TASK))
    if request.kind == "truefalse":
        wanted_truth = statement_truth(passage.hit.chunk, request.seed)
        if not wanted_truth:
            messages = (*messages[:-1], Message("user", messages[-1].content + FALSE_TASK))
    for attempt in range(ATTEMPTS):
        temperature = 0.0 if attempt == 0 else RETRY_TEMPERATURE
        prompt = Prompt(messages, QUIZ_MAX_TOKENS, temperature).with_schema(SCHEMAS[request.kind])
        text = generator.complete(prompt, cancel)
        try:
            data = json.loads(text)
        except ValueError:
            log.reject(["not complete JSON (too long?)"])
            continue
        why = problems(request.kind, data, earlier)
        if wanted_truth is not None and not why and data.get("answer") is not wanted_truth:
            why = [f"asked for a {'true' if wanted_truth else 'false'} statement"]
        if why:
            log.reject(why)
            continue
        item = _item_from(data, passage, request, language)
        if checked:
            why = list(unverified(item))
            if why:
                log.reject(why)
                continue
        return item
    return None


MCQ_TASK = ("\nAsk about one specific fact, not \"which of these\" over a list the passage "
            "gives: the three wrong options must be wrong according to the passage -- never "
            "another item of the same list, nor something the passage also says is true.")
"""Why the verifier turned down most MCQ drafts on the sample notes: a question over a list
("防止过拟合的方法有哪些？") whose "wrong" options are the list's other items."""
FALSE_TASK = ("\nThis time the statement must be FALSE: take one sentence of the passage and "
              "change one key term, number or direction in it, so that the passage contradicts "
              "it; answer is false, and the explanation quotes what the passage really says.")


def statement_truth(chunk: Chunk, seed: int = 0) -> bool:
    """Whether the true/false statement asked for on ``chunk`` is to be true: half the passages
    get a false one (by their content hash), so the key cannot be guessed from the kind."""
    return (int(chunk.content_hash[:8], 16) + seed) % 2 == 0 if re.fullmatch(
        r"[0-9a-f]{8,}.*", chunk.content_hash) else seed % 2 == 0


def unverified(item: QuizItem) -> tuple[str, ...]:
    """Why an item made on demand must not reach the student: the bank verifier's checks that
    need no model (key stated by the passage, no distractor stated, no yes/no MCQ, no
    giveaway). The blind answer is left to the bank worker: it would double the student's wait
    on a path that already takes the model's time."""
    return verify(item, item.passage).reasons


def _item_from(data: dict, passage: Passage, request: QuizRequest, language: str) -> QuizItem:
    citation = passage.citation
    if request.kind == "mcq":
        options = [str(o).strip() for o in data["options"]]
        correct = options[data["answer_index"]]
        random.Random(f"{request.seed}:{citation.chunk_id}").shuffle(options)
        return QuizItem("mcq", data["question"].strip(), tuple(options), options.index(correct),
                        correct, data["explanation"].strip(), citation, passage.excerpt, True)
    if request.kind == "short":
        return QuizItem("short", data["question"].strip(), (), None,
                        data["reference_answer"].strip(), "", citation, passage.excerpt, True)
    options = TRUE_FALSE_OPTIONS[language]
    index = 0 if data["answer"] else 1
    return QuizItem("truefalse", data["statement"].strip(), options, index, options[index],
                    data["explanation"].strip(), citation, passage.excerpt, True)


def _extractive_item(passage: Passage, request: QuizRequest, sections: list[Hit],
                     made: int) -> QuizItem | None:
    question = clip(question_of(section_title(passage)), TEXT_CHARS)
    answer = clip(key_sentence(passage.hit.chunk.text), TEXT_CHARS)
    if not question or not answer:
        return None
    language = detect_language(passage.hit.chunk.text)
    citation = passage.citation
    if request.kind == "short":
        return QuizItem("short", question, (), None, answer, "", citation, passage.excerpt, False)
    others = [key_sentence(hit.chunk.text, 1) for hit in sections
              if hit.chunk.id != passage.hit.chunk.id]
    others = list(dict.fromkeys(o for o in others if o and o != answer))
    if request.kind == "truefalse":
        options = TRUE_FALSE_OPTIONS[language]
        true = made % 2 == 0 or not others
        claim = answer if true else others[made % len(others)]
        statement = clip(f"{question} —— {claim}", TEXT_CHARS)
        index = 0 if true else 1
        return QuizItem("truefalse", statement, options, index, options[index], answer,
                        citation, passage.excerpt, False)
    correct = clip(key_sentence(passage.hit.chunk.text, 1), OPTION_CHARS)
    wrong = list(dict.fromkeys(clip(o, OPTION_CHARS) for o in others))
    wrong = [o for o in wrong if normalized(o) != normalized(correct)]
    if len(wrong) < OPTION_COUNT - 1:
        return None
    rng = random.Random(f"{request.seed}:{citation.chunk_id}")
    options = [correct, *rng.sample(wrong, OPTION_COUNT - 1)]
    rng.shuffle(options)
    return QuizItem("mcq", question, tuple(options), options.index(correct), correct, answer,
                    citation, passage.excerpt, False)
