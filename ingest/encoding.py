"""Bytes -> text for notes: UTF-8 (with or without BOM), UTF-16/32 with BOM, GB18030 and Big5.

The set of encodings is closed on purpose. A detector that may answer "cp1252" or "latin-1"
decodes any byte string, so a binary or corrupt file would be ingested as mojibake; a closed
set turns such files into one clear ``SKIPPED`` line instead. GB18030 is a superset of GBK and
GB2312, so it covers both. Most Big5 byte sequences are also valid GB18030 and vice versa, so
when both decode strictly the one whose characters are the *common* ones of its script wins
(:func:`_pick_legacy`): GBK bytes read as Big5 land mostly among Big5's rare level-2 characters,
and Big5 bytes read as GB18030 mostly outside GB2312. A statistical detector alone was wrong for
short notes: it read 9 of 20 two-to-six-character GBK notes ("正则化", "学习率") as Big5.

Line endings are normalized to ``\\n`` so line numbers and character offsets mean the same for
every file, whichever platform wrote it.

>>> decode_text("迁移学习".encode("gbk")).text
'迁移学习'
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from ground.errors import IngestError

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
    """``gb18030`` or ``big5`` for bytes both decode: the reading made of common characters.

    A tie (both readings plausible, rare beyond a few characters) goes to ``charset-normalizer``
    when there is enough text for statistics, else to GB18030, the encoding of mainland notes.

    >>> _pick_legacy("正则化".encode("gbk")), _pick_legacy("正則化".encode("big5"))
    ('gb18030', 'big5')
    """
    as_gb = data.decode("gb18030")
    as_big5 = data.decode("big5")
    gb_score = _common_share(as_gb, _in_gb2312)
    big5_score = _common_share(as_big5, _in_big5_common)
    if big5_score != gb_score:
        return "big5" if big5_score > gb_score else "gb18030"
    if sum(ord(c) > 0x7F for c in as_gb) < MIN_STATISTICAL_CHARS:
        return "gb18030"
    from charset_normalizer import from_bytes  # imported late: only ambiguous long files need it

    best = from_bytes(data, cp_isolation=list(_CJK_LEGACY)).best()
    return best.encoding if best is not None and best.encoding in _CJK_LEGACY else "gb18030"


MIN_STATISTICAL_CHARS = 32
"""Below this many non-ASCII characters a statistical charset guess is not trusted."""


def _common_share(text: str, is_common) -> float:
    """Share of the non-ASCII characters of ``text`` that ``is_common`` accepts."""
    wide = [c for c in text if ord(c) > 0x7F]
    return sum(map(is_common, wide)) / len(wide) if wide else 1.0


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _in_big5_common(char: str) -> bool:
    """Big5 punctuation (A140-A3BF) or a level-1, frequently used, character (A440-C67E)."""
    try:
        code = int.from_bytes(char.encode("big5"), "big")
    except UnicodeEncodeError:
        return False
    return 0xA140 <= code <= 0xA3BF or 0xA440 <= code <= 0xC67E


def _checked(text: str | None, encoding: str) -> DecodedText:
    if text is None:
        raise IngestError(f"cannot decode text: invalid {encoding} despite its byte-order mark")
    if "\x00" in text:
        raise IngestError("binary file: contains NUL characters")
    controls = len(_CONTROL_CHARACTERS.findall(text))
    if controls > MAX_CONTROL_FRACTION * len(text):
        raise IngestError(f"binary file: {controls} control characters")
    return DecodedText(normalize_newlines(text), encoding)
