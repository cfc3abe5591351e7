"""The question bank: cards at ingest, bank build rate, acceptance, time to first question.

    python -m benchmarks.bench_quiz --home /tmp/qb ingest        # fresh library + its cards
    python -m benchmarks.bench_quiz --home /tmp/qb fill -m 8     # model items for 8 minutes
    python -m benchmarks.bench_quiz --home /tmp/qb latency       # bank vs on-demand, one run
    python -m benchmarks.bench_quiz --home /tmp/qb report        # results/quiz.md, items
    python -m benchmarks.bench_quiz --home /tmp/qb grading       # key-point similarity figures

Each phase stays under ten minutes (the machine is shared; wrap each in ``flock``); figures
accumulate in ``HOME/bench_quiz.json`` and ``report`` writes ``results/quiz.md`` and dumps the
banked items with their cited lines to ``results/quiz_items.jsonl`` (``--other HOME2`` adds
items of a second library of real notes).

- **cards at ingest**: extracted cards right after ``Library.ingest`` (the hook runs them).
- **build rate**: model items per minute of ``BankWorker.fill_one`` (generation, blind check,
  verification), and how many of the drafts the verifier accepted.
- **time to first question**: from the call to the first item in hand, as the Practice page's
  Start does it -- ``Assistant.practice`` (the bank) against ``Assistant.quiz`` (today's
  on-demand generation), same process, same warm library and model; then the next question.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.bank import QuestionBank, attach
from assistant.facade import Assistant
from ground.settings import Settings
from index.library import Library

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"
TOPICS = ["正则化", "梯度裁剪", "Dropout", "预训练", "批量归一化", "学习率调度", "注意力机制",
          "迁移学习", "LSTM", "数据增强"]


def figures_path(home: Path) -> Path:
    return home / "bench_quiz.json"


def load(home: Path) -> dict:
    path = figures_path(home)
    return json.loads(path.read_text()) if path.exists() else {}


def save(home: Path, figures: dict) -> None:
    figures_path(home).write_text(json.dumps(figures, ensure_ascii=False, indent=1))


def ingest(home: Path, notes: Path) -> None:
    settings = Settings.load(home=home)
    with Library.open(settings) as library:
        attach(library)
        start = time.perf_counter()
        library.ingest([notes])
        seconds = time.perf_counter() - start
        with QuestionBank.open(library, sync=False) as bank:
            progress = bank.progress()
    figures = load(home)
    figures["ingest"] = {"seconds": round(seconds, 1), "passages": progress.passages,
                         "extracted_cards": progress.extracted, "notes": str(notes)}
    save(home, figures)
    print(progress.line())


def fill(home: Path, minutes: float, note: str = "") -> None:
    from assistant.bank_worker import BankWorker

    settings = Settings.load(home=home)
    library = Library.open(settings)
    assistant = Assistant.open(library, settings)
    bank = QuestionBank.open(library)
    worker = BankWorker(library, assistant.generator, bank.store, embedder=library.embedder)
    retired = worker.retire_outdated()
    if retired:
        print(f"retired {retired} model items the worker no longer makes", flush=True)
    before = bank.progress()
    start = time.perf_counter()
    passages = 0
    figures = load(home)
    runs = figures.setdefault("fill_runs", [])
    runs.append({})
    while time.perf_counter() - start < minutes * 60 and worker.fill_one():
        passages += 1
        after = bank.progress()
        runs[-1] = {"seconds": round(time.perf_counter() - start, 1), "passages": passages,
                    "accepted": after.generated - before.generated,
                    "rejected": after.rejected - before.rejected,
                    "load_average": os.getloadavg()[0], **({"note": note} if note else {})}
        save(home, figures)  # after every passage: a run cut short keeps what it measured
        print(after.line(), flush=True)
    if not runs[-1]:
        runs.pop()
        save(home, figures)


def latency(home: Path, generate: int) -> None:
    settings = Settings.load(home=home)
    library = Library.open(settings)
    assistant = Assistant.open(library, settings)
    assistant.warm()
    library.search("warm up", k=1)  # the app has its library and model loaded already
    rows = []
    for topic in TOPICS:
        start = time.perf_counter()
        items = assistant.practice(topic, 5, "mcq", seed=random.randrange(1 << 30))
        first = next(items, None)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        second = next(items, None)
        next_s = time.perf_counter() - start
        rows.append({"topic": topic, "way": "bank", "first_s": round(first_s, 3),
                     "next_s": round(next_s, 3), "kind": first.kind if first else None,
                     "second": second is not None})
        print(rows[-1], flush=True)
    for topic in TOPICS[:generate]:
        start = time.perf_counter()
        items = assistant.quiz(topic, 2, "mcq", seed=1)
        first = next(items, None)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        next(items, None)
        next_s = time.perf_counter() - start
        rows.append({"topic": topic, "way": "on demand (model)", "first_s": round(first_s, 1),
                     "next_s": round(next_s, 1), "kind": first.kind if first else None,
                     "second": True})
        print(rows[-1], flush=True)
    figures = load(home)
    figures["latency"] = {"rows": rows, "load_average": os.getloadavg()[0],
                          "at": datetime.now(UTC).isoformat(timespec="seconds")}
    save(home, figures)


def cli(home: Path) -> None:
    """``study quiz`` in a fresh process: from the command's start to "Q1." on its output
    (Python start-up, opening the library, serving from the bank)."""
    import subprocess
    import sys

    env = dict(os.environ, STUDY_HOME=str(home))
    rows = []
    for topic in TOPICS[:3]:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "quiz", "--topic", topic, "-n", "2", "--no-record"],
            cwd=Path(__file__).resolve().parent.parent, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in process.stdout:
            if line.startswith("Q1."):
                rows.append({"topic": topic, "first_s": round(time.perf_counter() - start, 2)})
                break
        process.kill()
        process.wait()
        print(rows[-1], flush=True)
    figures = load(home)
    figures["cli"] = {"rows": rows, "load_average": os.getloadavg()[0]}
    save(home, figures)


#: (language, key point, a clause that states it in other words, an on-topic clause that does
#: not state it): Chinese on the sample notes' topics, English on dev2's (d2l) topics.
POINT_PAIRS = [
    ("zh", "防止模型过拟合", "避免过度拟合训练数据", "在损失函数中加入正则项"),
    ("zh", "随机丢弃部分神经元", "训练时随机让一些神经元不工作", "减少模型对训练数据的依赖"),
    ("zh", "根据训练进度动态调整学习率", "训练过程中按计划改变学习率的大小",
     "使用较大的初始学习率"),
    ("zh", "对每一层的输入进行归一化", "把每层输入标准化为均值0方差1", "可以加快训练速度"),
    ("zh", "防止梯度爆炸", "避免梯度变得过大", "设定一个阈值"),
    ("zh", "利用在大规模数据上学到的知识", "把大数据集上学到的东西拿来用", "在目标任务上微调"),
    ("zh", "捕捉长距离依赖关系", "记住序列中相隔很远的信息", "使用门控机制"),
    ("zh", "增加训练数据的多样性", "让训练样本更丰富多样", "对图像进行随机旋转和翻转"),
    ("en", "weight decay adds the squared norm of the weights to the loss",
     "the loss gets a penalty on the sum of squared weights",
     "it keeps the model from overfitting"),
    ("en", "dropout zeroes out some hidden units during training",
     "during training some neurons are randomly switched off", "it improves generalization"),
    ("en", "batch normalization standardizes the inputs of each layer",
     "each layer's inputs are rescaled to zero mean and unit variance", "it speeds up training"),
    ("en", "Adam keeps running averages of the gradient and its square",
     "Adam tracks moving averages of gradients and squared gradients", "Adam uses a learning rate"),
    ("en", "residual blocks add the input to the output of the layers",
     "the block's input is added back to its output through a shortcut",
     "ResNet can be very deep"),
    ("en", "self-attention lets every token attend to every other token",
     "each position looks at all positions in the sequence",
     "positional encoding adds order information"),
]


def grading(home: Path) -> None:
    """e5 cosine of a key point to a clause stating it in other words, and to an on-topic clause
    that does not: where ``grading_points.STATES_FROM`` comes from."""
    import numpy as np

    from assistant.grading_points import STATES_FROM

    embedder = Library.open(Settings.load(home=home)).embedder
    for language in ("zh", "en"):
        same, other = [], []
        for lang, point, states, does_not in POINT_PAIRS:
            if lang == language:
                vectors = np.asarray(embedder.embed_passages([point, states, does_not]))
                same.append(float(vectors[0] @ vectors[1]))
                other.append(float(vectors[0] @ vectors[2]))
        threshold = STATES_FROM["zh" if language == "zh" else "other"]
        print(f"{language}: states it {min(same):.3f}-{max(same):.3f}, does not "
              f"{min(other):.3f}-{max(other):.3f}; threshold {threshold}: "
              f"{sum(x >= threshold for x in same)}/{len(same)} recognised, "
              f"{sum(x >= threshold for x in other)}/{len(other)} wrongly credited")


def report(home: Path, other: Path | None, sample_items: int, other_items: int,
           items_home: Path | None = None) -> None:
    figures = load(home)
    lines = ["# Question bank benchmark", "",
             "Generated by `python -m benchmarks.bench_quiz` (phases `ingest`, `fill`, "
             "`latency`, `report`) on the shared 2-core machine; the load average is given "
             "with each figure.", ""]
    ingested = figures.get("ingest", {})
    with Library.open(Settings.load(home=home)) as library, \
            QuestionBank.open(library, sync=False) as bank:
        now = bank.progress()
    if ingested:
        lines += ["## Cards at ingest (no model)", "",
                  f"`Library.ingest(examples/notes)`: {ingested['seconds']} s for "
                  f"{ingested['passages']} passages; {ingested['extracted_cards']} extracted "
                  "cards in the bank when it returned (the rules of that run).", "",
                  f"Now, by this version's rules (`study bank reextract`): **{now.extracted} "
                  f"extracted cards** on {now.passages} passages.", ""]
    runs = figures.get("fill_runs", [])
    if runs:
        seconds = sum(r["seconds"] for r in runs)
        accepted = sum(r["accepted"] for r in runs)
        rejected = sum(r["rejected"] for r in runs)
        passages = sum(r["passages"] for r in runs)
        lines += ["## Bank build rate and acceptance (model items)", "",
                  "| run | seconds | passages | accepted | rejected | load avg |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {i}{' (' + r['note'] + ')' if r.get('note') else ''} | {r['seconds']} | "
                  f"{r['passages']} | {r['accepted']} | {r['rejected']} | "
                  f"{r['load_average']:.2f} |" for i, r in enumerate(runs, start=1)]
        rate = accepted / (seconds / 60) if seconds else 0.0
        tried = accepted + rejected
        lines += ["", f"**{rate:.2f} accepted items per minute** ({passages} passages, "
                  f"{tried} drafts in {seconds / 60:.1f} min); **acceptance rate "
                  f"{accepted / tried:.0%}** ({accepted} / {tried})." if tried else "", ""]
        with Library.open(Settings.load(home=home)) as library, \
                QuestionBank.open(library, sync=False) as bank:
            reasons: dict[str, int] = {}
            for rejection in bank.store.rejections():
                for reason in rejection.reasons:
                    key = re.sub(r"'[^']*'", "'…'", reason.split("(")[0].split(":")[0]).strip()
                    reasons[key] = reasons.get(key, 0) + 1
        if reasons:
            lines += ["Rejection reasons (a draft can have several):", "",
                      "| reason | drafts |", "|---|---|"]
            lines += [f"| {reason} | {count} |" for reason, count
                      in sorted(reasons.items(), key=lambda kv: -kv[1])]
            lines.append("")
    timing = figures.get("latency")
    if timing:
        lines += ["## Time to first question (same process, warm library and model)", "",
                  f"Load average {timing['load_average']:.2f}.", "",
                  "| topic | served by | first question (s) | next question (s) | kind |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['topic']} | {r['way']} | {r['first_s']} | {r['next_s']} | {r['kind']} |"
                  for r in timing["rows"]]
        bank_rows = [r for r in timing["rows"] if r["way"] == "bank"]
        if bank_rows:
            worst = max(r["first_s"] for r in bank_rows)
            worst_next = max(r["next_s"] for r in bank_rows)
            lines += ["", f"Bank: first question at most **{worst:.3f} s**, next at most "
                      f"{worst_next:.3f} s over {len(bank_rows)} topics."]
        lines.append("")
    lines += _drafts_section(home, "sample library")
    if other:
        lines += _drafts_section(other, "other real notes")
    command = figures.get("cli")
    if command:
        lines += ["## `study quiz` from a cold start", "",
                  "A new process per run: Python start-up, opening the library, matching the "
                  "topic in SQL (no embedder: the notes name it), serving from the bank; load "
                  "average "
                  f"{command['load_average']:.2f}.", "",
                  "| topic | command start -> \"Q1.\" printed (s) |", "|---|---|"]
        lines += [f"| {r['topic']} | {r['first_s']} |" for r in command["rows"]]
        lines.append("")
    browser = figures.get("browser")
    if browser:
        lines += ["## In the browser (`python -m benchmarks.bench_practice_browser`)", "",
                  "`study ui` in headless Chromium, Practice page: Start pressed -> \"第 1 题\" "
                  "drawn; \"这道题有错\" pressed -> the next question drawn in its place. Load "
                  "average "
                  f"{browser['load_average']:.2f}.", "",
                  "| topic | first question (s) | next question (s) |", "|---|---|---|"]
        lines += [f"| {r['topic']} | {r['first_s']} | {r['next_s']} |" for r in browser["rows"]]
        lines.append("")
    (RESULTS / "quiz.md").write_text("\n".join(lines))
    dump = [*_items(items_home or home, sample_items, "sample"),
            *(_items(other, other_items, "other") if other else [])]
    with (RESULTS / "quiz_items.jsonl").open("w", encoding="utf-8") as out:
        for row in dump:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {RESULTS / 'quiz.md'} and {len(dump)} items")


def _drafts_section(home: Path, name: str) -> list[str]:
    """Every model draft a library's bank has seen: accepted (and still active) or rejected."""
    with Library.open(Settings.load(home=home)) as library, \
            QuestionBank.open(library, sync=False) as bank:
        made = [i for i in bank.store.items(None) if not i.extracted]
        rejected = bank.store.rejections()
    active = sum(i.status == "active" for i in made)
    tried = len(made) + len(rejected)
    if not tried:
        return []
    by_kind: dict[str, list[int]] = {}
    for item in made:
        by_kind.setdefault(item.item.kind, [0, 0])[0] += 1
    for rejection in rejected:
        by_kind.setdefault(rejection.kind, [0, 0])[1] += 1
    rows = [f"| {kind} | {a} | {r} | {a / (a + r):.0%} |" for kind, (a, r) in
            sorted(by_kind.items())]
    return [f"### All model drafts, {name}", "",
            f"{len(made)} accepted ({active} still in the bank after later policy changes), "
            f"{len(rejected)} rejected: **{len(made) / tried:.0%} acceptance**.", "",
            "| kind | accepted | rejected | acceptance |", "|---|---|---|---|", *rows, ""]


def _items(home: Path, count: int, library_name: str) -> list[dict]:
    """``count`` banked items, model-made ones first then extracted ones of every rule, drawn
    with a fixed seed, each with the text of its cited lines."""
    with Library.open(Settings.load(home=home)) as library, \
            QuestionBank.open(library, sync=False) as bank:
        items = bank.store.items("active")
    model = [i for i in items if not i.extracted]
    extracted = [i for i in items if i.extracted]
    random.Random(16).shuffle(model)
    random.Random(16).shuffle(extracted)  # a fixed order: more model items, a shorter prefix
    picked = model[: count // 2] + extracted[: count - min(len(model), count // 2)]
    rows = []
    for item in picked:
        quiz = item.item
        lines = Path(item.source).read_text(encoding="utf-8").split("\n")
        cited = "\n".join(lines[quiz.citation.start_line - 1: quiz.citation.end_line])
        rows.append({"library": library_name, "item_key": item.item_key, "kind": quiz.kind,
                     "made_by": item.made_by, "question": quiz.question,
                     "options": list(quiz.options), "answer": quiz.answer,
                     "explanation": quiz.explanation, "source": Path(item.source).name,
                     "lines": [quiz.citation.start_line, quiz.citation.end_line],
                     "cited_lines": cited, "verification": json.loads(item.evidence)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True, type=Path)
    phases = parser.add_subparsers(dest="phase", required=True)
    phase = phases.add_parser("ingest")
    phase.add_argument("--notes", type=Path, default=SAMPLE_NOTES)
    phase = phases.add_parser("fill")
    phase.add_argument("-m", "--minutes", type=float, default=8.0)
    phase.add_argument("--note", default="", help="what this run is (shown in the report)")
    phase = phases.add_parser("latency")
    phase.add_argument("--generate", type=int, default=1, help="topics timed on demand")
    phases.add_parser("cli")
    phases.add_parser("grading")
    phase = phases.add_parser("report")
    phase.add_argument("--other", type=Path, help="home of a second library of real notes")
    phase.add_argument("--sample-items", type=int, default=40)
    phase.add_argument("--other-items", type=int, default=20)
    phase.add_argument("--items", type=Path, help="home to draw the sample library's audited "
                       "items from (default: --home)")
    args = parser.parse_args()
    if args.phase == "ingest":
        ingest(args.home, args.notes)
    elif args.phase == "fill":
        fill(args.home, args.minutes, args.note)
    elif args.phase == "latency":
        latency(args.home, args.generate)
    elif args.phase == "cli":
        cli(args.home)
    elif args.phase == "grading":
        grading(args.home)
    else:
        report(args.home, args.other, args.sample_items, args.other_items, args.items)


if __name__ == "__main__":
    main()
