"""Sections -> chunks that fit the embedding model's window, each an exact slice of the source.

One chunk per Q&A item (a section: heading plus body, code and formulas included) when its
``embed_text`` (heading path + newline + text, counted by the embedding tokenizer with prefix and
special tokens) fits ``max_tokens``. A longer section is cut into pieces at the strongest
boundary available in the second half of each piece: a paragraph (blank line or heading), then
a line, then a sentence inside a long line, and only as a last resort inside a sentence. Fences
and display formulas are single units, never cut; one that alone exceeds the window becomes an
over-long chunk of its own (the embedder sees its beginning) rather than broken code. Each piece
after the first starts with the previous piece's last line (or sentence, in a line too long
for the window) when that is short (``overlap_fraction`` of the window): a small overlap, in
whole lines, so that pieces keep equalling whole source lines.

Every chunk's ``text`` is ``document_text[start_char:end_char]``; pieces made of whole lines
(all of them, unless a single line outgrows the window) equal lines ``start_line..end_line``.
Blank lines at a chunk's edges are left out. A heading with no body of its own, followed by
deeper headings, makes no chunk: its text lives on in their heading paths.

At most ``max_chunks`` passages are made per document: past that, chunking stops (the work is
bounded too, not only the result) and ``ChunkedDocument.truncated_at_line`` says where, for a
notice. All work is linear in the text: no step re-reads or copies the rest of a long line.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from ground.links import readable
from ground.records import embed_text_of
from ground.sentences import split_sentences
from ingest.sections import Layout, Section, document_title, is_blank, parse_layout, split_sections

TokenCounter = Callable[[str], int]
"""Tokens the embedding model sees for a passage text (prefix and special tokens included)."""

EMBEDDING_WINDOW = 512
CHUNKER_VERSION = 5
"""Bump when chunk boundaries or the text read from a file change, so unchanged files are
re-chunked on the next ingest."""


_CHARS_PER_TOKEN_GUESS = 4
"""Where the search for a prefix of ``budget`` tokens starts (it doubles from there)."""
_MAX_CHARS_PER_TOKEN = 16
"""Generous bound on characters per token, to bound how much of a section the cap needs."""
MAX_CHUNKS_PER_FILE = 5000
"""About 2.5M tokens: a thick textbook as one PDF. More is a dump, not a note."""


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it has a database id."""

    ordinal: int
    heading_path: tuple[str, ...]
    start_line: int  # 1-based, inclusive
    end_line: int
    start_char: int  # offsets into the document text, end exclusive
    end_char: int
    text: str
    token_count: int  # of embed_text, as the embedding model counts it
    page: int | None = None

    @property
    def embed_text(self) -> str:
        return embed_text_of(self.heading_path, self.text)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChunkedDocument:
    title: str
    chunks: tuple[ChunkDraft, ...]
    truncated_at_line: int | None = None  # 1-based line where chunking stopped at the cap


@dataclass(frozen=True)
class _Unit:
    """The smallest piece a long section is cut into: a line, sentence or atomic block."""

    start: int
    end: int
    tokens: int  # estimated alone, without prefix or special tokens
    break_before: int  # strength of the boundary before it: 0 paragraph, 1 line, 2 sentence, 3 none
    atomic: bool = False


def chunk_document(
    text: str,
    fallback_title: str,
    token_counter: TokenCounter,
    max_tokens: int = EMBEDDING_WINDOW,
    title_hint: str | None = None,
    page_starts: tuple[int, ...] = (),
    overlap_fraction: float = 0.1,
    max_chunks: int = MAX_CHUNKS_PER_FILE,
) -> ChunkedDocument:
    """Chunk one document's text; ``page_starts`` are the 1-based lines where PDF pages begin."""
    layout = parse_layout(text)
    if title_hint:
        title, title_line = title_hint, None
    else:
        title, title_line = document_title(layout, fallback_title)
    sections = split_sections(layout, title, title_line)
    splitter = _Splitter(layout, token_counter, max_tokens, overlap_fraction)
    drafts: list[ChunkDraft] = []
    for index, section in enumerate(sections):
        span = _non_blank_span(layout, section)
        if span is None or _only_a_parent_heading(section, span, sections[index + 1 :]):
            continue
        room = max_chunks - len(drafts)
        if room <= 0:
            return ChunkedDocument(title, tuple(drafts), drafts[-1].end_line + 1)
        for start, end, tokens in splitter.split(section.heading_path, *span, room=room):
            first_line = bisect_right(layout.line_starts, start) - 1
            last_line = bisect_right(layout.line_starts, end - 1) - 1
            page = bisect_right(page_starts, first_line + 1) if page_starts else None
            drafts.append(
                ChunkDraft(len(drafts), section.heading_path, first_line + 1, last_line + 1,
                           start, end, text[start:end], tokens, page or None)
            )
        if splitter.stopped_early:
            return ChunkedDocument(title, tuple(drafts), drafts[-1].end_line + 1)
    return ChunkedDocument(title, tuple(drafts))


def _non_blank_span(layout: Layout, section: Section) -> tuple[int, int] | None:
    lines = range(section.first_line, section.last_line + 1)
    filled = [line for line in lines if not is_blank(layout.lines[line])]
    return (filled[0], filled[-1]) if filled else None


def _only_a_parent_heading(section: Section, span: tuple[int, int], later: list[Section]) -> bool:
    heading_only = section.heading_line is not None and span == (section.heading_line,) * 2
    return heading_only and bool(later) and later[0].level > section.level


class _Splitter:
    """Cuts one section into (start_char, end_char, tokens) spans that fit the window."""

    def __init__(self, layout: Layout, counter: TokenCounter, max_tokens: int, overlap: float):
        self.layout = layout
        self.counter = counter
        self.max_tokens = max_tokens
        self.overlap_tokens = int(max_tokens * overlap)
        self.empty_cost = counter("")
        self.atomic_end = dict(layout.atomic_blocks)
        self.heading_lines = {heading.line for heading in layout.headings}
        self.stopped_early = False

    def split(self, path: tuple[str, ...], first: int, last: int,
              room: int = MAX_CHUNKS_PER_FILE) -> list[tuple[int, int, int]]:
        """At most ``room`` pieces; ``stopped_early`` tells whether the section had more."""
        self.stopped_early = False
        start, end = self.layout.line_starts[first], self.layout.line_end(last)
        needed = room * self.max_tokens * _MAX_CHARS_PER_TOKEN  # more cannot fit in ``room``
        if end - start > needed:
            last = max(first, bisect_right(self.layout.line_starts, start + needed) - 1)
            start, end, self.stopped_early = start, self.layout.line_end(last), True
        tokens = self._exact(path, start, end)
        if tokens <= self.max_tokens:
            return [(start, end, tokens)]
        budget = max(self.max_tokens - self.counter(embed_text_of(path, "")), self.max_tokens // 4)
        units = self._units(first, last, budget)
        pieces = self._pack(path, units, budget, room)
        if len(pieces) >= room and pieces[-1][1] < self._trim(start, end)[1]:
            self.stopped_early = True
        return pieces[:room]

    def _measure(self, text: str) -> int:
        """Tokens of ``text`` as the embedder reads it (``readable``: a formula image is its
        TeX, a link its text), as ``_exact`` counts the whole piece. Counted raw, dev7's lines
        of encoded formula addresses weighed 150-300 tokens each and its sections were cut
        into pieces of one or two lines (180 of its 326 chunks held under 200 tokens of what
        the embedder reads; now 109 of 261): an SVM cost function lost "C = m/λ" to the next
        piece."""
        return max(0, self.counter(readable(text)) - self.empty_cost)

    def _exact(self, path: tuple[str, ...], start: int, end: int) -> int:
        start, end = self._trim(start, end)
        return self.counter(embed_text_of(path, self.layout.text[start:end]))

    def _trim(self, start: int, end: int) -> tuple[int, int]:
        """Drop blank edges; a line wholly inside the span keeps its indentation and tail."""
        text = self.layout.text
        first, last = start, end
        while first < last and text[first].isspace():
            first += 1
        while last > first and text[last - 1].isspace():
            last -= 1
        if first == last:
            return first, last
        line_start = text.rfind("\n", 0, first) + 1
        line_end = text.find("\n", last)
        line_end = len(text) if line_end < 0 else line_end
        if line_start >= start:
            first = line_start
        if line_end <= end:
            last = line_end
        return first, last

    def _units(self, first: int, last: int, budget: int) -> list[_Unit]:
        layout, units = self.layout, []
        line, after_blank = first, False
        while line <= last:
            text, offset = layout.lines[line], layout.line_starts[line]
            if is_blank(text):
                after_blank, line = True, line + 1
                continue
            strength = 0 if after_blank or line in self.heading_lines else 1
            after_blank = False
            block_end = self.atomic_end.get(line)
            if block_end is not None and block_end <= last:
                end = layout.line_end(block_end)
                block = layout.text[offset:end]
                units.append(_Unit(offset, end, self._measure(block), strength, atomic=True))
                line = block_end + 1
                continue
            tokens = self._measure(text)
            if tokens <= budget:
                units.append(_Unit(offset, offset + len(text), tokens, strength))
            else:
                units.extend(self._filled(self._sentence_units(text, offset, strength, budget)))
            line += 1
        return units

    def _sentence_units(self, line: str, offset: int, strength: int, budget: int) -> list[_Unit]:
        units = []
        for sentence in split_sentences(line):
            tokens = self._measure(sentence)
            if tokens <= budget:
                units.append(_Unit(offset, offset + len(sentence), tokens, strength))
            else:
                units.extend(self._hard_units(sentence, offset, strength, budget))
            offset += len(sentence)
            strength = 2
        return units

    def _hard_units(self, sentence: str, offset: int, strength: int, budget: int) -> list[_Unit]:
        """Cut a sentence with no usable boundary at the longest prefixes that fit.

        The search for each prefix starts near ``budget`` characters and doubles, rather than
        bisecting the whole rest: bisecting made a 1.5 MB line without punctuation take five
        minutes (every probe tokenized megabytes); now the work is linear in the line.
        """
        units = []
        position, length = 0, len(sentence)
        while position < length:
            rest = length - position
            high = min(rest, max(budget, 1) * _CHARS_PER_TOKEN_GUESS)
            while high < rest and self._measure(sentence[position : position + high]) <= budget:
                high = min(rest, high * 2)
            low = 1
            while low < high:
                middle = (low + high + 1) // 2
                if self._measure(sentence[position : position + middle]) <= budget:
                    low = middle
                else:
                    high = middle - 1
            piece = sentence[position : position + low]
            units.append(_Unit(offset + position, offset + position + low, self._measure(piece),
                               strength))
            position, strength = position + low, 3
        return units

    def _pack(self, path: tuple[str, ...], units: list[_Unit], budget: int,
              room: int = MAX_CHUNKS_PER_FILE):
        """Greedy packing into (start char, end char, exact tokens), cut at strong boundaries;
        stops after ``room`` pieces.

        Each piece after the first may begin with a short tail of the previous one (``lead``).
        """
        totals = [0, *accumulate(unit.tokens for unit in units)]
        pieces = []
        first_new, lead, lead_tokens = 0, None, 0
        while first_new < len(units) and len(pieces) < room:
            end = first_new + 1
            while end < len(units) and lead_tokens + totals[end + 1] - totals[first_new] <= budget:
                end += 1
            if end < len(units):
                end = _best_cut(units, totals, first_new, end, budget - lead_tokens)
            start = units[first_new].start if lead is None else lead
            tokens = self._exact(path, start, units[end - 1].end)
            while tokens > self.max_tokens and end - 1 > first_new:
                end -= 1
                tokens = self._exact(path, start, units[end - 1].end)
            if tokens > self.max_tokens and lead is not None:
                lead, lead_tokens = None, 0  # the overlap made it too long: retry without
                continue
            if tokens > self.max_tokens and not units[first_new].atomic:
                finer = self._resplit(units[first_new], tokens - self.max_tokens)
                if len(finer) > 1:  # estimates are not additive: cut the unit smaller
                    units[first_new : first_new + 1] = finer
                    totals = [0, *accumulate(unit.tokens for unit in units)]
                    continue
            first_char, last_char = self._trim(start, units[end - 1].end)
            if last_char > first_char:
                pieces.append((first_char, last_char, tokens))
            if end >= len(units):
                break
            lead, lead_tokens = self._overlap(units[end - 1], units[end].tokens, budget)
            first_new = end
        return pieces

    def _resplit(self, unit: _Unit, overshoot: int) -> list[_Unit]:
        text = self.layout.text[unit.start : unit.end]
        return self._filled(self._hard_units(text, unit.start, unit.break_before,
                                             max(1, unit.tokens - overshoot)))

    def _filled(self, units: list[_Unit]) -> list[_Unit]:
        """Without the pieces of a cut line that hold only spaces."""
        return [unit for unit in units if self.layout.text[unit.start : unit.end].strip()]

    def _overlap(self, last: _Unit, next_tokens: int, budget: int) -> tuple[int | None, int]:
        """Where the next piece starts: repeating ``last`` (a line or sentence) if it is short.

        Whole units only, so that pieces made of whole lines stay whole lines.
        """
        if last.atomic or last.tokens > self.overlap_tokens or last.tokens + next_tokens > budget:
            return None, 0
        return last.start, last.tokens


def _best_cut(units: list[_Unit], totals: list[int], first_new: int, end: int, budget: int) -> int:
    """The strongest boundary (latest among equals) that leaves the piece at least half full."""
    best, best_key = end, None
    for cut in range(first_new + 1, end + 1):
        if totals[cut] - totals[first_new] < budget // 2:
            continue
        key = (units[cut].break_before if cut < len(units) else -1, -cut)
        if best_key is None or key < best_key:
            best, best_key = cut, key
    return best
