"""Helpers shared by the ingestion tests: the real token counter, snapshots, tiny PDFs."""

from __future__ import annotations

import re
import time
import zlib
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from ingest.store import Store
from ingest.token_count import TokenCounter, load_token_counter

QUESTION_HEADING = re.compile(r"^#{3,4} (题目 ?\d+：|\d+\. )")


@pytest.fixture(scope="session")
def token_counter(tokenizer_dir: Path) -> TokenCounter:
    """The real counter, from the converted bundled e5 model's tokenizer.json (the vocabulary
    only: the model's weights are never loaded, so tests using it stay fast)."""
    return load_token_counter(tokenizer_dir)


def question_lines(text: str) -> list[int]:
    """1-based lines of the sample notes' question headings, found without the ingest code."""
    lines, in_fence = [], False
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and QUESTION_HEADING.match(line):
            lines.append(number)
    return lines


def snapshot(store: Store) -> tuple:
    """Everything a bad file must leave untouched."""
    documents = tuple((d.id, d.source, d.sha256, d.chunk_count) for d in store.documents())
    chunks = tuple((c.id, c.doc_id, c.content_hash, c.start_line, c.group_id)
                   for c in store.chunks())
    return documents, chunks, tuple(store.duplicate_groups())


def write_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    """A minimal valid PDF with one Helvetica text line per entry (ASCII only)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    info = f"<< /Title ({title}) >>".encode() if title else b"<< >>"
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, lines in enumerate(pages):
        escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                   for line in lines]
        body = "BT /F1 11 Tf 14 TL 72 760 Td " + " ".join(f"({t}) Tj T*" for t in escaped) + " ET"
        stream = zlib.compress(body.encode("latin-1"))
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {page_ids[index] + 1}"
            f" 0 R /Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
                       + stream + b"\nendstream")
    objects.append(info)
    path.write_bytes(pdf_bytes(objects, f" /Info {len(objects)} 0 R"))
    return path


def pdf_bytes(objects: list[bytes], trailer_keys: str = "") -> bytes:
    """A PDF of ``objects`` (numbered from 1; the first is the catalog) with its cross-reference
    table; ``trailer_keys`` adds to the trailer, where ``{xref}`` stands for the table's offset."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    keys = trailer_keys.replace("{xref}", str(xref))
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{keys} >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def ingest_one(path: Path, settings, counter: TokenCounter) -> tuple:
    """Ingest one file into a fresh store: (report, chunks, seconds taken, chunk token counts)."""
    with Store.open(settings.home) as store:
        started = time.monotonic()
        report = ingest_paths(store, [path], settings, counter, max_tokens=counter.window)
        elapsed = time.monotonic() - started
        return report, store.chunks(), elapsed, dict(store.chunk_stats())
