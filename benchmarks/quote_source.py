"""Which section the quote the student reads comes from: the first search's (shown within
0.3 s) or the prompt's first section (after the search in the notes' other language). No LLM:
translations come from ``tests/data/translations.json``.

    python -m benchmarks.quote_source --home H --notes examples/notes \\
        --questions tests/data/dev_questions.jsonl

For each question: is the first quote's section gold, and is the quote ``Explanation`` ends
with (``assistant.explain.quote_among`` over the prompt's sections) gold; by language pair.
``--dump F`` writes each final quote (location, kind, line numbers, text) as JSONL, to diff two
versions or to score against ``tests/data/answer_lines/`` (``benchmarks.quote_lines``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from assistant.budget import query_terms
from assistant.explain import (
    CANDIDATES,
    asked_in_notes_language,
    choose_passages,
    quote_among,
    quote_of,
    retrieve,
)
from assistant.paragraph_vectors import quoting_embedder, save_paragraph_vectors
from assistant.passage_extra import closer_section
from assistant.query_translation import search_across_languages
from assistant.retrieval import Passage
from assistant.whole_sections import whole_sections
from benchmarks.bench_retrieval_translation import _NoModel, pair_of
from ground.settings import Settings
from index import evaluation
from index.cross_language import language_shares
from index.library import Library

PROMPT_SECTIONS = 2  # as assistant.explain's default prompt_passages


def is_gold(quote, pool, gold) -> bool:
    """Whether ``quote`` comes from a gold section (``pool``: chunk id -> hit)."""
    hit = pool.get(quote.citation.chunk_id) if quote is not None else None
    return hit is not None and evaluation.first_gold_rank([hit], gold) == 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--notes", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--translations", type=Path, default=Path("tests/data/translations.json"))
    parser.add_argument("--dump", type=Path,
                        help="write each question's final quote (location, kind, text) as JSONL")
    args = parser.parse_args()
    dumped: list[str] = []
    stored = json.loads(args.translations.read_text(encoding="utf-8"))
    raws = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    questions = evaluation.load_questions(args.questions)
    settings = Settings.load().replace(home=args.home)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with Library.open(settings) as library:
        library.ingest([args.notes])
        save_paragraph_vectors(library)  # as `study ingest` does
        embedder = quoting_embedder(library)  # as the product quotes
        shares = language_shares(chunk.text for chunk in library.chunks())
        for raw, question in zip(raws, questions, strict=True):
            query = question.query
            hits, _ = retrieve(library, query, max(settings.top_k, CANDIDATES), "hybrid")
            terms = query_terms(query)
            first = quote_of(query, terms, choose_passages(hits, PROMPT_SECTIONS), embedder)
            translations = {t: v for t, v in (stored.get(query) or {}).items() if v}
            found = search_across_languages(library, _NoModel(), query, len(hits), shares,
                                            translations, searched=hits)
            sections = choose_passages(found, PROMPT_SECTIONS)
            sections = whole_sections(sections + closer_section(found, sections, embedder,
                                                                query, terms))
            passages = [Passage(i, hit, hit.chunk.text) for i, hit in enumerate(sections, 1)]
            asked = asked_in_notes_language(query, translations, passages)  # as the product
            final = quote_among(first, passages, asked, query_terms(asked), embedder)
            pool = {hit.chunk.id: hit for hit in hits + sections}
            first_gold = is_gold(first, pool, question.gold)
            final_gold = is_gold(final, pool, question.gold)
            dumped.append(json.dumps({"query": query, "gold": final_gold,
                                      "location": final and final.location(),
                                      "kind": final and final.kind,
                                      "lines": final and [q.line for q in final.lines],
                                      "text": final and final.text}, ensure_ascii=False))
            for key in (pair_of(raw), "all"):
                counts = tally[key]
                counts[0] += 1
                counts[1] += first_gold
                counts[2] += final_gold
                counts[3] += (first and first.location()) != (final and final.location())
    if args.dump:
        args.dump.write_text("".join(line + "\n" for line in dumped), encoding="utf-8")
    print("| question -> notes | n | first quote gold | final quote gold | changed |")
    print("| --- | --- | --- | --- | --- |")
    for key in sorted(tally, key=lambda k: (k != "all", k)):
        n, first_gold, final_gold, changed = tally[key]
        print(f"| {key} | {n} | {first_gold} | {final_gold} | {changed} |")


if __name__ == "__main__":
    main()
