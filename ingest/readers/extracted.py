"""What every reader returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractedText:
    text: str  # newline-normalized; chunk offsets and lines refer to it
    format: str
    encoding: str | None = None  # of text formats
    title: str | None = None  # from metadata (HTML <title>, docx/PDF properties), if any
    page_starts: tuple[int, ...] = ()  # PDF: 1-based line where each page begins
