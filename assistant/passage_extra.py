"""A third section for the model to read, when a lower-ranked one holds a closer answer.

The model reads the retriever's two best sections (``explain.choose_passages``). Sometimes a
section ranked lower states the answer more directly than both: its answer block (the lines
``extract_from_passage`` would quote) is closer, by e5 cosine, to the question than the answer
blocks of the two chosen sections. Then that section is read as well, as passage [3].

Measured without the model on every covered question of both dev sets whose gold section is in
the top 8 (28 Nov, ``benchmarks/passage_order.py`` features): two sections hold the gold one
for 56/68 (sample notes) and 39/46 (dev2); with this rule 59/68 and 40/46, adding a third
section to 14/68 and 11/46 prompts. Always adding the best block of the rest holds 63/68 and
40/46 but lengthens every prompt by ~250 tokens (~3 s of first token); replacing the second
section instead loses gold sections on dev2 (36/46).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.extractive import extract_from_passage
from assistant.retrieval import Embedder, Passage
from ground.records import Hit

BLOCK_CHARS = 240  # of each answer block, embedded (its head says what it answers)


def same_section(a: Hit, b: Hit) -> bool:
    return a.chunk.doc_id == b.chunk.doc_id and a.chunk.heading_path == b.chunk.heading_path


def answer_block(hit: Hit, terms: Sequence[str], question: str) -> str:
    """The lines the notes would quote from ``hit`` for ``question`` (its head)."""
    found = extract_from_passage(Passage(1, hit, hit.chunk.text), terms, question)
    return (found.text if found else hit.chunk.text)[:BLOCK_CHARS]


def closer_section(hits: Sequence[Hit], chosen: Sequence[Hit], embedder: Embedder | None,
                   question: str, terms: Sequence[str]) -> list[Hit]:
    """The chunks (among ``hits``) of the best section not in ``chosen`` whose answer block is
    closer to ``question`` than every chosen section's; ``[]`` when there is none."""
    if embedder is None or not chosen:
        return []
    rest = [h for h in hits if not any(same_section(h, c) for c in chosen)]
    if not rest:
        return []
    candidates = list(chosen) + rest
    vectors = np.asarray(embedder.embed_passages(
        [answer_block(h, terms, question) for h in candidates]))
    closeness = vectors @ np.asarray(embedder.embed_query(question))
    best_chosen = float(closeness[: len(chosen)].max())
    index = int(np.argmax(closeness[len(chosen):]))
    if float(closeness[len(chosen) + index]) <= best_chosen:
        return []
    winner = rest[index]
    return sorted((h for h in rest if same_section(h, winner)), key=lambda h: h.chunk.start_line)
