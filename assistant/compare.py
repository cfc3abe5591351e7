"""Compare mode: retrieve for each concept separately, then fill a table with a cited cell each.

Each concept gets its own search (one query for "CNN vs RNN" finds passages about both mixed
together), so every column rests on passages about that concept. The model fills the rows
(definition, purpose, how it works, when to use, pitfalls) as JSON under a grammar whose
``source`` for a cell can only be one of that concept's passage ids; a cell whose source does
not support it gets the concept's best-supporting passage instead (``citations.support_scores``).
Without a model, the table holds each concept's defining sentence from its best passage.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np

from assistant.budget import fit_passages, query_terms
from assistant.citations import support_matrix
from assistant.generator import Generator, Prompt
from assistant.language import detect_language
from assistant.prompts import (
    COMPARE_ASPECTS,
    PASSAGE_FOOTER,
    compact,
    compare_messages,
    passage_header,
    section_title,
)
from assistant.quiz import key_sentence
from assistant.retrieval import Citation, Passage, Retriever
from ingest.errors import ConfigError

PASSAGES_PER_CONCEPT = 2
PASSAGE_TOKENS = 90
CELL_CHARS = 40
CELL_TOKENS = 36  # a cell's key, text, source and punctuation
MAX_CONCEPTS = 4
EMPTY = "-"


@dataclass(frozen=True)
class Cell:
    text: str
    citations: tuple[int, ...]  # passage numbers


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
            cells = [(c.text + "".join(f" [{n}]" for n in c.citations)).replace("|", "/")
                     for c in row.cells]
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
                      "cells": [{"concept": name, "text": c.text, "citations": list(c.citations)}
                                for name, c in zip(self.concepts, r.cells, strict=True)]}
                     for r in self.rows],
            "citations": [c.as_json() for c in self.citations],
        }


def compare_schema(concepts: list[str], ids_by_concept: list[list[int]]) -> dict:
    """A column per concept (named, so the model keeps track), a cell per aspect; a cell's
    ``source`` can only be one of that concept's passage ids."""

    def column(concept: str, ids: list[int]) -> dict:
        cell = {"type": "object",
                "properties": {"text": {"type": "string", "minLength": 1,
                                        "maxLength": CELL_CHARS},
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
    rows = tuple(_row(aspect, [c.get(aspect, {}) if isinstance(c, dict) else {} for c in columns],
                      groups, language, retriever)
                 for aspect in COMPARE_ASPECTS)
    return Comparison(tuple(concepts), language, rows, tuple(p.citation for p in passages), True,
                      passages=tuple(passages))


def _retrieve(retriever: Retriever, generator: Generator, concepts: list[str]):
    groups: list[list[Passage]] = []
    number = 1
    for concept in concepts:
        group = []
        for hit in retriever.search(concept, k=PASSAGES_PER_CONCEPT):
            draft = Passage(number, hit, "")
            text = compact(hit.chunk.text, section_title(draft))
            overhead = generator.count_tokens(passage_header(draft, concept) + PASSAGE_FOOTER)
            fitted = fit_passages([text], [overhead], PASSAGE_TOKENS + overhead,
                                  generator.count_tokens, PASSAGE_TOKENS, query_terms(concept))
            if fitted:
                group.append(Passage(number, hit, fitted[0]))
                number += 1
        groups.append(group)
    return groups


def _row(aspect, cells, groups, language, retriever) -> Row:
    label = COMPARE_ASPECTS[aspect][1 if language == "zh" else 0]
    built = []
    for index, group in enumerate(groups):
        cell = cells[index] if index < len(cells) and isinstance(cells[index], dict) else {}
        text = str(cell.get("text", "")).strip() or EMPTY
        if text == EMPTY or not group:
            built.append(Cell(EMPTY, ()))
            continue
        scores = [s.strength for s in support_matrix([text], group, retriever.embedder)[0]]
        numbers = [p.number for p in group]
        source = cell.get("source")
        if source not in numbers:  # the grammar prevents this; keep the check for other models
            source = numbers[int(np.argmax(scores))]
        built.append(Cell(text, (source,)))
    return Row(aspect, label, tuple(built))


def _extractive(concepts, language, groups, notice, missing) -> Comparison:
    label = COMPARE_ASPECTS["definition"][1 if language == "zh" else 0]
    cells = tuple(Cell(key_sentence(group[0].hit.chunk.text, 1) or EMPTY, (group[0].number,))
                  if group else Cell(EMPTY, ()) for group in groups)
    passages = tuple(p for group in groups for p in group)
    return Comparison(tuple(concepts), language, (Row("definition", label, cells),),
                      tuple(p.citation for p in passages), False, notice, missing, passages)
