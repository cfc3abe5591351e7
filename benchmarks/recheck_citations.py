"""Re-run the claim checker on recorded answers, without the LLM.

Each record of an answers run holds the model's raw text (``raw``) and the passages it was
given (sample records: with their texts; dev2 records keep public notes out of the repository,
so their texts come from ``--texts``, the ``answers_dev2_texts.tmp`` file the bench writes beside
its results, matched by record id and passage locations, or else from ``--notes``, the notes
folder, read at each passage's lines as written: close to, not always the same as, the prompt's
text, which may be trimmed). The checker (``check_citations``)
runs again on the same text and passages with the library's embedder and profile, and every
claim is printed with its verdict: kept (supported / re-pointed / attached), removed
(unsupported / non-answer) or an intro line.

``REFERENCE`` holds an independent judge's verdicts on run r4
(``results/answers_audit_judge_r4.md``): the sentences whose marker names a passage that does
not say them, with the passages that would be right. Against it the harness counts
(a) bad-citation sentences still kept with a wrong marker and (b) sentences kept by the baseline
checker that the judge found fine and the checker now removes (``--baseline``: a JSON file of an
earlier run of this harness).

``--labels`` scores against the judged shown sentences of later runs instead
(``results/claim_labels_s61.jsonl``: 509 sentences of runs r73-r84 that the blind judges read,
46 of them bad citations): how many judged-bad sentences the checker still keeps, and how many
judged-good ones it now takes out. Records with a passage in the other language are skipped
(their check needs the model's translation: ``benchmarks.recheck_across_languages``).

    python -m benchmarks.recheck_citations --home /tmp/k_dev3 --notes /work/devnotes/dev3 \\
        benchmarks/results/answers_runs/answers_dev3_new_r8[14].jsonl \\
        --labels benchmarks/results/claim_labels_s61.jsonl --quiet

    flock /tmp/heavy.lock python -m benchmarks.recheck_citations --home /tmp/cite-dev2 \\
        benchmarks/results/answers_runs/answers_dev2_new_r4.jsonl \\
        --texts ../wt-ans/benchmarks/results/answers_dev2_texts.tmp --save /tmp/dev2_after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.citations import KEPT, check_citations, without_markers
from assistant.claim_translation import other_language
from assistant.explain import without_task_echo
from assistant.language import detect_language
from assistant.library_profile import profile_of
from assistant.retrieval import Passage
from ground.records import Chunk, Hit

# record id -> (a distinctive piece of the bad sentence, the passages that would be right)
REFERENCE: dict[str, list[tuple[str, frozenset[int]]]] = {
    "sample:c12": [("load balancing", frozenset({1}))],
    "dev2:c0": [("从而导致梯度消失", frozenset()), ("导致训练时间过长", frozenset()),
                ("梯度更新速度会非常快", frozenset())],
    "dev2:c3": [("$tanh'(x) > 0$", frozenset())],
    "dev2:c5": [("无法对可变尺度", frozenset())],
    "dev2:c6": [("divergence", frozenset()), ("数据分布变化导致", frozenset()),
                ("非常大的网络", frozenset())],
}


@dataclass(frozen=True)
class Outcome:
    record: str
    sentence: str
    verdict: str
    cited: tuple[int, ...]
    lexical: tuple[float, ...] = ()  # per passage, as the checker audits it
    lead: tuple[float, ...] = ()


def load_texts(path: Path | None) -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """Passage texts by (record id, passage locations); the last run of an id wins."""
    texts: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    if path is None:
        return texts
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            key = (entry["id"], tuple(p["location"] for p in entry["passages"]))
            texts[key] = [p["text"] for p in entry["passages"]]
    return texts


def lines_at(notes: Path, location: str) -> str | None:
    """The lines ``file:first-last`` of the notes folder, as written (not trimmed for a prompt)."""
    name, _, span = location.rpartition(":")
    first, _, last = span.partition("-")
    path = notes / name
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    return "\n".join(lines[int(first) - 1: int(last or first)])


def passages_of(record: dict, texts: dict, notes: Path | None = None) -> list[Passage] | None:
    given = record["passages"]
    key = (record["id"], tuple(p["location"] for p in given))
    bodies = [p.get("text") for p in given]
    if any(body is None for body in bodies):
        bodies = texts.get(key)
    if bodies is None and notes is not None:
        bodies = [lines_at(notes, p["location"]) for p in given]
        bodies = None if None in bodies else bodies
    if bodies is None:
        return None
    result = []
    for p, body in zip(given, bodies, strict=True):
        heading = tuple(p.get("heading", "").split(" > "))
        chunk = Chunk(p["number"], 1, p["location"].split(":")[0], heading[0], heading, 1,
                      1 + body.count("\n"), 0, len(body), body, f"r{p['number']}")
        result.append(Passage(p["number"], Hit(chunk, 1.0), body))
    return result


def recheck(record: dict, passages: list[Passage], embedder, profile) -> list[Outcome]:
    raw = without_task_echo(record["raw"], detect_language(record["question"]))
    checked = check_citations(raw, passages, embedder, record["question"], profile,
                              cut=record.get("finish_reason") in ("length", "cancelled"))
    return [Outcome(record["id"], c.sentence, c.verdict, tuple(c.cited), c.support, c.lead)
            for c in checked.checks]


def bad_reference(outcome: Outcome) -> tuple[str, frozenset[int]] | None:
    return next(((piece, right) for piece, right in REFERENCE.get(outcome.record, [])
                 if piece in outcome.sentence), None)


def still_bad(outcome: Outcome) -> bool:
    """A judged-bad sentence kept with a marker the judge would not accept."""
    found = bad_reference(outcome)
    return found is not None and outcome.verdict in KEPT and not set(outcome.cited) <= found[1]


def good_removed(outcomes: list[Outcome], baseline: list[dict]) -> list[Outcome]:
    """Sentences the baseline kept, the judge did not flag, and this run takes out."""
    kept_before = {(o["record"], o["sentence_key"]) for o in baseline
                   if o["verdict"] in KEPT and not o["bad"]}
    return [o for o in outcomes if o.verdict not in KEPT and o.verdict != "intro"
            and (o.record, sentence_key(o.sentence)) in kept_before]


def moved_markers(outcomes: list[Outcome], baseline: list[dict]) -> list[tuple[Outcome, list]]:
    """Sentences kept before and now, whose markers changed (to read against the notes)."""
    cited_before = {(o["record"], o["sentence_key"]): o.get("cited") for o in baseline
                    if o["verdict"] in KEPT}
    return [(o, cited_before[key]) for o in outcomes
            if o.verdict in KEPT and (key := (o.record, sentence_key(o.sentence))) in cited_before
            and cited_before[key] is not None and cited_before[key] != list(o.cited)]


def sentence_key(sentence: str) -> str:
    return "".join(ch for ch in sentence if ch.isalnum() and not ch.isdigit())[:60]


def run_tag(path: Path) -> str:
    """The run a records file holds: ``answers_dev3_new_r84.jsonl`` -> ``r84``."""
    return path.stem.rsplit("_", 1)[-1]


def load_labels(path: Path) -> dict[tuple[str, str, str], str]:
    """Judged sentences: (run, record id, ``sentence_key``) -> "bad" / "good" ("unclear" and
    sentences without a marker left out)."""
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line) if line.strip() else None
        if entry and entry["label"] in ("bad", "good") and entry["cited"]:
            key = (entry["run"], entry["id"], sentence_key(without_markers(entry["sentence"])))
            labels[key] = entry["label"]
    return labels


def score_labels(judged: list[tuple[str, Outcome]], labels: dict) -> None:
    """Print how the checker now treats the judged sentences (``judged``: run, outcome)."""
    tally: dict[tuple[str, bool], list[Outcome]] = {}
    for run, o in judged:
        label = labels.get((run, o.record, sentence_key(o.sentence)))
        if label is not None:
            tally.setdefault((label, o.verdict in KEPT), []).append(o)
    count = {key: len(found) for key, found in tally.items()}
    print(f"judged bad: kept {count.get(('bad', True), 0)}, taken out "
          f"{count.get(('bad', False), 0)}; judged good: kept {count.get(('good', True), 0)}, "
          f"taken out {count.get(('good', False), 0)}")
    for label, kept, what in (("bad", True, "bad kept"), ("good", False, "good taken out")):
        for o in tally.get((label, kept), []):
            print(f"  {what}: {o.record} {o.verdict} {list(o.cited)} {o.sentence[:100]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="answers_*.jsonl records")
    parser.add_argument("--home", required=True, help="the library home the run used")
    parser.add_argument("--texts", type=Path, help="passage texts kept outside the repo")
    parser.add_argument("--notes", type=Path, help="else read the passages' lines from here")
    parser.add_argument("--baseline", type=Path, help="a --save file of an earlier run")
    parser.add_argument("--save", type=Path, help="write this run's outcomes as JSON")
    parser.add_argument("--quiet", action="store_true", help="only the totals")
    parser.add_argument("--detail", action="store_true", help="lexical share and cosine lead")
    parser.add_argument("--labels", type=Path, help="judged sentences (claim_labels_*.jsonl)")
    args = parser.parse_args(argv)
    from benchmarks.bench_answers import open_library

    library, _ = open_library(args.home)
    embedder, profile = library.embedder, profile_of(library)
    texts = load_texts(args.texts)
    outcomes: list[Outcome] = []
    judged: list[tuple[str, Outcome]] = []
    for path in args.runs:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else None
            if not record or not record.get("raw") or not record.get("covered"):
                continue
            passages = passages_of(record, texts, args.notes)
            if not passages:
                print(f"{record['id']}: no passage texts, skipped", file=sys.stderr)
                continue
            if args.labels and other_language(passages, detect_language(record["question"])):
                continue  # checked through the model's translation: not replayed here
            found = recheck(record, passages, embedder, profile)
            outcomes += found
            judged += [(run_tag(path), o) for o in found]
            if not args.quiet:
                print(f"== {record['id']} {record['question']}")
                for o in found:
                    flag = " BAD-KEPT" if still_bad(o) else (" bad-gone" if bad_reference(o)
                                                             else "")
                    print(f"  {o.verdict:11} {list(o.cited)!s:9} {o.sentence[:110]}{flag}")
                    if args.detail and o.lexical:
                        print(f"{'':24} lexical {list(o.lexical)} lead {list(o.lead)}")
    bad_total = sum(len(v) for k, v in REFERENCE.items()
                    if any(o.record == k for o in outcomes))
    kept_bad = [o for o in outcomes if still_bad(o)]
    print(f"\nbad-citation sentences (judge): {bad_total}; still kept with a wrong marker: "
          f"{len(kept_bad)}")
    print(f"claims: {len(outcomes)}; kept: {sum(o.verdict in KEPT for o in outcomes)}")
    if args.baseline:
        removed = good_removed(outcomes, json.loads(args.baseline.read_text(encoding="utf-8")))
        print(f"fine sentences (judge) kept before, removed now: {len(removed)}")
        for o in removed:
            print(f"  - {o.record} {o.verdict}: {o.sentence[:110]}")
        for o, before in moved_markers(outcomes, json.loads(args.baseline.read_text("utf-8"))):
            print(f"  marker {before} -> {list(o.cited)}: {o.record} {o.sentence[:100]}")
    if args.labels:
        score_labels(judged, load_labels(args.labels))
    if args.save:
        args.save.write_text(json.dumps(
            [{"record": o.record, "sentence_key": sentence_key(o.sentence),
              "verdict": o.verdict, "cited": list(o.cited), "bad": bad_reference(o) is not None,
              "sentence": o.sentence} for o in outcomes], ensure_ascii=False, indent=0),
            encoding="utf-8")


if __name__ == "__main__":
    main()
