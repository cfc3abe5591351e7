"""One small reader per format: file bytes -> the text the chunker cuts (markdown-ish).

Markdown and plain text are decoded as they are, so chunk lines are the file's lines. HTML is
converted to markdown-ish text (headings become ``#`` lines, ``<pre>`` becomes a fence) so the
same section rules apply. PDF and Word files are parsed in a sandboxed subprocess
(``sandbox.py``): their parsers are large and the files untrusted.

Parsers, and why: ``pypdf`` (pure Python, maintained, no native code to crash the process, text
per page), ``python-docx`` (the maintained reader of .docx, heading styles exposed),
``beautifulsoup4`` with the stdlib ``html.parser`` (tolerant of broken markup, no native
parser needed), ``charset-normalizer`` (pure Python, only to tell GB18030 from Big5).
"""

from __future__ import annotations

from pathlib import Path

from ground.errors import IngestError
from ingest.readers.extracted import ExtractedText

FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}


def format_of(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def extract(data: bytes, fmt: str) -> ExtractedText:
    """The document's text, or ``IngestError`` with the reason it has none."""
    if fmt in ("md", "txt"):
        from ingest.readers.text_reader import read_text

        extracted = read_text(data, fmt)
    elif fmt == "html":
        from ingest.readers.html_reader import read_html

        extracted = read_html(data)
    elif fmt in ("pdf", "docx"):
        from ingest.readers.sandbox import read_sandboxed

        extracted = read_sandboxed(data, fmt)
    else:
        raise IngestError(f"unsupported format '{fmt}'")
    if not extracted.text.strip():
        raise IngestError("no text: the file holds only whitespace" if fmt in ("md", "txt")
                          else "no text could be extracted (scanned or empty document?)")
    return extracted


__all__ = ["FORMATS", "ExtractedText", "extract", "format_of"]
