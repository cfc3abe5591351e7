"""Do the lines that answer reach the model? Prompt passages scored against the blind answer
lines (no generation; the LLM is opened only to count tokens).

    python -m benchmarks.prompt_parts --library dev2 --home H [--budget 600] [--fair-first]

For every covered question with an annotation in ``tests/data/answer_lines/<set>.jsonl``: the
sections the explanation would choose (its search across the library's languages, replaying the
question's stored translation from ``tests/data/translations.json``), then the prompt's passages as
``explain.build_prompt`` cuts them. A part is "in the prompt" when one of its answering lines is
in a prompt passage from its file (compacted as the prompt writes it), "whole" when all of them
are, and "in the sections" when one of them lies in a chosen section at all.
``--fair-first`` measures the rule before session 35, where passage [1] too reserved a fair
share for each passage after it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

from assistant import explain
from assistant.budget import query_terms
from assistant.facade import Assistant
from assistant.library_profile import profile_of
from assistant.passage_extra import closer_section
from assistant.prompts import compact
from assistant.query_translation import search_across_languages
from benchmarks.bench_answers import DATA, load_questions, open_library

_SPACE = re.compile(r"\s+")
STORED = json.loads((DATA / "translations.json").read_text(encoding="utf-8"))


def fair_first_share(texts, overheads, budget, count, terms, cap=None):
    """``explain.share_budget`` before session 35: every passage, the first too, counts each
    later one at up to a fair share of what remains."""
    costs = [count(text) for text in texts]
    kept, remaining = [], budget
    for index, (text, overhead) in enumerate(zip(texts, overheads, strict=True)):
        later = range(index + 1, len(texts))
        fair = remaining // max(len(later) + 1, 1)
        room = remaining - sum(min(costs[j] + overheads[j], fair) for j in later) - overhead
        if cap is not None:
            room = min(room, cap)
        part = explain.fit_in(text, costs[index], room, count, terms)
        kept.append(part)
        if part:
            remaining -= (costs[index] if part is text else count(part)) + overhead
    return kept


def squeezed(text: str) -> str:
    return _SPACE.sub("", text)


def part_counts(passages, part: dict, notes: Path) -> tuple[bool, bool, bool]:
    """(one of the part's answering lines reaches the prompt, all of them do, one of them lies
    in a chosen section)."""
    lines = (notes / part["file"]).read_text(encoding="utf-8").split("\n")
    wanted = [(n, squeezed(compact(lines[n - 1]))) for n in part["lines"] if n <= len(lines)]
    wanted = [(n, text) for n, text in wanted if len(text) >= 4]
    same = [p for p in passages if Path(p.hit.chunk.source).name == part["file"]]
    shown = [any(text in squeezed(p.excerpt) for p in same) for _, text in wanted]
    inside = any(p.hit.chunk.start_line <= n <= p.hit.chunk.end_line
                 for p in same for n, _ in wanted)
    return any(shown), bool(shown) and all(shown), inside


def measure(library, generator, item, annotation, budget, notes):
    question = item["query"]
    hits = library.search(question, k=max(explain.CANDIDATES, explain.PROMPT_PASSAGES))
    found = search_across_languages(library, generator, question, len(hits),
                                    profile_of(library).passage_languages,
                                    translations=STORED.get(question) or {}, searched=hits)
    terms = query_terms(question)
    sections = explain.choose_passages(found, explain.PROMPT_PASSAGES)
    sections += closer_section(found, sections, library.embedder, question, terms)
    everything = [explain.Passage(i, h, h.chunk.text) for i, h in enumerate(sections, 1)]
    passages, messages, _ = explain.build_prompt(
        generator, sections, question, item["lang"], [], explain.EXPLAIN_MAX_TOKENS, budget,
        None, terms)
    parts = [p for p in annotation["parts"] if p["lines"]]
    shown = [part_counts(passages, p, notes) for p in parts]
    inside = sum(part_counts(everything, p, notes)[2] for p in parts)
    return (sum(s[0] for s in shown), sum(s[1] for s in shown), inside, len(parts),
            generator.count_prompt(messages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--notes", help="the library's folder (default /work/devnotes/<set>)")
    parser.add_argument("--budget", type=int, default=explain.PROMPT_BUDGET)
    parser.add_argument("--fair-first", action="store_true")
    args = parser.parse_args()
    notes = Path(args.notes or f"/work/devnotes/{args.library}")
    annotations = {}
    for line in (DATA / "answer_lines" / f"{args.library}.jsonl").read_text().splitlines():
        record = json.loads(line)
        annotations[record["id"]] = record
    if args.fair_first:
        explain.share_budget = fair_first_share
    library, settings = open_library(args.home)
    generator = Assistant.open(library, settings).generator
    totals, sizes, per_question = [0, 0, 0, 0], [], {}
    for item in load_questions(args.library):
        if not item["covered"] or item["id"] not in annotations:
            continue
        *counts, tokens = measure(library, generator, item, annotations[item["id"]],
                                  args.budget, notes)
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
        sizes.append(tokens)
        per_question[item["id"]] = counts[:2]
    print(json.dumps({"library": args.library, "budget": args.budget,
                      "rule": "fair-first" if args.fair_first else "shipped",
                      "parts_in_prompt": totals[0], "parts_whole_in_prompt": totals[1],
                      "parts_in_sections": totals[2], "parts": totals[3], "questions": len(sizes),
                      "median_prompt_tokens": statistics.median(sizes) if sizes else None,
                      "per_question": per_question}, ensure_ascii=False))


if __name__ == "__main__":
    main()
