"""The question translation with its task's KV state restored, against reading it again.

Each dev question (both dev sets) is translated into the other language as the assistant does
before searching bilingual notes, right after a prompt that shares only the system prompt with
it (as the previous answer's does). Per question, in alternating order, once with the saved
head state (``assistant.prompt_heads``) and once with none saved (the task is read): the same
model, the same run. Prints the median seconds to the first token and in all, and the texts
that differ (there should be none).

    python -m benchmarks.bench_prompt_heads --count 20
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from assistant.generator import Message, Prompt
from assistant.language import detect_language
from assistant.prompt_heads import HeadStates
from assistant.prompts import SYSTEM
from assistant.query_translation import translation_prompt
from ground.settings import Settings
from index import evaluation

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
QUESTION_FILES = ("dev_questions.jsonl", "dev2_questions.jsonl")


def _between(question: str) -> Prompt:
    """What runs between two translations: a prompt sharing only the system prompt."""
    return Prompt((SYSTEM, Message("user", f"资料略。问题：{question}")), max_tokens=1)


def _translate(generator, question: str, keep_heads: bool) -> tuple[str, float, float, int]:
    "".join(generator.stream(_between(question)))
    if not keep_heads:
        generator.heads = HeadStates()
    target = "en" if detect_language(question) == "zh" else "zh"
    stream = generator.stream(translation_prompt(question, target))
    text = "".join(stream)
    stats = stream.stats
    return (text, stats.first_token_at - stats.started_at, stats.finished_at - stats.started_at,
            stats.cached_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20, help="questions per dev set")
    args = parser.parse_args()

    from assistant.generator_llama import open_backend

    generator = open_backend(Settings.load().replace(temperature=0.0))
    questions = [q.query for name in QUESTION_FILES
                 for q in evaluation.load_questions(DATA / name)[:args.count]]
    _translate(generator, questions[0], True)  # warm-up, not counted
    runs: dict[bool, list[tuple[str, float, float, int]]] = {True: [], False: []}
    for index, question in enumerate(questions):
        order = (True, False) if index % 2 == 0 else (False, True)
        for keep in order:
            runs[keep].append(_translate(generator, question, keep))
    print(f"{len(questions)} questions, {generator.label}")
    print("| task state | first token median / max (s) | total median (s) | reused tokens median |")
    print("| --- | --- | --- | --- |")
    for keep, label in ((False, "read every time"), (True, "restored")):
        rows = runs[keep]
        firsts = [r[1] for r in rows]
        print(f"| {label} | {statistics.median(firsts):.2f} / {max(firsts):.2f} | "
              f"{statistics.median(r[2] for r in rows):.2f} | "
              f"{statistics.median(r[3] for r in rows):.0f} |")
    differ = [(q, a[0], b[0]) for q, a, b in zip(questions, runs[True], runs[False], strict=True)
              if a[0] != b[0]]
    print(f"texts that differ: {len(differ)}")
    for question, restored, read in differ:
        print(f"  {question}\n    restored: {restored}\n    read:     {read}")


if __name__ == "__main__":
    main()
