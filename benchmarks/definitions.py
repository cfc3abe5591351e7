"""Short "what is X?" questions about things the notes explain inside a larger section.

    python -m benchmarks.definitions candidates --notes /work/devnotes/dev6 --out FILE
    python -m benchmarks.definitions run --tag _s66 sample dev2 dev3 ...

``candidates`` mines the bold titles ("**4. Leaky ReLU函数**") and bold bullet labels
("- **遗忘门（Forget Gate）：** …") of a library as candidate names; a reader who did not write
the code kept those the notes explain there (``tests/data/definitions/README.md``). ``run``
asks each kept question with no model, as the chat's first 0.3 s does, against the home
``/tmp/k_<set>`` (``study --home /tmp/k_<set> ingest …``), and reports how many are answered
(every one is covered by construction) and how many quotes hold a line of the answer. Records
go to ``results/answers_runs/definitions_<set><tag>.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "tests" / "data" / "definitions"
RUNS = REPO / "benchmarks" / "results" / "answers_runs"
NOTES = {"sample": REPO / "examples" / "notes"}

_BOLD = re.compile(r"^\s*\*\*\s*(?:\d{1,2}[.、)]\s*)?([^*]{2,30}?)\s*\*\*\s*$")
_PART_LABELS = frozenset(
    "作用 特点 形式 公式 答案 解析 题目 实现方法 如何工作 优点 缺点 原理 应用 定义 概念 举例说明 "
    "计算公式 适用场景 注意 总结 步骤 示例 代码 例子 Answer Explanation Note Example Examples "
    "Summary Definition Pros Cons Advantages Disadvantages Solution Reason".split())
_BULLET = re.compile(r"^\s*[-*+]\s+\*\*\s*([^*：:]{2,24}?)\s*[：:]?\s*\*\*\s*[：:]?")


def _names_something(label: str) -> bool:
    """Two Latin letters or three Han characters: "ReLU", "遗忘门"; not "x" or "作业"."""
    return bool(re.search(r"[A-Za-z]{2}", label)) or \
        len(re.findall(r"[\u4e00-\u9fff]", label)) >= 3


def candidates(notes: Path) -> list[dict]:
    """Each distinct bold title or bold bullet label that could name a thing, shuffled with a
    fixed seed (the reader keeps the first that qualify)."""
    found, seen = [], set()
    for path in sorted(p for p in notes.rglob("*") if p.suffix in (".md", ".txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .split("\n"), start=1):
            match = _BOLD.match(line) or _BULLET.match(line)
            name = re.sub(r"[（(][^）)]*[）)]$", "", match.group(1).strip().rstrip("：:")).strip() \
                if match else ""
            if len(name) < 2 or name in _PART_LABELS or name.lower() in seen or \
                    re.search(r"[，。,.?？!！=\\$]", name) or not _names_something(name):
                continue
            seen.add(name.lower())
            found.append({"label": name, "file": str(path.relative_to(notes)), "line": number})
    random.Random(66).shuffle(found)
    return found


def run(sets: list[str], tag: str) -> None:
    import os

    from assistant.explain import start_explanation
    from assistant.generator import UnavailableGenerator
    from ground.settings import Settings
    from index.library import Library

    print("| set | questions | answered | quote holds an answer line | no-model start max s |")
    print("| --- | --- | --- | --- | --- |")
    for name in sets:
        library = Library.open(Settings.load(home=f"/tmp/k_{name}"))
        rows = [json.loads(line) for line in
                (QUESTIONS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
        start_explanation(library, UnavailableGenerator("none"), rows[0]["query"])  # warm
        records = []
        for row in rows:
            started = time.perf_counter()
            explanation = start_explanation(library, UnavailableGenerator("none"), row["query"])
            seconds = time.perf_counter() - started
            quote = explanation.extractive
            first, last = row["answer_lines"]
            holds = quote is not None and \
                os.path.basename(quote.citation.source) == os.path.basename(row["file"]) and \
                any(first <= q.line <= last for q in quote.lines)
            records.append({"query": row["query"], "covered": explanation.coverage.covered,
                            "reason": explanation.coverage.reason,
                            "quote": quote.location() if quote else None, "holds": holds,
                            "start_s": round(seconds, 3)})
        library.close()
        RUNS.mkdir(parents=True, exist_ok=True)
        (RUNS / f"definitions_{name}{tag}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        print(f"| {name} | {len(records)} | {sum(r['covered'] for r in records)} | "
              f"{sum(r['holds'] for r in records)} | "
              f"{max(r['start_s'] for r in records):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mine = commands.add_parser("candidates")
    mine.add_argument("--notes", type=Path, required=True)
    mine.add_argument("--out", type=Path, required=True)
    ask = commands.add_parser("run")
    ask.add_argument("sets", nargs="+")
    ask.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.command == "candidates":
        args.out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n"
                                    for c in candidates(args.notes)), encoding="utf-8")
    else:
        run(args.sets, args.tag)


if __name__ == "__main__":
    main()
