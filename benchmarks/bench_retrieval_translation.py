"""Retrieval with and without the question translated into the notes' other language.

Ingests a notes folder into ``--home`` (vectors come from the home's embedding cache when it
has them), then scores each dev question by hybrid search alone and by
``assistant.query_translation.search_across_languages`` (original + translation, routed merge),
per language pair (question language -> language of the gold notes).

    python -m benchmarks.bench_retrieval_translation --home /tmp/h-dev2 \\
        --notes /work/devnotes/dev2 --questions tests/data/dev2_questions.jsonl \\
        --translations tests/data/translations.json --translate

``--translate`` asks the LLM for every translation missing from ``--translations`` (and saves
them there, timing each); without it, missing ones are searched untranslated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from assistant.language import detect_language
from assistant.query_translation import search_across_languages, translate_query
from ground.settings import Settings
from index import evaluation
from index.cross_language import language_shares, languages_to_translate_into
from index.library import Library


def pair_of(raw: dict) -> str:
    notes = raw.get("notes_lang", ["zh"])
    return f"{detect_language(raw['query'])}->{'both' if len(notes) > 1 else notes[0]}"


def scores(ranks: list[int | None]) -> str:
    s = evaluation.score_ranks("", ranks)
    return f"{s.hit_at_1:.3f} / {s.hit_at_5:.3f} / {s.mrr_at_10:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--notes", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--translations", type=Path, required=True)
    parser.add_argument("--translate", action="store_true")
    args = parser.parse_args()

    settings = Settings.load().replace(home=args.home)
    stored = (json.loads(args.translations.read_text(encoding="utf-8"))
              if args.translations.exists() else {})
    raws = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    questions = evaluation.load_questions(args.questions)
    generator = None
    seconds: list[float] = []
    with Library.open(settings) as library:
        library.ingest([args.notes])
        shares = language_shares(chunk.text for chunk in library.chunks())
        print("passages by language:", {k: round(v, 3) for k, v in shares.items()})
        by_pair: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
        for raw, question in zip(raws, questions, strict=True):
            query = question.query
            targets = languages_to_translate_into(detect_language(query), shares)
            known = stored.setdefault(query, {})
            for target in targets:
                if target not in known and args.translate:
                    if generator is None:
                        from assistant.generator import open_generator
                        generator = open_generator(settings)
                        generator.complete(_warm_up())
                    started = time.perf_counter()
                    known[target] = translate_query(generator, query, target)
                    seconds.append(time.perf_counter() - started)
            translations = {t: known[t] for t in targets if known.get(t)}
            plain = library.search(query, k=evaluation.MRR_DEPTH)
            both = search_across_languages(library, _NoModel(), query, evaluation.MRR_DEPTH,
                                           shares, translations)
            for mode, hits in (("hybrid", plain), ("hybrid+translation", both)):
                rank = evaluation.first_gold_rank(hits, question.gold)
                by_pair[mode][pair_of(raw)].append(rank)
                by_pair[mode]["all"].append(rank)
    if args.translate:
        args.translations.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    if seconds:
        print(f"translations: {len(seconds)}, median {statistics.median(seconds):.2f} s, "
              f"max {max(seconds):.2f} s")
    pairs = sorted(by_pair["hybrid"], key=lambda p: (p != "all", p))
    print("| question -> notes | n | hybrid Hit@1 / Hit@5 / MRR@10 | + translation |")
    print("| --- | --- | --- | --- |")
    for pair in pairs:
        print(f"| {pair} | {len(by_pair['hybrid'][pair])} | {scores(by_pair['hybrid'][pair])} "
              f"| {scores(by_pair['hybrid+translation'][pair])} |")


def _warm_up():
    from assistant.generator import Message, Prompt
    return Prompt((Message("user", "hi"),), max_tokens=1)


class _NoModel:
    """Stands in for the generator when every translation is given (it is never called)."""

    def complete(self, prompt):  # pragma: no cover - only reached on a missing translation
        return ""


if __name__ == "__main__":
    main()
