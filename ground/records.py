"""Plain data passed between the pipeline's steps (frozen dataclasses, no dicts of dicts)."""

from __future__ import annotations

from dataclasses import dataclass

from ground.links import readable

HEADING_SEPARATOR = " > "


def embed_text_of(heading_path: tuple[str, ...], text: str) -> str:
    """What gets embedded and indexed: the heading path gives a bare answer its topic; links
    and images are their text, a formula image its TeX (``ground.links``: dev7's encoded
    formula URLs were 27 % of its characters, and no reader or word index reads them).

    >>> embed_text_of(("笔记", "更新"), "见[教程](https://a.b/c)：![x^2](http://latex.codecogs.com/x)")
    '笔记 > 更新\\n见教程： $x^2$ '
    """
    return readable(f"{HEADING_SEPARATOR.join(heading_path)}\n{text}" if heading_path else text)


@dataclass(frozen=True)
class Location:
    """Where a passage stands in a source file (1-based, inclusive lines; page for PDFs)."""

    source: str
    start_line: int
    end_line: int
    page: int | None = None


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage, exactly as it stands in its source file."""

    id: int
    doc_id: int
    source: str  # the file's absolute path
    title: str  # the document title
    heading_path: tuple[str, ...]  # (document title, section, ..., question)
    start_line: int
    end_line: int
    start_char: int  # offsets into the decoded document text, end exclusive
    end_char: int
    text: str  # the exact source text shown to the user
    content_hash: str  # sha256 of embed_text: the embedding cache key
    group_id: int | None = None  # duplicate group, None when the chunk stands alone
    page: int | None = None

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)

    @property
    def embed_text(self) -> str:
        return embed_text_of(self.heading_path, self.text)

    @property
    def location(self) -> Location:
        return Location(self.source, self.start_line, self.end_line, self.page)


@dataclass(frozen=True)
class Hit:
    """A search result: one chunk (or duplicate group) with its score and other locations."""

    chunk: Chunk
    score: float  # the ranking score of the search mode (cosine, BM25 or fused)
    also_in: tuple[Location, ...] = ()  # the other places the same passage stands
    similarity: float | None = None  # cosine of query and passage, when the dense side saw it
    evidence: float | None = None  # that cosine in std devs above the library's background
    weak: bool = False  # no more than an unrelated query's best hit gets (index/evidence.py)
