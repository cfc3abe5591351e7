"""Hubs: passages that sit near *every* question of one language, and so answer none.

multilingual-e5 puts text with little language in it -- a 200-line Keras model summary in a code
fence, a layer table, a run of formulas -- between the languages, nearer a Chinese question than
the English prose that answers it. On a held-out library of English notes
(``tests/data/dev3_README.md``) 10 of 12 Chinese questions found the same Keras summary first
(hybrid Hit@1 0.143 for them, against 0.806 for the English questions), and the quote shown
0.3 s after the question comes from that search.

The correction is the one bilingual word retrieval uses for the same effect (CSLS, Conneau et
al. 2018, "Word translation without parallel data": rank by 2 cos(q, p) - r(p), i.e. cos(q, p) -
r(p) / 2): a passage's *hubness* r(p) in a language is its mean cosine to fixed probe questions
in that language that no study library covers (cooking, travel, flu: ``OFFTOPIC_QUESTIONS``),
measured from the library's median, and a passage written in another language than the question
ranks by its cosine minus ``HUB_WEIGHT`` times that. Nothing is fitted: the probes are fixed
questions and the weight is CSLS's own one half. A passage in the question's own language is
left alone: within one language e5's cosines already compare, and there the correction cost
the public dev2 library two questions at rank 1 (benchmarks/results/retrieval_dev2.md).

>>> import numpy as np
>>> vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
>>> hubs = measure_hubs([1, 2, 3], vectors, {1: "en", 2: "en", 3: "en"},
...                     {"zh": np.array([[0.6, 0.8]], dtype=np.float32)})
>>> round(hubs.penalty(2, "zh"), 2), hubs.penalty(2, "en")
(0.1, 0.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.cross_language import LANGUAGES, passage_language
from index.scored import ScoredId

HUB_WEIGHT = 0.5  # CSLS: cos(q, p) - r(p) / 2
OFFTOPIC_QUESTIONS = (
    "如何做红烧肉？", "今天天气怎么样？", "去北京旅游有哪些景点？", "足球比赛的越位规则是什么？",
    "怎样缓解感冒症状？", "唐朝是哪一年建立的？", "How do I bake sourdough bread?",
    "What is the best time to visit Japan?", "How does a mortgage work?",
    "Who won the 1998 football World Cup?", "How do I change a car tyre?",
    "What are the symptoms of the flu?",
)
"""Everyday questions no study library covers, in both languages: the probes of hubness here,
and where "unrelated" sits in a library's cosine band for coverage (``assistant.coverage``)."""


@dataclass(frozen=True)
class Hubs:
    """Each passage's hubness for questions in each language, and the passage's language."""

    by_language: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    language_of: Mapping[int, str] = field(default_factory=dict)

    def penalty(self, chunk_id: int, query_language: str) -> float:
        """What the passage loses in the dense ranking for a question in ``query_language``."""
        if self.language_of.get(chunk_id, query_language) == query_language:
            return 0.0
        return HUB_WEIGHT * self.by_language.get(query_language, {}).get(chunk_id, 0.0)

    def demote(self, dense: Sequence[ScoredId], query: str) -> list[ScoredId]:
        """``dense`` re-ordered by cosine minus each passage's penalty for ``query``."""
        language = passage_language(query)
        scored = [ScoredId(hit.id, hit.score - self.penalty(hit.id, language)) for hit in dense]
        return sorted(scored, key=lambda hit: -hit.score)


def probe_vectors(embed_queries: Callable[[list[str]], np.ndarray]) -> dict[str, np.ndarray]:
    """The probe questions embedded as queries, by language."""
    probes = {language: [q for q in OFFTOPIC_QUESTIONS if passage_language(q) == language]
              for language in LANGUAGES}
    return {language: np.asarray(embed_queries(questions), dtype=np.float32)
            for language, questions in probes.items() if questions}


def measure_hubs(
    ids: Sequence[int],
    vectors: np.ndarray,
    language_of: Mapping[int, str],
    probes: Mapping[str, np.ndarray],
) -> Hubs:
    """Hubness of every passage (``vectors``: one unit row per id) for each probe language."""
    by_language = {}
    for language, probe in probes.items():
        if len(ids) == 0 or len(probe) == 0:
            continue
        mean_cosine = (np.asarray(vectors, dtype=np.float32) @ probe.T).mean(axis=1)
        centred = mean_cosine - float(np.median(mean_cosine))
        by_language[language] = {int(i): float(h) for i, h in zip(ids, centred, strict=True)}
    return Hubs(by_language, dict(language_of))
