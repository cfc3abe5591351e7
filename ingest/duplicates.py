"""Group chunks that repeat the same item, so search shows one hit with ``also_in`` locations.

The rule, measured on the sample notes (character 3-gram Jaccard of the normalized texts):

* **Exact duplicates** share a group: same text after NFKC, lower-casing, dropping item
  numbers from headings (``题目 16：`` vs ``题目 27：``) and everything but letters and digits
  (so markup, punctuation and line breaks do not matter). The sample has eight such pairs.
* **Near duplicates** share a group when both hold for a chunk and the group's representative:
  the *same question* (the last heading, without numbering, parenthetical glosses such as
  ``（Transfer Learning）`` and punctuation, is equal, or one begins or ends the other) and a
  Jaccard similarity of at least ``NEAR_DUPLICATE_JACCARD``.

Why the question gate: templated answers to *different* questions are textually close (001's
"如何处理音频和文本数据" vs "…视频和文本数据" score 0.83, above several genuine repeats), and
folding them together would hide a question from search. Why 0.7: among same-question pairs
the scores fall into repeats with small edits (1.00 ×8, 0.97, 0.97, 0.86, 0.85, 0.82, 0.72) and
answers that were rewritten or extended (0.63 and below: 0.63, 0.62, 0.57, 0.54, 0.51, 0.45,
0.28 …); 0.7 sits in the widest gap. For the eight 迁移学习 items this gives one group,
000 #16 with 000 #27 (0.85: the same list of methods and steps with a reworded 解析); 000 #6
(0.51, a shorter answer without the steps), 002 #9 and #20 (under 0.2: different text, one with
code), 004 #7 and #27 (0.28) and 001 #5 (another question) stay on their own, since each says
something the others do not.

Groups are formed greedily in library order (document id, then position): each chunk joins the
most similar earlier *representative*, so every member is close to the one shown, and chains
A~B~C with A far from C cannot form. The representative is the earliest member; the group id is
its chunk id, so ids survive re-grouping when the representative does. Candidates come from a
bottom-k sketch (the ``SKETCH_SIZE`` smallest CRC32s of the 3-grams) stored per chunk, so
re-grouping reads no chunk text except for candidate pairs.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import struct
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

NGRAM = 3
SKETCH_SIZE = 32
MIN_SHARED_SKETCH = 2
NEAR_DUPLICATE_JACCARD = 0.7
MAX_POSTING = 512
"""Sketch values held by more chunks (under one question) than this suggest no duplicate."""

_ITEM_NUMBER = r"(?:题目|问题|question|q)?\s*\d+\s*"
_HEADING_NUMBER = re.compile(rf"^\s*#{{1,6}}\s*(?:{_ITEM_NUMBER}[.．、:：)）]?\s*)?", re.I | re.M)
_NOT_ALNUM = re.compile(r"[\W_]+")
MIN_CONTAINED_QUESTION = 4


@dataclass(frozen=True)
class Fingerprint:
    norm_hash: str
    sketch: bytes  # little-endian uint32 values, ascending


@dataclass(frozen=True)
class Candidate:
    """What grouping needs to know about one chunk (no text: that is loaded on demand)."""

    chunk_id: int
    order: tuple[int, int]  # (document id, ordinal): library order
    question: str  # question_key of its heading path
    fingerprint: Fingerprint


@dataclass(frozen=True)
class DuplicateGroup:
    representative: int  # chunk id; also the group id
    members: tuple[int, ...]  # representative first, then library order
    kind: str  # "exact" when every member has the representative's normalized text


def normalized(text: str) -> str:
    text = _HEADING_NUMBER.sub("", unicodedata.normalize("NFKC", text).lower())
    return _NOT_ALNUM.sub("", text)


def shingles(text: str) -> set[str]:
    norm = normalized(text)
    if len(norm) <= NGRAM:
        return {norm}
    return {norm[i : i + NGRAM] for i in range(len(norm) - NGRAM + 1)}


def fingerprint(text: str) -> Fingerprint:
    norm = normalized(text)
    grams = {norm[i : i + NGRAM] for i in range(max(1, len(norm) - NGRAM + 1))}
    values = heapq.nsmallest(SKETCH_SIZE, {zlib.crc32(g.encode("utf-8")) for g in grams})
    digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
    return Fingerprint(digest, struct.pack(f"<{len(values)}I", *values))


def sketch_values(sketch: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(sketch) // 4}I", sketch)


def same_question(a: str, b: str) -> bool:
    """Equal question keys, or one begins or ends the other ("什么是BERT" / "什么是BERT模型")."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= MIN_CONTAINED_QUESTION and (
        long.startswith(short) or long.endswith(short)
    )


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_duplicates(
    candidates: Iterable[Candidate],
    load_texts: Callable[[list[int]], dict[int, str]],
    threshold: float = NEAR_DUPLICATE_JACCARD,
) -> list[DuplicateGroup]:
    """Exact and near-duplicate groups of two or more chunks (see the module docstring)."""
    ordered = sorted(candidates, key=lambda c: (c.order, c.chunk_id))
    rank = {c.chunk_id: index for index, c in enumerate(ordered)}
    by_id = {c.chunk_id: c for c in ordered}
    neighbours = _neighbours(ordered)
    earlier_pairs = [(chunk_id, other) for chunk_id, others in neighbours.items()
                     for other in others if rank[other] < rank[chunk_id]]
    texts = load_texts(sorted({i for pair in earlier_pairs for i in pair}))
    grams: dict[int, set[str]] = {}

    def grams_of(chunk_id: int) -> set[str]:
        if chunk_id not in grams:
            grams[chunk_id] = shingles(texts[chunk_id])
        return grams[chunk_id]

    leader: dict[int, int] = {}
    first_with_text: dict[str, int] = {}
    for chunk in ordered:
        twin = first_with_text.setdefault(chunk.fingerprint.norm_hash, chunk.chunk_id)
        if twin != chunk.chunk_id:
            leader[chunk.chunk_id] = leader.get(twin, twin)
            continue
        scored = [
            (jaccard(grams_of(chunk.chunk_id), grams_of(other_id)), -rank[other_id], other_id)
            for other_id in neighbours[chunk.chunk_id]
            if rank[other_id] < rank[chunk.chunk_id]
            and other_id not in leader
            and same_question(chunk.question, by_id[other_id].question)
        ]
        if scored and max(scored)[0] >= threshold:
            leader[chunk.chunk_id] = max(scored)[2]
    members: dict[int, list[int]] = defaultdict(list)
    for chunk in ordered:
        if chunk.chunk_id in leader:
            members[leader[chunk.chunk_id]].append(chunk.chunk_id)
    groups = []
    for representative, followers in members.items():
        rep_hash = by_id[representative].fingerprint.norm_hash
        exact = all(by_id[f].fingerprint.norm_hash == rep_hash for f in followers)
        groups.append(DuplicateGroup(representative, (representative, *followers),
                                     "exact" if exact else "near"))
    return sorted(groups, key=lambda g: rank[g.representative])


def _neighbours(ordered: list[Candidate]) -> dict[int, list[int]]:
    """For each chunk, the chunks that may be its near duplicates: a question passing the gate
    and at least ``MIN_SHARED_SKETCH`` shared sketch values (looked up per question, so a big
    library costs little more than its largest run of chunks under one heading)."""
    by_question: dict[str, list[Candidate]] = defaultdict(list)
    for chunk in ordered:
        by_question[chunk.question].append(chunk)
    postings: dict[str, dict[int, list[int]]] = {}
    for question, chunks in by_question.items():
        postings[question] = defaultdict(list)
        for chunk in chunks:
            for value in sketch_values(chunk.fingerprint.sketch):
                postings[question][value].append(chunk.chunk_id)
    related = _related_questions(list(by_question))
    neighbours: dict[int, list[int]] = {}
    for chunk in ordered:
        shared: Counter[int] = Counter()
        for question in related[chunk.question]:
            for value in sketch_values(chunk.fingerprint.sketch):
                holders = postings[question].get(value)
                if holders and len(holders) <= MAX_POSTING:
                    shared.update(holders)
        neighbours[chunk.chunk_id] = [
            other for other, count in shared.items()
            if other != chunk.chunk_id and count >= MIN_SHARED_SKETCH
        ]
    return neighbours


def _related_questions(questions: list[str]) -> dict[str, list[str]]:
    """Each question key with the keys ``same_question`` accepts for it (itself included)."""
    known = set(questions)
    related: dict[str, list[str]] = {question: [question] for question in questions}
    for question in questions:
        for size in range(MIN_CONTAINED_QUESTION, len(question)):
            for part in {question[:size], question[-size:]}:
                if part in known:
                    related[part].append(question)
                    related[question].append(part)
    return related
