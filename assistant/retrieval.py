"""What the assistant needs from the retrieval core, and the passages/citations it hands on.

``Retriever`` is the slice of ``index.library.Library`` the assistant uses (``search``,
``chunks`` and the ``embedder``, an ``index.embedder.Embedder``); tests and the UI pass the
real ``Library``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ground.records import Chunk, Hit
from index.embedder import Embedder


class Retriever(Protocol):
    embedder: Embedder

    def search(self, query: str, k: int | None = None, mode: str | None = None) -> list[Hit]: ...

    def chunks(self) -> list[Chunk]: ...


@dataclass(frozen=True)
class Citation:
    """Where marker ``[number]`` points: a chunk and its place in the source file."""

    number: int
    chunk_id: int
    source: str
    heading: str
    start_line: int
    end_line: int
    page: int | None = None

    @classmethod
    def of(cls, number: int, hit: Hit) -> Citation:
        chunk = hit.chunk
        return cls(number, chunk.id, chunk.source, chunk.heading, chunk.start_line,
                   chunk.end_line, chunk.page)

    @property
    def location(self) -> str:
        """``file.md:12-20`` (``file.pdf p.3:12-20`` for paged sources)."""
        page = f" p.{self.page}" if self.page is not None else ""
        return f"{Path(self.source).name}{page}:{self.start_line}-{self.end_line}"

    def label(self) -> str:
        """One line for the sources list under an answer.

        >>> Citation(2, 7, "/n/a.md", "ML > L2", 3, 9).label()
        '[2] a.md:3-9 — ML > L2'
        """
        return f"[{self.number}] {self.location} — {self.heading}"

    def as_json(self) -> dict:
        return {"number": self.number, "chunk_id": self.chunk_id, "source": self.source,
                "heading": self.heading, "start_line": self.start_line,
                "end_line": self.end_line, "page": self.page}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as numbered in one prompt: ``excerpt`` is what the model reads."""

    number: int
    hit: Hit
    excerpt: str

    @property
    def citation(self) -> Citation:
        return Citation.of(self.number, self.hit)

    @property
    def text(self) -> str:
        return self.hit.chunk.text
