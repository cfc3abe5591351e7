"""Synthetic libraries for the search benchmark: chunk texts and embedding-like vectors.

Texts: the sample notes are split into sentences; each synthetic chunk joins 6-12 sentences
drawn at random (~350 characters), then replaces 5% of its CJK characters with characters
drawn from the notes' own character frequencies. Mixing keeps real sentence and term
statistics; the substitutions grow the vocabulary with the library the way new material does,
instead of repeating the same few thousand bigrams (which would make every posting list
unrealistically long).

Vectors (:func:`embedding_like`): a shared direction (e5 embeddings are anisotropic), plus a
subject, a section (5 chunks each), a 16-d within-section variation and a little isotropic
noise. The weights were fitted so that, at the sample notes' size (773 paragraphs), six
statistics match those of real multilingual-e5-small embeddings of the notes:

=====================  =======  =========
statistic              e5       synthetic
=====================  =======  =========
median pair cosine     0.882    0.88
median 1-NN cosine     0.974    0.98
median 10-NN cosine    0.938    0.95
local intrinsic dim.   8.3      8.4
query top-1 cosine     0.953    0.96
query top-10 cosine    0.912    0.92
=====================  =======  =========

Queries are stored vectors moved by noise of norm 0.3 (a question is near, not on, a passage).
:func:`high_dimensional` is a harder stress set (48-d spread, local intrinsic dimension ~21)
on which approximate indexes lose recall; it bounds how wrong the fit could be.

:func:`derived_from_real` needs no fit: it grows a library from *real* embeddings (the sample
notes' chunks, embedded by the project's embedder) by mixing pairs of them and jittering along
their own principal directions, so real questions embedded by the same model can be searched
in it (see its docstring for how close its statistics stay to the real chunks').
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；])|\n+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def note_sentences(notes_dir: Path = NOTES) -> list[str]:
    sentences = []
    for path in sorted(notes_dir.glob("*.txt")):
        for piece in _SENTENCE_END.split(path.read_text(encoding="utf-8")):
            piece = piece.strip()
            if len(piece) >= 6:
                sentences.append(piece)
    return sentences


def chunk_texts(n: int, seed: int = 0, notes_dir: Path = NOTES) -> Iterator[str]:
    """``n`` synthetic chunk texts (a generator: 1e6 of them never sit in memory at once)."""
    rng = np.random.default_rng(seed)
    sentences = note_sentences(notes_dir)
    all_text = "".join(sentences)
    chars, counts = np.unique(np.array(_CJK.findall(all_text)), return_counts=True)
    char_p = counts / counts.sum()
    batch = 4096
    for start in range(0, n, batch):
        m = min(batch, n - start)
        sizes = rng.integers(6, 13, m)
        picks = rng.integers(0, len(sentences), int(sizes.sum()))
        replacement = iter(rng.choice(chars, size=m * 64, p=char_p).tolist())
        position = 0
        for size in sizes.tolist():
            text = list("".join(sentences[i] for i in picks[position : position + size]))
            position += size
            cjk_positions = [i for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff"]
            hits = rng.random(len(cjk_positions)) < 0.05
            for i, replace in zip(cjk_positions, hits, strict=True):
                if replace:
                    text[i] = next(replacement, "的")
            yield "".join(text)


def text_queries(n: int, seed: int = 1, notes_dir: Path = NOTES) -> list[str]:
    """Questions and remembered phrases: note headings, and 4-12 character spans of sentences."""
    rng = np.random.default_rng(seed)
    headings = [
        line.lstrip("#").strip()
        for path in sorted(notes_dir.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#") and len(line.strip("# ")) > 3
    ]
    sentences = note_sentences(notes_dir)
    queries = []
    for i in range(n):
        if i % 2 == 0:
            queries.append(headings[rng.integers(len(headings))])
        else:
            sentence = sentences[rng.integers(len(sentences))]
            length = int(rng.integers(4, 13))
            begin = int(rng.integers(0, max(1, len(sentence) - length)))
            queries.append(sentence[begin : begin + length])
    return queries


def _unit(rows: np.ndarray) -> np.ndarray:
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def embedding_like(n: int, dim: int = 384, seed: int = 0, batch: int = 100_000) -> np.ndarray:
    """``n`` unit vectors with the statistics of e5 passage embeddings (see module doc)."""
    rng = np.random.default_rng(seed)
    common = _unit(rng.standard_normal((1, dim)).astype(np.float32))[0]
    subjects = _unit(rng.standard_normal((max(4, n // 2000), dim)).astype(np.float32))
    n_sections = max(8, n // 5)
    subject_of_section = rng.integers(0, len(subjects), n_sections)
    sections = _unit(rng.standard_normal((n_sections, dim)).astype(np.float32))
    basis = _unit(rng.standard_normal((16, dim)).astype(np.float32))
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        section = rng.integers(0, n_sections, m)
        rows = common + 0.25 * subjects[subject_of_section[section]] + 0.2 * sections[section]
        rows += 0.15 * (rng.standard_normal((m, 16)).astype(np.float32) / 4.0) @ basis
        rows += 0.06 * rng.standard_normal((m, dim)).astype(np.float32) / np.sqrt(dim)
        out[start : start + m] = _unit(rows)
    return out


def high_dimensional(n: int, dim: int = 384, seed: int = 0, batch: int = 100_000) -> np.ndarray:
    """A harder set: topics plus a 48-d spread and more noise (local intrinsic dim ~21)."""
    rng = np.random.default_rng(seed)
    common = _unit(rng.standard_normal((1, dim)).astype(np.float32))[0]
    topics = _unit(rng.standard_normal((max(16, n // 100), dim)).astype(np.float32))
    basis = _unit(rng.standard_normal((48, dim)).astype(np.float32))
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        rows = 0.8 * common + 0.45 * topics[rng.integers(0, len(topics), m)]
        rows += 0.6 * (rng.standard_normal((m, 48)).astype(np.float32) / np.sqrt(48)) @ basis
        rows += 0.3 * rng.standard_normal((m, dim)).astype(np.float32) / np.sqrt(dim)
        out[start : start + m] = _unit(rows)
    return out


def near_queries(vectors: np.ndarray, n: int, noise: float = 0.3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = vectors[rng.integers(0, len(vectors), n)].copy()
    rows += noise * rng.standard_normal(rows.shape).astype(np.float32) / np.sqrt(vectors.shape[1])
    return _unit(rows)


#: :func:`derived_from_real`: a row moves at most this far towards a second real chunk, ...
MIX_AT_MOST = 0.5
#: ... is jittered by this share of the real chunks' spread along each principal direction ...
PRINCIPAL_JITTER = 0.5
#: ... plus isotropic noise of about this norm.
ISOTROPIC_NOISE = 0.05


def derived_from_real(seeds: np.ndarray, n: int, seed: int = 0, batch: int = 100_000) -> np.ndarray:
    """``n`` unit vectors grown from real embeddings ``seeds`` (rows of norm 1).

    Each row is a real chunk moved a uniform 0-``MIX_AT_MOST`` of the way towards another
    real chunk (new material mixes known topics), jittered in the principal subspace of the
    seeds with ``PRINCIPAL_JITTER`` times their spread (it varies the way real passages vary,
    keeping e5's anisotropy), plus a little isotropic noise. With the 152 sample chunks as
    seeds, 1,000 derived rows have median pair / 1-NN / 10-NN cosine 0.89 / 0.97 / 0.95
    against the real chunks' 0.88 / 0.96 / 0.92, and the 74 dev questions' top-1 cosine is
    0.89 both against the real chunks and against 1,000 derived rows (0.91 at 100,000).
    The seeds span at most ``len(seeds) - 1`` directions, so at 1e6 rows this is a library of
    many rephrasings of few topics rather than of a million distinct passages.
    """
    rng = np.random.default_rng(seed)
    seeds = np.asarray(seeds, dtype=np.float32)
    centred = seeds - seeds.mean(axis=0)
    _, singular_values, directions = np.linalg.svd(centred, full_matrices=False)
    spread = (singular_values / np.sqrt(max(1, len(seeds) - 1))).astype(np.float32)
    dim = seeds.shape[1]
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        base = seeds[rng.integers(0, len(seeds), m)]
        partner = seeds[rng.integers(0, len(seeds), m)]
        towards = rng.uniform(0.0, MIX_AT_MOST, (m, 1)).astype(np.float32)
        rows = (1 - towards) * base + towards * partner
        jitter = rng.standard_normal((m, len(spread))).astype(np.float32) * spread
        rows += PRINCIPAL_JITTER * jitter @ directions
        rows += ISOTROPIC_NOISE * rng.standard_normal((m, dim)).astype(np.float32) / np.sqrt(dim)
        out[start : start + m] = _unit(rows)
    return out
