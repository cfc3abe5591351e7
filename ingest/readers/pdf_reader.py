"""PDF -> text, page by page (runs inside the sandbox worker, see ``sandbox.py``).

Chunks of a PDF cite the page their first line is on; line numbers refer to the extracted text
(pages joined in order), since a PDF has no lines of its own.
"""

from __future__ import annotations

import io

from ingest.encoding import normalize_newlines


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
    page_starts, lines = [], 0
    for text in page_texts:
        page_starts.append(lines + 1)
        lines += text.count("\n") + 1
    return {
        "text": "\n".join(page_texts),
        "title": str(title).strip() if title else None,
        "page_starts": page_starts,
    }
