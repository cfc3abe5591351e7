"""Markdown and plain-text notes: decoded bytes are the document text, line for line (a
Markdown note's character references as their characters: ``char_refs``)."""

from __future__ import annotations

from ingest.encoding import decode_text
from ingest.readers.char_refs import decode_char_refs
from ingest.readers.extracted import ExtractedText


def read_text(data: bytes, fmt: str) -> ExtractedText:
    decoded = decode_text(data)
    text = decode_char_refs(decoded.text) if fmt == "md" else decoded.text
    return ExtractedText(text, fmt, decoded.encoding)
