"""Replay the claim check on recorded answers whose prompt held passages in both languages:
the check alone (``check_citations``) against the check with the unsupported sentences
translated (``claim_translation.checked_in_both_languages``, the real model), on the same raw
text and passages. The model's run-to-run (and CPU-to-CPU) differences stay out of the
comparison.

Prints every sentence whose verdict changes, with its translation and the cited passage's
lines, for reading; ``--save`` writes them as JSON for a judge.

    python -m benchmarks.recheck_across_languages --home /tmp/k_dev7 --notes /work/devnotes/dev7 \\
        benchmarks/results/answers_runs/answers_dev7_new_r*.jsonl --save /tmp/dev7_across.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from assistant.citations import KEPT, check_citations
from assistant.claim_translation import checked_in_both_languages, other_language
from assistant.explain import without_task_echo
from assistant.facade import Assistant
from assistant.language import detect_language
from assistant.library_profile import profile_of
from benchmarks.recheck_citations import passages_of


def records(runs: list[Path]):
    """Each recorded answer once (by id and raw text), with unsupported sentences, checked
    (not a translated quote) and given passages."""
    seen = set()
    for path in runs:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else None
            if (not record or not record.get("raw") or not record.get("unsupported")
                    or record.get("translated") or not record.get("covered")):
                continue
            key = (record["id"], record["raw"])
            if key not in seen:
                seen.add(key)
                yield record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="answers_*.jsonl records")
    parser.add_argument("--home", required=True, help="the library home the runs used")
    parser.add_argument("--notes", type=Path, required=True, help="the notes folder")
    parser.add_argument("--save", type=Path, help="write the changed sentences as JSON")
    args = parser.parse_args(argv)
    from benchmarks.bench_answers import open_library

    library, settings = open_library(args.home)
    generator = Assistant.open(library, settings).generator
    embedder, profile = library.embedder, profile_of(library)
    changed, counts, seconds = [], {"records": 0, "unsupported": 0, "kept now": 0}, []
    for record in records(args.runs):
        passages = passages_of(record, {}, args.notes)
        language = detect_language(record["question"])
        if not passages or other_language(passages, language) is None:
            continue
        raw = without_task_echo(record["raw"], language)
        cut = record.get("finish_reason") in ("length", "cancelled")
        before = check_citations(raw, passages, embedder, record["question"], profile, cut=cut)
        started = time.perf_counter()
        after = checked_in_both_languages(raw, passages, embedder, record["question"], profile,
                                          generator, cut=cut)
        seconds.append(time.perf_counter() - started)
        counts["records"] += 1
        counts["unsupported"] += len(before.unsupported)
        was = {c.sentence: c.verdict for c in before.checks}
        for check in after.checks:
            if check.verdict in KEPT and was.get(check.sentence, "") not in KEPT:
                counts["kept now"] += 1
                cited = {p.number: p for p in passages}
                entry = {"record": record["id"], "question": record["question"],
                         "sentence": check.sentence, "translation": check.translation,
                         "cited": list(check.cited),
                         "passages": {n: cited[n].citation.source + "\n" + cited[n].text
                                      for n in check.cited}}
                changed.append(entry)
                print(f"== {record['id']} {record['question']}\n  KEPT {check.cited} "
                      f"{check.sentence}\n  as: {check.translation}", flush=True)
    seconds.sort()
    print(f"\n{counts}; check with translation: median "
          f"{seconds[len(seconds) // 2] if seconds else 0:.2f} s, max "
          f"{max(seconds, default=0):.2f} s")
    if args.save:
        args.save.write_text(json.dumps(changed, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
