"""Numbers a sentence states, compared by value: the claim checker's evidence that a passage
gives the numbers an answer gives (``citations.stated_numbers``).

The same value is often written differently by the notes and by the model: ``1e-8`` and
``10^{-8}``, ``50%`` and ``0.5``, ``1,000`` and ``1000``, full-width digits. A dotted run of
three or more parts (a version, a section or figure number: ``1.10.0``, ``图 2.8.7``) is
compared as written. A single digit is not a stated number (Chinese often writes it 三 or 两),
nor is a list item's number (``（12）``, ``12、``). Chinese numerals are not read.
Found by a review of the first, string-matching version (``benchmarks/results/review_s23.md``).

>>> same_number("1e-8", "建议缺省值为$10^{-8}$"), same_number("0.5", "保留 50% 的神经元")
(True, True)
>>> same_number("0.9", "分别为0.9和0.999"), same_number("0.99", "分别为0.9和0.999")
(True, False)
>>> numbers_in("（12）β1 取 0.90，版本 1.10.0，共 1,000 类", {"0.9"})
['1.10.0', '1,000']
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_NUMBER = (
    r"(?:10\s*\^\s*\{?\s*(?P<power>-?\d+)\s*\}?"  # 10^{-8}, 10^-8
    r"|(?P<mantissa>\d+(?:\.\d+)?)[eE](?P<exponent>[-+]?\d+)"  # 1e-8, 2.5e-4
    r"|(?P<plain>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)+|\d+)"  # 1,000 / 0.9 / 1.10.0 / 128
    r")(?P<percent>\s*%)?(?![0-9])"
)
_IN_CLAIM = re.compile(r"(?<![A-Za-z0-9_.])" + _NUMBER)  # not the 50 of ResNet50
_IN_PASSAGE = re.compile(r"(?<![0-9.])" + _NUMBER)  # the passage's VGG16 does say 16
_LIST_NUMBER = re.compile(r"^\s*(?:[（(]\s*\d{1,2}\s*[)）]|\d{1,2}\s*[、)）]|\d{1,2}\.(?=\s))\s*")
_MARKUP = re.compile(r"<[^>\n]*>|\]\([^)\n]*\)|https?://\S+")  # a width="60%" states nothing

Value = frozenset[float] | str


def _values(text: str, pattern: re.Pattern[str]) -> list[tuple[Value, str, bool]]:
    """(value, as written, stated) for each number in ``text``: the value is the set of
    numbers it may mean (a percentage both v and v/100), or the text of a dotted run."""
    text = re.sub(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "10^" + m.group(1).translate(_SUPERSCRIPT),
                  text)
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[Value, str, bool]] = []
    for match in pattern.finditer(text):
        plain = match.group("plain")
        if match.group("power"):
            value, stated = _scaled(1.0, match.group("power")), True
        elif match.group("mantissa"):
            value, stated = _scaled(float(match.group("mantissa")), match.group("exponent")), True
        elif plain.count(".") >= 2:
            found.append((plain, plain, True))
            continue
        else:
            value = float(plain.replace(",", ""))
            stated = "." in plain or len(plain.replace(",", "")) >= 2
        forms = {value} | ({value / 100} if match.group("percent") else set())
        found.append((frozenset(round(v, 12) for v in forms), match.group(0).strip(), stated))
    return found


def _scaled(mantissa: float, exponent: str) -> float:
    """``mantissa`` × 10^``exponent``; infinite past a float's range (a note's "1e400" or a
    digit run read as an exponent crashed the claim check, r47 dev4:c9).

    >>> _scaled(2.0, "3"), _scaled(1.0, "400"), _scaled(1.0, "-400")
    (2000.0, inf, 0.0)
    """
    try:
        return mantissa * 10.0 ** int(exponent)
    except (OverflowError, ValueError):  # ValueError: a run of over 4,300 digits
        return math.inf if not exponent.startswith("-") else 0.0


def _same(a: Value, b: Value) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return bool(a & b)


def numbers_in(sentence: str, given: Iterable[str] = ()) -> list[str]:
    """The numbers ``sentence`` states (as written), less those with the value of one in
    ``given`` (texts, e.g. the question)."""
    known = [v for text in given for v, _, _ in _values(text, _IN_CLAIM)]
    found: list[str] = []
    for value, written, stated in _values(_LIST_NUMBER.sub("", sentence), _IN_CLAIM):
        if stated and written not in found and not any(_same(value, k) for k in known):
            found.append(written)
    return found


def is_number(term: str) -> bool:
    """Whether a claim term is one of ``numbers_in``'s (the others are words)."""
    return unicodedata.normalize("NFKC", term)[:1].isdigit()


def same_number(written: str, text: str) -> bool:
    """Whether ``text`` (a passage) states the number ``written``, whatever its notation;
    markup (tags, link targets, addresses) states none."""
    value = _value_of(written)
    return value is not None and any(_same(value, other) for other in _passage_values(text))


def in_order(written: list[str], text: str) -> bool:
    """Whether ``text`` states the numbers ``written`` in that order: "β1 取 0.999，β2 取 0.9"
    swaps what "分别为0.9和0.999" says, in the passage's own words.

    >>> said = "建议缺省值分别为0.9和0.999"
    >>> in_order(["0.9", "0.999"], said), in_order(["0.999", "0.9"], said)
    (True, False)
    """
    wanted = [value for w in written if (value := _value_of(w)) is not None]
    at = 0
    for value in _passage_values(text):
        if at < len(wanted) and _same(wanted[at], value):
            at += 1
    return at == len(wanted)


def _value_of(written: str) -> Value | None:
    """The value of one number as ``numbers_in`` wrote it."""
    values = _values(written, _IN_CLAIM) or _values(written, _IN_PASSAGE)
    return values[0][0] if values else None


@functools.lru_cache(maxsize=256)
def _passage_values(text: str) -> tuple[Value, ...]:
    """The values a passage (or one of its sentences) states, in order; read once per text,
    as the checker asks about each number of each claim against the same passages."""
    return tuple(value for value, _, _ in _values(_MARKUP.sub(" ", text), _IN_PASSAGE))
