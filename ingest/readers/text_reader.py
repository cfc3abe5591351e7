"""Markdown and plain-text notes: decoded bytes are the document text, line for line."""

from __future__ import annotations

from ingest.encoding import decode_text
from ingest.readers.extracted import ExtractedText


def read_text(data: bytes, fmt: str) -> ExtractedText:
    decoded = decode_text(data)
    return ExtractedText(decoded.text, fmt, decoded.encoding)
