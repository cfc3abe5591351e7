"""A section split into chunks is read, quoted and cited as one passage.

The index cuts a long section into chunks of at most 512 tokens, the chunks of one section
sharing their boundary line (or touching). The prompt took each chunk as a passage of its own,
so the quote was drawn from one of them and stopped at the cut: "C 越大…" quoted lines 731-734
of a section that states, on line 730 of the chunk before, the cost C multiplies. Joining the
chunks by their character offsets (each chunk's text is the exact slice of its document)
gives the section's text as it stands in the file, one line range, one marker.

>>> from ground.records import Chunk, Hit
>>> def chunk(i, first, last, start, text):
...     return Chunk(i, 1, "/n/a.md", "a", ("a", "S"), first, last, start, start + len(text),
...                  text, "h")
>>> first = chunk(1, 10, 12, 100, "line 10\\nline 11\\nline 12")
>>> second = chunk(2, 12, 13, 116, "line 12\\nline 13")
>>> joined = whole_sections([Hit(first, 0.5), Hit(second, 0.9)])
>>> [(h.chunk.id, h.chunk.start_line, h.chunk.end_line, h.score) for h in joined]
[(1, 10, 13, 0.9)]
>>> [part.chunk.id for part in joined[0].parts]
[1, 2]
>>> joined[0].chunk.text
'line 10\\nline 11\\nline 12\\nline 13'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.extractive import ExtractiveAnswer, extract_from_passage, remembering
from assistant.named_sections import titled_for
from assistant.passage_extra import same_section
from assistant.retrieval import Embedder, Passage
from ground.records import Chunk, Hit


@dataclass(frozen=True)
class SectionHit(Hit):
    """A hit whose chunk joins the chunks of one section the search found (``parts``)."""

    parts: tuple[Hit, ...] = ()


def continued(first: Chunk, second: Chunk) -> Chunk | None:
    """``first`` and ``second`` (which starts no earlier) as one chunk when they overlap or
    touch in the file (between them nothing or only line breaks); ``None`` when text the two do
    not hold stands between them, or they lie on different pages."""
    if first.doc_id != second.doc_id or first.page != second.page:
        return None
    if second.end_char <= first.end_char:
        return first
    gap = second.start_char - first.end_char
    if gap > 0 and gap != second.start_line - first.end_line:  # not only line breaks
        return None
    text = first.text + ("\n" * gap + second.text if gap > 0 else second.text[-gap:])
    return replace(first, end_line=second.end_line, end_char=second.end_char, text=text)


def whole_sections(hits: Sequence[Hit]) -> list[Hit]:
    """``hits`` with each run of consecutive chunks of one section (``choose_passages`` puts a
    section's chunks together, in the order of the file) joined where they touch; the joined
    hit takes the best score, similarity and evidence of its chunks."""
    joined: list[Hit] = []
    for hit in hits:
        previous = joined[-1] if joined else None
        chunk = None
        if previous is not None and same_section(previous, hit) and \
                hit.chunk.start_char >= previous.chunk.start_char:
            chunk = continued(previous.chunk, hit.chunk)
        if chunk is None:
            joined.append(hit)
            continue
        parts = parts_of(previous) + (hit,)
        best = max(parts, key=lambda h: h.score)
        joined[-1] = SectionHit(chunk, best.score, best.also_in,
                                _highest(previous.similarity, hit.similarity),
                                _highest(previous.evidence, hit.evidence),
                                previous.weak and hit.weak, parts)
    return joined


def parts_of(hit: Hit) -> tuple[Hit, ...]:
    """The chunks the search found that ``hit`` joins (``hit`` itself when it joins none)."""
    return hit.parts if isinstance(hit, SectionHit) else (hit,)


def quote_in_section(hit: Hit, number: int, terms: Sequence[str], question: str,
                     embedder: Embedder | None = None) -> ExtractiveAnswer | None:
    """The notes' answer in ``hit`` (cited as passage ``number``): from the chunk of it the
    search ranks highest (the next when that one has nothing to quote), run on past the cut
    when the same lines, looked for in the whole section, go on into the next chunk.

    The search's best chunk decides where the quote stands. Looked for in the joined section
    alone, the quote changed for 28 of the 240 annotated dev questions (dev2-dev6), 3 of them
    losing their answering line ("Gradients add up at forks" gave way to an earlier paragraph
    of its section). Kept to the best chunk's lines and run on past the cut, 5 questions gain
    an answered part and none loses (``benchmarks.quote_lines``, session 50).

    A section with a part titled with what the question names (``named_sections.titled_for``)
    is quoted from that part, whichever chunk the search ranks highest: "F1 分数是什么？" had
    quoted the 解析 of the metrics section's second chunk."""
    whole = None
    if embedder is not None:  # the whole section's paragraphs hold the part's: weigh them once
        embedder = remembering(embedder)
    if len(parts_of(hit)) > 1 and titled_for(hit.chunk.text, question) is not None:
        # a part titled with what is asked ("**4. F1 分数（F1 Score）**") decides where
        whole = extract_from_passage(Passage(number, hit, hit.chunk.text), terms, question,
                                     embedder)
        if whole is not None:
            return whole
    for part in sorted(parts_of(hit), key=lambda h: -h.score):
        found = extract_from_passage(Passage(number, part, part.chunk.text), terms, question,
                                     embedder)
        if found is None:
            continue
        if part is hit:
            return found
        if whole is None:
            whole = extract_from_passage(Passage(number, hit, hit.chunk.text), terms, question,
                                         embedder)
        if whole is not None and {q.line for q in whole.lines} & {q.line for q in found.lines}:
            return whole
        return replace(found, citation=Passage(number, hit, "").citation)
    return None


def _highest(a: float | None, b: float | None) -> float | None:
    known = [v for v in (a, b) if v is not None]
    return max(known) if known else None


def holds(passage: Passage, quoted: ExtractiveAnswer) -> bool:
    """Whether ``passage`` holds the lines ``quoted`` (drawn from it, from one of the chunks
    it joins, or from the joined chunk of which it is a part)."""
    chunk = passage.hit.chunk
    return chunk.source == quoted.citation.source and chunk.page == quoted.citation.page and \
        chunk.start_line <= quoted.first_line and quoted.last_line <= chunk.end_line


def holding(passages: Sequence[Passage], quoted: ExtractiveAnswer | None) -> Passage | None:
    """The first of ``passages`` that ``holds`` the lines ``quoted``; None when none does."""
    if quoted is None:
        return None
    return next((p for p in passages if holds(p, quoted)), None)
