"""PDF -> text, page by page (runs inside the sandbox worker, see ``sandbox.py``).

Chunks of a PDF cite the page their first line is on; line numbers refer to the extracted text
(pages joined in order), since a PDF has no lines of its own.
"""

from __future__ import annotations

import io
import re

from ingest.encoding import normalize_newlines

UNREADABLE_SHARE = 0.3
"""A PDF whose extracted text has more than this share of non-text characters (among the
non-space ones) is refused with one reason instead of going in as unsearchable chunks. Real
text, Chinese or English, formulas included, stays under 0.05; a text layer drawn with a font
that has no Unicode map comes out as control characters, private-use code points, U+FFFD and
Latin-1 mojibake ("æ·±åº¦å­¦ä¹ "), well over half of it."""

_MOJIBAKE = re.compile("[\u00c2-\u00ef][\u0080-\u00bf]+")
"""UTF-8 bytes read as Latin-1: a lead byte (Â-ï) followed by continuation bytes (U+0080-00BF).
Accented letters of real text ("résumé") are followed by letters, not by these."""


def unreadable_share(text: str) -> float:
    """Share of the non-space characters that cannot be text a person wrote.

    >>> unreadable_share("深度学习 deep learning")
    0.0
    >>> round(unreadable_share("\x01\x02\x03 \ue000\ue001 ab"), 2)
    0.71
    """
    text = "".join(text.split())
    if not text:
        return 0.0
    mojibake = sum(len(run) for run in _MOJIBAKE.findall(text))
    rest = _MOJIBAKE.sub("", text)
    return (mojibake + sum(1 for c in rest if _is_unreadable(c))) / len(text)


def _is_unreadable(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0 or 0xE000 <= code <= 0xF8FF or code == 0xFFFD


def extract_pdf(data: bytes) -> dict:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return {"error": "encrypted PDF (a password is needed)"}
        page_texts = [normalize_newlines(page.extract_text() or "").strip("\n")
                      for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except FileNotDecryptedError:
        return {"error": "encrypted PDF (a password is needed)"}
    except LimitReachedError:  # pypdf's cap on inflated stream sizes: a decompression bomb
        return {"error": "suspicious PDF: a stream inflates past the parser's size limit "
                         "(decompression bomb?)"}
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, ZeroDivisionError) as error:
        return {"error": f"not a readable PDF ({type(error).__name__}: {error})"[:300]}
    share = unreadable_share("".join(page_texts))
    if share > UNREADABLE_SHARE:
        return {"error": f"the PDF's text layer is unreadable ({share:.0%} of its characters are "
                         "not text; a font without a Unicode map?): OCR it or add the source "
                         "document instead"}
    page_starts, lines = [], 0
    for text in page_texts:
        page_starts.append(lines + 1)
        lines += text.count("\n") + 1
    return {
        "text": "\n".join(page_texts),
        "title": str(title).strip() if title else None,
        "page_starts": page_starts,
    }
