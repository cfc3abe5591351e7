"""Bytes -> text for notes: UTF-8 (with or without BOM), UTF-16/32 with BOM, GB18030 and Big5.

The set of encodings is closed on purpose. A detector that may answer "cp1252" or "latin-1"
decodes any byte string, so a binary or corrupt file would be ingested as mojibake; a closed
set turns such files into one clear ``SKIPPED`` line instead. GB18030 is a superset of GBK and
GB2312, so it covers both. Every Big5 byte sequence is also valid GB18030, so when both decode
strictly ``charset-normalizer`` (limited to those two) picks the one whose text is coherent.

Line endings are normalized to ``\\n`` so line numbers and character offsets mean the same for
every file, whichever platform wrote it.

>>> decode_text("迁移学习".encode("gbk")).text
'迁移学习'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ingest.errors import IngestError

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CJK_LEGACY = ("gb18030", "big5")
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # Cc minus \t\n\v\f\r
MAX_CONTROL_FRACTION = 0.01
"""More control characters than this (after decoding) means the file is binary, not text."""


@dataclass(frozen=True)
class DecodedText:
    text: str  # newline-normalized, without BOM
    encoding: str


def decode_text(data: bytes) -> DecodedText:
    """Decode note bytes, or raise ``IngestError`` saying why they are not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_strict(data[len(bom):], encoding), encoding)
    if b"\x00" in data:
        raise IngestError("binary file: contains NUL bytes")
    text = _strict(data, "utf-8")
    if text is not None:
        return _checked(text, "utf-8")
    decodings = {name: _strict(data, name) for name in _CJK_LEGACY}
    candidates = [name for name, text in decodings.items() if text is not None]
    if not candidates:
        raise IngestError("cannot decode text: not UTF-8, UTF-16, GB18030/GBK or Big5")
    encoding = candidates[0] if len(candidates) == 1 else _pick_legacy(data)
    return _checked(decodings[encoding], encoding)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _pick_legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes  # imported late: only legacy files need it

    best = from_bytes(data, cp_isolation=list(_CJK_LEGACY)).best()
    return best.encoding if best is not None and best.encoding in _CJK_LEGACY else "gb18030"


def _checked(text: str | None, encoding: str) -> DecodedText:
    if text is None:
        raise IngestError(f"cannot decode text: invalid {encoding} despite its byte-order mark")
    if "\x00" in text:
        raise IngestError("binary file: contains NUL characters")
    controls = len(_CONTROL_CHARACTERS.findall(text))
    if controls > MAX_CONTROL_FRACTION * len(text):
        raise IngestError(f"binary file: {controls} control characters")
    return DecodedText(normalize_newlines(text), encoding)
