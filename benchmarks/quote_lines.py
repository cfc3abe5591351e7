"""Does the quote hold the lines that answer? Scores ``benchmarks.quote_source --dump`` files
against ``tests/data/answer_lines/<set>.jsonl``.

Each annotation splits a held-out question into its parts and gives, for each part, the lines of
a gold section that state its answer (written blind to the product's output by a reader who
did not write the code; a note may name equally good lines elsewhere as "also FILE:lines").

    python -m benchmarks.quote_lines tests/data/answer_lines/dev3.jsonl /tmp/qs_dev3_new.jsonl

For each dump: questions, how many quotes hold an answering line of some part ("touches"),
parts answered, and the same among the quotes taken from a gold section (where only the lines
chosen inside it can be wrong). ``--also`` counts the note's "also" lines too.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

_ALSO = re.compile(r"(?:also|and) ([^\s:;,()]+\.md):\s*([\d ,\u2013-]+(?:and\s*\d[\d ,\u2013-]*)*)")
_RANGE = re.compile(r"(\d+)\s*[-\u2013]\s*(\d+)")


def also_lines(note: str) -> list[tuple[str, set[int]]]:
    """The "also FILE:lines" an annotation's note names (only in a note that says "also").

    >>> also_lines("also a.md:12, 14-15 and b.md:3")
    [('a.md', {12, 14, 15}), ('b.md', {3})]
    """
    found = []
    for name, spec in _ALSO.findall(note or "") if "also" in (note or "") else []:
        numbers: set[int] = set()
        for piece in re.split(r",|and", spec):
            piece = piece.strip()
            span = _RANGE.match(piece)
            if span:
                numbers.update(range(int(span.group(1)), int(span.group(2)) + 1))
            elif piece.isdigit():
                numbers.add(int(piece))
        found.append((name, numbers))
    return found


def answered_parts(quote: dict, annotation: dict, also: bool = False) -> tuple[int, int]:
    """(parts whose lines the quote holds, parts with answering lines)."""
    parts = [p for p in annotation["parts"] if p["lines"]]
    location = quote.get("location") or ""
    name = location.rsplit(":", 1)[0] if location else None
    lines = set(quote.get("lines") or [])
    extra = also_lines(annotation.get("note", "")) if also else []
    held = sum(bool(name == p["file"] and lines & set(p["lines"]))
               or any(name == other and lines & numbers for other, numbers in extra)
               for p in parts)
    return held, len(parts)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("annotations", type=Path)
    parser.add_argument("dumps", type=Path, nargs="+")
    parser.add_argument("--also", action="store_true", help="count the notes' 'also' lines")
    args = parser.parse_args()
    annotations = load(args.annotations)
    print("| dump | questions | quote holds an answer | parts | from a gold section | "
          "of those holding an answer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dump in args.dumps:
        quotes = load(dump)
        scored = [(q, answered_parts(q, a, args.also))
                  for q, a in zip(quotes, annotations, strict=True)]
        scored = [(q, s) for q, s in scored if s[1]]
        touches = sum(held > 0 for _, (held, _) in scored)
        held = sum(h for _, (h, _) in scored)
        parts = sum(n for _, (_, n) in scored)
        in_gold = [(h, n) for q, (h, n) in scored if q.get("gold")]
        print(f"| {dump.name} | {len(scored)} | {touches} | {held}/{parts} | {len(in_gold)} | "
              f"{sum(h > 0 for h, _ in in_gold)} |")


if __name__ == "__main__":
    main()
