"""The notes' own answer, quoted: shown the moment the passages are found, before any model.

From the best passage this picks, in order of preference:

1. an answer block: the line labelled ``答案`` / ``回答`` / ``Answer`` (or, when there is none,
   ``解析`` / ``Explanation``) with its text, or the paragraph after a bare label, plus the list
   that directly follows it (``- 梯度消失：…`` / ``- 梯度爆炸：…``);
2. a definition: the first sentence that names one of the question's terms and says what it
   is (``是一种`` / ``是指`` / ``is a`` / ``refers to``), plus the list it introduces;
3. the paragraph (or list) that mentions most of the question's terms.

Every quoted line is the exact text of the source with its 1-based line number; a line longer
than ``LONG_LINE_CHARS`` is cut to its best contiguous sentences, still exact (``partial``).
No model runs here, so it costs microseconds after retrieval.

>>> from ground.records import Chunk, Hit
>>> text = ("#### 4. 什么是梯度消失？\\n\\n**答案：** 梯度逐层变小。\\n\\n"
...         "- **原因：** 链式法则。\\n\\n**解析：** 略。")
>>> chunk = Chunk(1, 1, "/n/a.md", "a", ("a", "4. 梯度消失"), 49, 55, 0, len(text), text, "h")
>>> answer = extract_answer("梯度消失是什么？", [Passage(1, Hit(chunk, 1.0), text)])
>>> [(q.line, q.text) for q in answer.lines]
[(51, '**答案：** 梯度逐层变小。'), (53, '- **原因：** 链式法则。')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.budget import query_terms
from assistant.retrieval import Citation, Embedder, Passage
from ground.records import Hit
from ground.sentences import split_sentences

MAX_LINES = 8  # an answer block longer than this is cut at a line end
MAX_CHARS = 700
LONG_LINE_CHARS = 320  # a longer line (a textbook paragraph) is cut to its best sentences
RANK_CHARS = 240  # the head of a block says what it answers (and embeds in a few ms)
CANDIDATE_PASSAGES = 4  # quoted blocks of this many passages compete for the question

_MARKUP = re.compile(r"\*\*|__|`|^\s{0,3}>\s?")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_BULLET = re.compile(r"^\s*(?:[-*+•·](?=\s)|\d{1,2}(?:[.)](?=\s)|、)|[（(]\d{1,2}[）)]|"
                     r"[a-z][.)](?=\s))\s*")
_LABEL = r"\s*(?:#{1,6}\s*)?(?:\*\*)?\s*NAMES\s*(?:\*\*)?\s*[：:](?:\s*\*\*)?\s*"
ANSWER_LABELS = ("参考答案", "答案", "回答", "解答", "答", "Answer", "A")
EXPLANATION_LABELS = ("解析", "解释", "分析", "Explanation")
QUESTION_LABELS = ("题目", "问题", "Question", "Q")
_DEFINITION = re.compile(
    r"是一种|是一类|是一个|是指|指的是|定义为|被称为|称为|就是|"
    r"\b(?:is|are) (?:a|an|the|used|called)\b|\brefers? to\b|\bis defined as\b|\bmeans\b",
    re.IGNORECASE)


def _label_pattern(labels: Sequence[str]) -> re.Pattern:
    names = "|".join(re.escape(label) for label in labels)
    return re.compile("^" + _LABEL.replace("NAMES", f"(?:{names})"), re.IGNORECASE)


_ANSWER = _label_pattern(ANSWER_LABELS)
_EXPLANATION = _label_pattern(EXPLANATION_LABELS)
_ANY_LABEL = _label_pattern(ANSWER_LABELS + EXPLANATION_LABELS + QUESTION_LABELS)


@dataclass(frozen=True)
class QuotedLine:
    line: int  # 1-based line in the source file
    text: str  # the exact text of that line, or of its quoted sentences when ``partial``
    partial: bool = False


@dataclass(frozen=True)
class ExtractiveAnswer:
    """The notes' own words for the question, with where they stand."""

    citation: Citation
    lines: tuple[QuotedLine, ...]
    kind: str  # "answer", "definition" or "passage"

    @property
    def text(self) -> str:
        return "\n".join(q.text for q in self.lines)

    @property
    def first_line(self) -> int:
        return self.lines[0].line

    @property
    def last_line(self) -> int:
        return self.lines[-1].line

    def location(self) -> str:
        """``a.md:53-56`` (the quoted lines, not the whole passage)."""
        span = f"{self.first_line}" if self.first_line == self.last_line else \
            f"{self.first_line}-{self.last_line}"
        page = f" p.{self.citation.page}" if self.citation.page is not None else ""
        return f"{self.citation.location.split(':')[0].split(' p.')[0]}{page}:{span}"

    def render(self) -> str:
        """Plain text: each quoted line after its line number (``…`` marks a cut line)."""
        return "\n".join(f"{q.line:>5}│ {'…' if q.partial else ''}{q.text}"
                         f"{'…' if q.partial else ''}" for q in self.lines)

    def as_json(self) -> dict:
        return {"kind": self.kind, "citation": self.citation.as_json(),
                "location": self.location(),
                "lines": [{"line": q.line, "text": q.text, "partial": q.partial}
                          for q in self.lines]}


def plain(line: str) -> str:
    """A line without Markdown emphasis, heading marks or list bullet (for matching only)."""
    return _BULLET.sub("", _MARKUP.sub("", _HEADING.sub("", line))).strip()


def is_list_item(line: str) -> bool:
    return bool(_BULLET.match(line)) and bool(plain(line))


def term_hits(text: str, terms: Sequence[str]) -> int:
    lowered = text.lower()
    return sum(term in lowered for term in terms)


def extract_answer(question: str, passages: Sequence[Passage],
                   embedder: Embedder | None = None) -> ExtractiveAnswer | None:
    """The quoted answer of the first passages that is closest to the question (e5 cosine of
    the question and each quoted block: ~20 ms), or, without an embedder, the first passage's
    that names one of the question's terms. None without passages."""
    terms = query_terms(question)
    found = [f for f in (extract_from_passage(p, terms) for p in passages[:CANDIDATE_PASSAGES])
             if f is not None]
    if not found:
        return None
    if embedder is not None and len(found) > 1:
        question_vector = np.asarray(embedder.embed_query(question))
        block_vectors = np.asarray(embedder.embed_passages([f.text for f in found]))
        return found[int(np.argmax(block_vectors @ question_vector))]
    return next((f for f in found if f.kind != "passage" or term_hits(f.text, terms)), found[0])


def rank_by_answer(question: str, hits: Sequence[Hit], embedder: Embedder | None
                   ) -> tuple[list[Hit], ExtractiveAnswer | None]:
    """``hits`` reordered by how close each one's quoted answer block is to the question (e5
    cosine), and the quote of the first. A whole-section vector blurs a short answer into its
    surroundings: for "为什么训练时要给梯度的范数设一个上限？" the two 梯度裁剪 sections rank
    5th and 6th among ten sections whose cosines differ by < 0.01, while their answers are
    among the closest blocks. (A Borda count with the retriever's rank was tried: it put the
    正则化 section back in front of them and gained no gold passage on the sample questions.)
    Ties keep the retriever's order."""
    terms = query_terms(question)
    drafts = [Passage(i, hit, hit.chunk.text) for i, hit in enumerate(hits, start=1)]
    blocks = [extract_from_passage(p, terms) for p in drafts]
    order = list(range(len(hits)))
    if embedder is not None and len(hits) > 1:
        texts = [(b.text if b else h.chunk.text)[:RANK_CHARS] for b, h in
                 zip(blocks, hits, strict=True)]
        question_vector = np.asarray(embedder.embed_query(question))
        closeness = np.asarray(embedder.embed_passages(texts)) @ question_vector
        order.sort(key=lambda i: (-float(closeness[i]), i))
    ranked = [hits[i] for i in order]
    first = blocks[order[0]] if order else None
    if first is None:
        return ranked, None
    citation = Passage(1, ranked[0], "").citation
    return ranked, ExtractiveAnswer(citation, first.lines, first.kind)


def extract_from_passage(passage: Passage, terms: Sequence[str]) -> ExtractiveAnswer | None:
    chunk = passage.hit.chunk
    lines = chunk.text.split("\n")
    picked = (_labelled_block(lines, _ANSWER), "answer")
    if not picked[0]:
        picked = (_definition_block(lines, terms), "definition")
    if not picked[0]:
        picked = (_labelled_block(lines, _EXPLANATION), "answer")
    if not picked[0]:
        picked = (_best_paragraph(lines, terms), "passage")
    indexes, kind = picked
    if not indexes:
        return None
    quoted = _quote(lines, indexes, chunk.start_line, terms)
    return ExtractiveAnswer(passage.citation, quoted, kind) if quoted else None


def _paragraphs(lines: list[str], start: int) -> list[list[int]]:
    """Consecutive non-blank line runs from ``start`` on, a heading ending the run."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip() or _HEADING.match(line):
            if current:
                runs.append(current)
                current = []
            if _HEADING.match(line) and index > start:
                break
            continue
        current.append(index)
    if current:
        runs.append(current)
    return runs


def _block_from(lines: list[str], start: int, own_text: bool) -> list[int]:
    """The paragraph starting at ``start`` (after it, for a bare label) and the list that
    directly follows it, stopping at the next label (``解析：``)."""
    runs = _paragraphs(lines, start if own_text else start + 1)
    if not runs or (not own_text and _ANY_LABEL.match(lines[runs[0][0]])):
        return []  # a bare label followed by another label: nothing to quote
    block = _until_label(lines, runs[0], skip_first=own_text)
    whole_run = len(block) == len(runs[0])
    is_list = all(is_list_item(lines[i]) for i in block)
    if whole_run and not is_list and len(runs) > 1 and \
            all(is_list_item(lines[i]) for i in runs[1]):
        block += _until_label(lines, runs[1], skip_first=False)
    return block


def _until_label(lines: list[str], run: list[int], skip_first: bool) -> list[int]:
    kept = []
    for position, index in enumerate(run):
        if (position or not skip_first) and _ANY_LABEL.match(lines[index]):
            break
        kept.append(index)
    return kept


def _labelled_block(lines: list[str], label: re.Pattern) -> list[int]:
    for index, line in enumerate(lines):
        match = label.match(line)
        if not match:
            continue
        has_text = bool(plain(line[match.end():]))
        block = _block_from(lines, index, has_text)
        if block:
            return block
    return []


def _definition_block(lines: list[str], terms: Sequence[str]) -> list[int]:
    if not terms:
        return []
    for index, line in enumerate(lines):
        if _HEADING.match(line) or not line.strip():
            continue
        text = plain(line)
        if term_hits(text, terms) and _DEFINITION.search(text):
            block = [index]
            if text.rstrip().endswith(("：", ":")):
                runs = _paragraphs(lines, index + 1)
                if runs and all(is_list_item(lines[i]) for i in runs[0]):
                    block += runs[0]
            return block
    return []


def _best_paragraph(lines: list[str], terms: Sequence[str]) -> list[int]:
    runs = _paragraphs(lines, 0)
    if not runs:
        return []
    scores = [term_hits(" ".join(lines[i] for i in run), terms) for run in runs]
    best = runs[scores.index(max(scores))]
    return best


def _quote(lines: list[str], indexes: list[int], start_line: int,
           terms: Sequence[str]) -> tuple[QuotedLine, ...]:
    quoted: list[QuotedLine] = []
    used = 0
    for index in indexes[:MAX_LINES]:
        text = lines[index].rstrip()
        partial = False
        if len(text) > LONG_LINE_CHARS:
            text, partial = best_sentences(text, terms, LONG_LINE_CHARS), True
        if quoted and used + len(text) > MAX_CHARS:
            break
        quoted.append(QuotedLine(start_line + index, text, partial))
        used += len(text)
    return tuple(quoted)


def best_sentences(line: str, terms: Sequence[str], limit: int) -> str:
    """The contiguous sentences of ``line`` from the one naming most ``terms``, within ``limit``
    characters (at least that one sentence), exactly as written.

    >>> best_sentences("Intro here. Dropout drops units. It regularizes. Other.", ["dropout"], 40)
    'Dropout drops units. It regularizes. '
    """
    sentences = split_sentences(line)
    scores = [term_hits(s, terms) for s in sentences]
    first = scores.index(max(scores))
    last = first
    while last + 1 < len(sentences) and \
            sum(len(s) for s in sentences[first:last + 2]) <= limit:
        last += 1
    return "".join(sentences[first:last + 1])
