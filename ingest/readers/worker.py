"""The sandboxed parser process: document bytes on stdin, one JSON object on stdout.

Run as ``python -m ingest.readers.worker FORMAT``. It prints ``{"text", "title",
"page_starts"}`` or ``{"error"}``; nothing is pickled in either direction.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    fmt = argv[1] if len(argv) > 1 else ""
    data = sys.stdin.buffer.read()
    if fmt == "pdf":
        from ingest.readers.pdf_reader import extract_pdf

        result = extract_pdf(data)
    elif fmt == "docx":
        from ingest.readers.docx_reader import extract_docx

        result = extract_docx(data)
    else:
        result = {"error": f"the sandbox cannot read format '{fmt}'"}
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
