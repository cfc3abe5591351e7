"""Compare mode: retrieve for each concept separately, then fill a table with a checked cell each.

Each concept gets its own search (one query for "CNN vs RNN" finds passages about both mixed
together), so every column rests on passages about that concept; they go to the model whole,
within ``COMPARE_BUDGET`` tokens shared by the concepts. The model fills the rows (definition,
purpose, how it works, when to use, pitfalls) as JSON under a grammar whose ``source`` for a
cell can only be one of that concept's passage ids, with no length cap (a cap cut cells
mid-sentence). Every cell is then checked like an explanation's sentence
(``citations.support_matrix``): a cell its concept's passages support keeps the passage that
supports it best; one they do not is replaced by the notes' own sentence for that aspect
(``aspect_sentence``: a complete sentence, quoted), or ``-``. Without a model, every row holds
the notes' own sentences.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from assistant.budget import query_terms
from assistant.citations import support_matrix
from assistant.explain import share_budget
from assistant.extractive import extract_answer, plain
from assistant.generator import Generator, Prompt
from assistant.language import detect_language
from assistant.library_profile import profile_of
from assistant.prompts import (
    COMPARE_ASPECTS,
    PASSAGE_FOOTER,
    compact,
    compare_messages,
    passage_header,
    section_title,
)
from assistant.retrieval import Citation, Passage, Retriever
from ground.errors import ConfigError
from ground.sentences import split_sentences

PASSAGES_PER_CONCEPT = 2
COMPARE_BUDGET = 900  # passage tokens for all concepts together
CELL_TOKENS = 48  # a cell's key, text, source and punctuation
MAX_CELL_CHARS = 160  # a quoted sentence longer than this is not used as a cell
MAX_CONCEPTS = 4
EMPTY = "-"
ASPECT_CUES = {
    "definition": r"是一种|是一类|是指|指的是|定义|称为|\bis an?\b|\brefers to\b|\bis defined\b",
    "purpose": r"作用|用于|用来|目的|为了|旨在|\bused to\b|\bpurpose\b|\bhelps?\b|\ballows?\b",
    "how_it_works": r"通过|原理|步骤|计算|过程|\bby\b|\bworks?\b|\bcompute",
    "when_to_use": r"适用|场景|应用|适合|常用于|\bwhen\b|\bsuitable\b|\bapplied\b|\bused in\b",
    "pitfalls": r"缺点|不足|局限|问题|注意|风险|容易|\bdrawback|\blimitation|\bhowever\b|"
                r"\bproblem",
}


@dataclass(frozen=True)
class Cell:
    text: str
    citations: tuple[int, ...]  # passage numbers
    quoted: bool = False  # the notes' own sentence (the model's cell was not supported)


@dataclass(frozen=True)
class Row:
    aspect: str
    label: str
    cells: tuple[Cell, ...]  # one per concept, in order


@dataclass(frozen=True)
class Comparison:
    concepts: tuple[str, ...]
    language: str
    rows: tuple[Row, ...]
    citations: tuple[Citation, ...]
    generated: bool
    notice: str = ""
    missing: tuple[str, ...] = ()  # concepts the notes say nothing about
    passages: tuple[Passage, ...] = ()  # what the citations point at, for showing the text

    def markdown(self) -> str:
        """The table, then the sources its markers point at."""
        header = "| | " + " | ".join(self.concepts) + " |"
        lines = [header, "|---" * (len(self.concepts) + 1) + "|"]
        for row in self.rows:
            cells = [(_shown(c) + "".join(f" [{n}]" for n in c.citations)).replace("|", "/")
                     .replace("\n", " ") for c in row.cells]
            lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += [c.label() for c in self.citations]
        if self.notice:
            lines += ["", self.notice]
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "concepts": list(self.concepts), "language": self.language,
            "generated": self.generated, "notice": self.notice, "missing": list(self.missing),
            "rows": [{"aspect": r.aspect, "label": r.label,
                      "cells": [{"concept": name, "text": c.text, "citations": list(c.citations),
                                 "quoted": c.quoted}
                                for name, c in zip(self.concepts, r.cells, strict=True)]}
                     for r in self.rows],
            "citations": [c.as_json() for c in self.citations],
        }


def compare_schema(concepts: list[str], ids_by_concept: list[list[int]]) -> dict:
    """A column per concept (named, so the model keeps track), a cell per aspect; a cell's
    ``source`` can only be one of that concept's passage ids."""

    def column(concept: str, ids: list[int]) -> dict:
        cell = {"type": "object",
                "properties": {"text": {"type": "string", "minLength": 1},
                               "source": {"enum": ids}},
                "required": ["text", "source"], "additionalProperties": False}
        properties = {"concept": {"const": concept}} | {a: cell for a in COMPARE_ASPECTS}
        return {"type": "object", "properties": properties, "required": list(properties),
                "additionalProperties": False}

    columns = [column(c, ids) for c, ids in zip(concepts, ids_by_concept, strict=True)]
    return {"type": "object",
            "properties": {"columns": {"type": "array", "prefixItems": columns, "items": False,
                                       "minItems": len(columns), "maxItems": len(columns)}},
            "required": ["columns"], "additionalProperties": False}


def _shown(cell: Cell) -> str:
    return f"“{cell.text}”" if cell.quoted else cell.text


def compare(
    retriever: Retriever,
    generator: Generator,
    concepts: list[str],
    cancel: threading.Event | None = None,
) -> Comparison:
    concepts = [c.strip() for c in concepts if c.strip()]
    if not 2 <= len(concepts) <= MAX_CONCEPTS:
        raise ConfigError(f"compare takes 2 to {MAX_CONCEPTS} concepts, got {len(concepts)}")
    language = detect_language(" ".join(concepts))
    groups = _retrieve(retriever, generator, concepts)
    passages = [p for group in groups for p in group]
    missing = tuple(c for c, group in zip(concepts, groups, strict=True) if not group)
    if not generator.available or missing:
        notice = (f"generation is unavailable: {generator.reason}" if not generator.available
                  else "the notes say nothing about: " + ", ".join(missing))
        return _extractive(concepts, language, groups, notice, missing)
    concept_of = {p.number: c for c, group in zip(concepts, groups, strict=True) for p in group}
    messages = compare_messages(passages, concept_of, concepts, language)
    max_tokens = len(COMPARE_ASPECTS) * len(concepts) * CELL_TOKENS + 24
    schema = compare_schema(concepts, [[p.number for p in group] for group in groups])
    text = generator.complete(Prompt(messages, max_tokens).with_schema(schema), cancel)
    try:
        data = json.loads(text)
    except ValueError:
        return _extractive(concepts, language, groups, "the model's table was incomplete", ())
    columns = data.get("columns", []) if isinstance(data, dict) else []
    profile = profile_of(retriever)
    rows = tuple(_row(aspect, [c.get(aspect, {}) if isinstance(c, dict) else {} for c in columns],
                      groups, concepts, language, retriever, profile)
                 for aspect in COMPARE_ASPECTS)
    return Comparison(tuple(concepts), language, rows, tuple(p.citation for p in passages), True,
                      passages=tuple(passages))


def _retrieve(retriever: Retriever, generator: Generator, concepts: list[str]):
    """Each concept's best passages, whole while they fit its share of the budget."""
    groups: list[list[Passage]] = []
    number = 1
    share = COMPARE_BUDGET // len(concepts)
    for concept in concepts:
        hits = retriever.search(concept, k=PASSAGES_PER_CONCEPT)
        drafts = [Passage(number + i, hit, "") for i, hit in enumerate(hits)]
        texts = [compact(h.chunk.text, section_title(d)) for h, d in zip(hits, drafts, strict=True)]
        overheads = [generator.count_tokens(passage_header(d, concept) + PASSAGE_FOOTER)
                     for d in drafts]
        fitted = share_budget(texts, overheads, share, generator.count_tokens,
                              query_terms(concept))
        kept = [(d.hit, text) for d, text in zip(drafts, fitted, strict=True) if text]
        group = [Passage(number + i, hit, text) for i, (hit, text) in enumerate(kept)]
        number += len(group)
        groups.append(group)
    return groups


def aspect_sentence(aspect: str, concept: str, group: list[Passage]) -> Cell:
    """The notes' own complete sentence for ``aspect`` of ``concept``: the first sentence of
    its passages that names the concept (or any, for later aspects) and carries the aspect's
    cue words; for the definition, the quoted answer's first sentence."""
    cue = re.compile(ASPECT_CUES[aspect], re.IGNORECASE)
    terms = query_terms(concept)
    if aspect == "definition":
        quoted = extract_answer(concept, group)
        if quoted is not None:
            for sentence in split_sentences(plain(quoted.lines[0].text)):
                sentence = _label_free(sentence)
                if 4 <= len(sentence) <= MAX_CELL_CHARS:
                    return Cell(sentence, (quoted.citation.number,), True)
    for passage in group:
        for line in passage.hit.chunk.text.split("\n"):
            for sentence in split_sentences(plain(line)):
                sentence = _label_free(sentence)
                if not 4 <= len(sentence) <= MAX_CELL_CHARS or not cue.search(sentence):
                    continue
                if aspect == "definition" and not any(t in sentence.lower() for t in terms):
                    continue
                return Cell(sentence, (passage.number,), True)
    return Cell(EMPTY, ())


_LABEL = re.compile(r"^[^：:]{1,16}[：:]\s*")


def _label_free(sentence: str) -> str:
    """A sentence without its bullet label (``作用：``), for a table cell."""
    stripped = sentence.strip()
    rest = _LABEL.sub("", stripped)
    return rest.strip() if len(rest) >= 4 else stripped


def _row(aspect, cells, groups, concepts, language, retriever, profile) -> Row:
    label = COMPARE_ASPECTS[aspect][1 if language == "zh" else 0]
    built = []
    for index, group in enumerate(groups):
        cell = cells[index] if index < len(cells) and isinstance(cells[index], dict) else {}
        text = str(cell.get("text", "")).strip()
        if not group:
            built.append(Cell(EMPTY, ()))
            continue
        if not text or text == EMPTY:
            built.append(aspect_sentence(aspect, concepts[index], group))
            continue
        support = support_matrix([text], group, retriever.embedder, concepts[index], profile)[0]
        backers = [k for k, s in enumerate(support) if s.supported]
        if not backers:
            built.append(aspect_sentence(aspect, concepts[index], group))
            continue
        numbers = [p.number for p in group]
        source = cell.get("source")
        if source not in numbers or not support[numbers.index(source)].supported:
            source = numbers[max(backers, key=lambda k: support[k].strength)]
        built.append(Cell(text, (source,)))
    return Row(aspect, label, tuple(built))


def _extractive(concepts, language, groups, notice, missing) -> Comparison:
    rows = []
    for aspect in COMPARE_ASPECTS:
        label = COMPARE_ASPECTS[aspect][1 if language == "zh" else 0]
        cells = tuple(aspect_sentence(aspect, concept, group) if group else Cell(EMPTY, ())
                      for concept, group in zip(concepts, groups, strict=True))
        if aspect == "definition" or any(c.text != EMPTY for c in cells):
            rows.append(Row(aspect, label, cells))
    passages = tuple(p for group in groups for p in group)
    return Comparison(tuple(concepts), language, tuple(rows),
                      tuple(p.citation for p in passages), False, notice, missing, passages)
