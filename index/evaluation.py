"""Retrieval quality: a dev set with gold sections, and a self-test any user can run.

Metrics, for each query's ranked hits: Hit@1 and Hit@5 (a gold passage among the first 1 / 5)
and MRR@10 (the mean of 1/rank of the first gold passage within 10, else 0).

A hit matches a gold location when it stands in the same file and its line span contains the
gold heading line, or its heading path ends with the gold heading (a long section split into
several chunks), or one of its ``also_in`` locations contains the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ground.errors import ConfigError
from ground.headings import strip_numbering
from ground.records import Chunk, Hit, embed_text_of
from index import hybrid
from index.chunk_shape import prior_of
from index.index_state import IndexState, SearchIndexes
from index.lexical import LexicalIndex
from index.passage_windows import Windows
from index.vector_index import create_vector_index

K_VALUES = (1, 5)
MRR_DEPTH = 10


@dataclass(frozen=True)
class GoldLocation:
    file: str
    heading: str
    line: int


@dataclass(frozen=True)
class EvalQuestion:
    query: str
    gold: tuple[GoldLocation, ...]


@dataclass(frozen=True)
class Scores:
    """Quality of one search mode over a question set."""

    mode: str
    questions: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float

    def line(self) -> str:
        return (f"{self.mode:<8} Hit@1 {self.hit_at_1:.3f}  Hit@5 {self.hit_at_5:.3f}  "
                f"MRR@10 {self.mrr_at_10:.3f}  ({self.questions} questions)")


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            gold = tuple(GoldLocation(g["file"], g["heading"], int(g["line"])) for g in raw["gold"])
            questions.append(EvalQuestion(raw["query"], gold))
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigError(f"{path}:{number}: not an eval question ({error})") from None
    return questions


def hit_matches(hit: Hit, gold: GoldLocation) -> bool:
    chunk = hit.chunk
    if Path(chunk.source).name == gold.file:
        if chunk.start_line <= gold.line <= chunk.end_line:
            return True
        if chunk.heading_path and chunk.heading_path[-1].strip() == gold.heading.strip():
            return True
    return any(
        Path(loc.source).name == gold.file and loc.start_line <= gold.line <= loc.end_line
        for loc in hit.also_in
    )


def first_gold_rank(hits: Sequence[Hit], gold: Sequence[GoldLocation]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if any(hit_matches(hit, location) for location in gold):
            return rank
    return None


def score_ranks(mode: str, ranks: Sequence[int | None]) -> Scores:
    n = max(len(ranks), 1)
    hit_at = {k: sum(1 for r in ranks if r is not None and r <= k) / n for k in K_VALUES}
    mrr = sum(1 / r for r in ranks if r is not None and r <= MRR_DEPTH) / n
    return Scores(mode, len(ranks), hit_at[1], hit_at[5], mrr)


def evaluate(
    search: Callable[[str, int, str], list[Hit]],
    questions: Sequence[EvalQuestion],
    modes: Sequence[str],
) -> list[Scores]:
    """Scores of each mode; ``search(query, k, mode)`` is ``Library.search``."""
    return [
        score_ranks(mode, [first_gold_rank(search(q.query, MRR_DEPTH, mode), q.gold)
                           for q in questions])
        for mode in modes
    ]


# -- self-test: question headings as queries, their own chunk as gold ------------------------


def question_of(chunk: Chunk) -> str | None:
    """The question a chunk's own heading asks, if it is question-style, without numbering.

    >>> from ground.records import Chunk
    >>> c = Chunk(1, 1, "a.md", "A", ("A", "题目 3：什么是微调？"), 1, 2, 0, 9, "x", "h")
    >>> question_of(c)
    '什么是微调？'
    >>> question_of(Chunk(1, 1, "a.md", "A", ("A", "3.2.5 实例理解反向传播"), 1, 2, 0, 9, "x", "h"))
    '实例理解反向传播'
    """
    if len(chunk.heading_path) < 2:  # a document's own title ("第七章 生成对抗网络") names a
        return None  # whole file, which every section of it answers: no query with one gold
    heading = chunk.heading_path[-1].strip().strip("*").strip()
    question = strip_numbering(heading)
    numbered = question != heading  # read as everywhere else: "1 Introduction" is not
    if not (numbered or heading.endswith(("？", "?"))):
        return None
    return question or None


def _without_heading(chunk: Chunk, question: str) -> str:
    """The chunk's indexed text with its own heading line and heading path removed."""
    lines = chunk.text.splitlines()
    if lines and question in lines[0]:
        lines = lines[1:]
    return embed_text_of(chunk.heading_path[:-1], "\n".join(lines))


def self_test(
    chunks: Sequence[Chunk],
    embed_passages: Callable[[list[str]], np.ndarray],
    embed_queries: Callable[[list[str]], np.ndarray],
    dim: int,
) -> tuple[Scores, int]:
    """Recall@1/5 and MRR of hybrid search when each question heading must find its own chunk
    (or a member of its duplicate group, or another piece of the same section when a long
    section was split) in an index built without the heading text."""
    questions = {c.id: q for c in chunks if (q := question_of(c))}
    if not questions:
        return score_ranks("self", []), 0
    texts = [_without_heading(c, questions[c.id]) if c.id in questions else c.embed_text
             for c in chunks]
    ids = np.array([c.id for c in chunks], dtype=np.int64)
    vectors = create_vector_index("flat", dim)
    vectors.add(ids, embed_passages(texts))
    lexical = LexicalIndex.build(ids, texts)
    # whole-passage vectors only: the heading test measures the chunking and the fusion
    indexes = SearchIndexes(vectors, lexical, IndexState("self-test", "", len(chunks)),
                            Windows.empty(dim))
    group_of = {c.id: c.group_id for c in chunks}
    priors = {c.id: prior_of(c.heading_path, c.text) for c in chunks}
    section_of = {c.id: (c.doc_id, c.heading_path) for c in chunks}
    query_ids = list(questions)
    query_vectors = embed_queries([questions[i] for i in query_ids])
    ranks = []
    for chunk_id, query_vector in zip(query_ids, query_vectors, strict=True):
        ranked = hybrid.rank(indexes, questions[chunk_id], query_vector, MRR_DEPTH, "hybrid",
                             group_of, priors=lambda ids: {i: priors[i] for i in ids})
        gold = ({chunk_id} | {i for i, g in group_of.items()
                              if g is not None and g == group_of.get(chunk_id)}
                | {i for i, section in section_of.items() if section == section_of[chunk_id]})
        ranks.append(next((r for r, hit in enumerate(ranked.kept, 1) if hit.id in gold), None))
    return score_ranks("self", ranks), len(query_ids)
