"""Word .docx -> markdown-ish text (heading styles become ``#`` lines; runs in the sandbox).

A .docx is a zip archive, so ``check_archive`` first reads its directory (cheap, in the parent)
and refuses archives that would inflate far beyond their size: a zip bomb is stopped before
any parser sees it. The worker's memory limit is the second line of defence.
"""

from __future__ import annotations

import io
import re
import zipfile

from ground.errors import IngestError

MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ENTRIES = 10_000
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def check_archive(data: bytes) -> None:
    """Raise ``IngestError`` unless ``data`` is a zip archive of sane proportions."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise IngestError(f"not a readable Word document (not a zip archive: {error})") from None
    if len(entries) > MAX_ENTRIES:
        raise IngestError(f"suspicious Word document: {len(entries)} archive entries")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IngestError(f"suspicious Word document: inflates to {total // 2**20} MB (zip bomb?)")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise IngestError(
                f"suspicious Word document: {entry.filename} compressed {ratio:.0f}:1 (zip bomb?)"
            )
    if "word/document.xml" not in {entry.filename for entry in entries}:
        raise IngestError("not a readable Word document (no word/document.xml)")


def extract_docx(data: bytes) -> dict:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.append(_table_text(item))
            else:
                blocks.append(_paragraph_text(item))
        title = document.core_properties.title
    except Exception as error:  # python-docx and lxml raise many kinds on broken files
        return {"error": f"not a readable Word document ({type(error).__name__}: {error})"[:300]}
    text = "\n\n".join(block for block in blocks if block.strip())
    return {"text": text, "title": title.strip() if title else None, "page_starts": []}


def _paragraph_text(paragraph) -> str:
    text = paragraph.text.replace("\r", "\n").strip()
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = _HEADING_STYLE.match(style.strip())
    if text and heading:
        return "#" * min(int(heading.group(1)), 6) + " " + " ".join(text.split())
    if text and style.strip().lower() == "title":
        return "# " + " ".join(text.split())
    if text and style.lower().startswith("list"):
        return "- " + text
    return text


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells = [" ".join(cell.text.split()) for cell in row.cells]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
