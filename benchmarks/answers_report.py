"""Turns the pieces saved by ``bench_answers`` into results/answers.md and answers_raw.jsonl.

The part of answers.md above "## Notes" is regenerated; the notes below it (written by hand)
are kept.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from assistant.citations import marker_numbers

ROOT = Path(__file__).resolve().parent
RUNS = ROOT / "results" / "answers_runs"
RESULTS = ROOT / "results" / "answers.md"
RAW = ROOT / "results" / "answers_raw.jsonl"
NOTES_MARK = "## Notes"
OUTSIDE = "(public dev2 notes are not in the repository: see tests/data/dev2_README.md)"


def read(name: str) -> list[dict]:
    path = RUNS / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "-"


def med(values) -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):.2f}" if values else "-"


def mean(values) -> str:
    values = [v for v in values if v is not None]
    return f"{sum(values) / len(values):.2f}" if values else "-"


def refusal_section(library: str) -> list[str]:
    rows = read(f"refusal_{library}.jsonl")
    if not rows:
        return []
    lines = [f"### Refusal, {library} library ({len(rows)} questions, no model)", "",
             "| design | uncovered refused | covered answered |", "|---|---|---|"]
    for design in ("old", "new"):
        uncovered = [r for r in rows if not r["covered"]]
        covered = [r for r in rows if r["covered"]]
        lines.append(f"| {design} | {pct(sum(not r[design] for r in uncovered), len(uncovered))} "
                     f"| {pct(sum(r[design] for r in covered), len(covered))} |")
    wrong = [r for r in rows if r["new"] != r["covered"]]
    times = sorted(r["extractive_s"] for r in rows if r["new"])
    lines += ["", "Time to the extractive answer (search, coverage, answer blocks ranked by "
              f"the embedder, quote; no LLM; covered questions): median {med(times)} s, max "
              f"{times[-1] if times else '-'} s; load average "
              f"{med([r['load'] for r in rows])}.", ""]
    if wrong:
        lines += ["New design's mistakes:", ""]
        lines += [f"- {'refused' if r['covered'] else 'answered'}: {r['question']} "
                  f"(cosine {r['score']}, {r['reason']}"
                  f"{': ' + '/'.join(r['untreated']) if r['untreated'] else ''})" for r in wrong]
        lines.append("")
    return lines


def rescored(rows: list[dict]) -> list[dict]:
    """Recall recomputed from the stored key points and texts (the measure may have changed
    since a piece ran)."""
    from benchmarks.bench_answers import recall

    for row in rows:
        points = row.get("key_points") or []
        if points:
            row["recall"] = recall(points, row["text"])
            if row.get("extractive"):
                quoted = "\n".join(q["text"] for q in row["extractive"]["lines"])
                row["recall_with_extractive"] = recall(points, quoted + "\n" + row["text"])
    return rows


def answers_section(library: str) -> list[str]:
    lines = []
    table = []
    for design in ("old", "prev", "new"):  # prev: the answers the judge read before
        rows = rescored([r for r in read(f"answers_{library}_{design}.jsonl")
                         if r["covered_gold"]])
        if not rows:
            continue
        answered = [r for r in rows if r["covered"]]
        cited = sum(r.get("cited_sentences", 0) for r in answered)
        good = sum(r.get("supported_sentences", 0) for r in answered)
        table.append(
            f"| {design} | {len(rows)} | {pct(len(answered), len(rows))} "
            f"| {mean([r.get('recall') for r in answered])} "
            f"| {mean([r.get('recall_with_extractive') for r in answered])} "
            f"| {pct(good, cited)} "
            f"| {pct(sum(bool(r.get('gold_in_prompt')) for r in answered), len(answered))} "
            f"| {med([r.get('prompt_tokens') for r in answered])} "
            f"| {med([r.get('extractive_s') for r in answered])} "
            f"| {med([r.get('first_token_s') for r in answered])} "
            f"| {med([r.get('total_s') for r in answered])} | {med([r['load'] for r in rows])} |")
    if table:
        lines += [f"### Answers, {library} library (covered questions)", "",
                  "| design | questions | answered | key-point recall (model) | recall (quote + "
                  "model) | cited sentences supported | gold passage in prompt | prompt tokens "
                  "| extractive s | first token s | total s | load |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|", *table, ""]
    return lines


def curve_section() -> list[str]:
    lines = []
    for library in ("sample", "dev2"):
        rows = read(f"curve_{library}.jsonl")
        if not rows:
            continue
        lines += [f"### Prompt budget curve, {library} library (new design, answers capped at "
                  "160 tokens)", "",
                  "| passage budget | questions | prompt tokens | cached | first token s "
                  "| key-point recall | load |", "|---|---|---|---|---|---|---|"]
        for budget in sorted({r["budget"] for r in rows}):
            some = [r for r in rows if r["budget"] == budget]
            lines.append(f"| {budget} | {len(some)} | {med([r['prompt_tokens'] for r in some])} "
                         f"| {med([r['cached_tokens'] for r in some])} "
                         f"| {med([r['first_token_s'] for r in some])} "
                         f"| {mean([r['recall'] for r in some])} "
                         f"| {med([r['load'] for r in some])} |")
        lines.append("")
    return lines


def ask_section() -> list[str]:
    rows = read("ask_wall.jsonl")
    if not rows:
        return []
    lines = ["### `study ask` wall time (new process, models loaded from disk)", "",
             "| question | wall s | load |", "|---|---|---|"]
    lines += [f"| {r['id']} | {r['wall_s']} | {r['load']} |" for r in rows]
    return lines + [""]


def raw_records() -> list[dict]:
    """The new design's answers, half from each library, for an independent audit."""
    records = []
    for library in ("sample", "dev2"):
        rows = sorted(read(f"answers_{library}_new.jsonl"),
                      key=lambda r: (r["id"].split(":")[1][0], int(r["id"].split(":")[1][1:])))
        for row in rows:
            if not row["covered"]:
                continue
            passages = {p["number"]: p for p in row["passages"]}
            cited = sorted(set(marker_numbers(row["text"])))
            records.append({
                "id": row["id"], "library": library, "question": row["question"],
                "extractive": row["extractive"], "model_text": row["text"],
                "model_raw": row["raw"], "removed_unsupported": row["unsupported"],
                "removed_non_answers": row["non_answers"],
                "citations": [{"number": n, "location": passages[n]["location"],
                               "heading": passages[n]["heading"],
                               "text": passages[n].get("text", OUTSIDE)}
                              for n in cited if n in passages],
                "other_passages": [{"number": n, "location": p["location"],
                                    "heading": p["heading"], "text": p.get("text", OUTSIDE)}
                                   for n, p in passages.items() if n not in cited]})
    return records


def write_report() -> None:
    lines = ["# Answers: old design against new (explain mode)", "",
             "Generated by `python -m benchmarks.bench_answers report` from the pieces in "
             "`benchmarks/results/answers_runs/` (each piece ran under `flock /tmp/heavy.lock` "
             "on the shared 2-core machine; load averages are given per table).", ""]
    for library in ("sample", "dev2"):
        lines += refusal_section(library)
    for library in ("sample", "dev2"):
        lines += answers_section(library)
    lines += curve_section() + ask_section()
    notes = ""
    if RESULTS.exists():
        old = RESULTS.read_text(encoding="utf-8")
        if NOTES_MARK in old:
            notes = old[old.index(NOTES_MARK):]
    RESULTS.write_text("\n".join(lines) + "\n" + notes, encoding="utf-8")
    with open(RAW, "w", encoding="utf-8") as stream:
        for record in raw_records():
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS} and {RAW}")
