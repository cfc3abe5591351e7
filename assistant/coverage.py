"""Do the notes cover a question? The best cosine similarity against a calibrated threshold.

Fused hybrid scores only rank; the cosine between the e5 query and passage vectors
(``Hit.similarity``) says how close the best passage is. The e5 cosines sit in a narrow band
and run lower for an English question over Chinese notes, so the threshold depends on the
question's language.

Calibration (the real ``Library`` over ``examples/notes``, bundled multilingual-e5-small, best
``Hit.similarity`` of the top 5; ``tests/data/dev_questions.jsonl`` for relevant questions, 25
off-topic ones -- cooking, travel, sports, history, health -- for the rest; the language is
``detect_language``'s, so a mixed question with many English words counts as English):

==========  ===========================================  ==================================
language    relevant (dev set)                           off-topic
==========  ===========================================  ==================================
zh          53 questions: min 0.864, median 0.900        15: max 0.849 (今天天气怎么样？)
en          21 questions: min 0.793, median 0.835        10: max 0.789 (How does a mortgage
                                                         work?)
==========  ===========================================  ==================================

Thresholds sit between the two: 0.855 (zh) and 0.791 (en); all 99 questions are classified
right. The English margin is thin: an English question far from every note may be answered
"not covered" rather than invented, which is the safer mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.language import detect_language
from assistant.retrieval import Citation
from ingest.records import Hit

THRESHOLDS = {"zh": 0.855, "en": 0.791}
NEAREST_TOPICS = 3


@dataclass(frozen=True)
class Coverage:
    covered: bool
    score: float  # the best dense cosine
    threshold: float
    nearest: tuple[Citation, ...] = ()  # the closest sections, for a "not covered" reply


def best_similarity(hits: list[Hit]) -> float | None:
    """The highest query-passage cosine among ``hits`` (None when no dense side saw them)."""
    known = [hit.similarity for hit in hits if hit.similarity is not None]
    return max(known) if known else None


def assess_coverage(question: str, hits: list[Hit]) -> Coverage:
    """Covered when the best cosine reaches the question language's threshold."""
    threshold = THRESHOLDS[detect_language(question)]
    score = best_similarity(hits) or 0.0
    by_similarity = sorted(hits, key=lambda hit: -(hit.similarity or 0.0))
    nearest = tuple(Citation.of(i, hit) for i, hit in
                    enumerate(distinct_sections(by_similarity)[:NEAREST_TOPICS], start=1))
    return Coverage(score >= threshold, score, threshold, nearest)


def distinct_sections(hits: list[Hit]) -> list[Hit]:
    """Hits with repeated section titles removed (the same question appears in several files)."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        title = hit.chunk.heading_path[-1] if hit.chunk.heading_path else hit.chunk.title
        if title not in seen:
            seen.add(title)
            kept.append(hit)
    return kept
