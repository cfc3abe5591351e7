"""``study review``, ``study progress`` and ``study history export|import``: study memory.

Thin handlers over ``memory.study_memory.StudyMemory``; the UI's Progress page and "Review
due" button call the same object.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import datetime, timedelta

from ground.settings import Settings
from memory.mastery import TopicMastery
from memory.study_memory import StudyMemory
from ui.commands.arguments import positive_int
from ui.terminal_text import terminal_safe

TOPIC_WIDTH = 32


def register(commands: argparse._SubParsersAction) -> None:
    review = commands.add_parser("review", help="answer the practice questions due for review")
    review.add_argument("-n", type=positive_int, default=10,
                        help="at most this many (default 10)")
    review.add_argument(
        "--same",
        action="store_true",
        help="ask the stored questions again instead of writing fresh ones",
    )
    review.set_defaults(handler=review_command)

    progress = commands.add_parser("progress", help="mastery per topic, weakest first")
    progress.add_argument("-n", type=int, default=0, help="only the N weakest topics")
    progress.add_argument("--json", action="store_true", help="print one JSON object")
    progress.set_defaults(handler=progress_command)

    history = commands.add_parser("history", help="export or import your study history")
    actions = history.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the whole history to a JSON file")
    export.add_argument("file", help="where to write it")
    export.set_defaults(handler=export_command)
    merge = actions.add_parser("import", help="merge a history file into this library's")
    merge.add_argument("file", help="a file written by 'study history export'")
    merge.set_defaults(handler=import_command)


def open_memory(settings: Settings):
    from index.library import Library

    library = Library.open(settings)
    return library, StudyMemory.open(library)


def review_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.facade import Assistant

    library, memory = open_memory(settings)
    due = memory.due(limit=max(args.n, 1))
    if not due:
        print(nothing_due(memory))
        return 0
    total = memory.due_count()
    print(f"{total} due for review; asking {len(due)}\n")
    assistant = Assistant.open(library, settings)
    if not assistant.can_generate and not args.same:
        print(
            f"note: generation is unavailable ({assistant.generator.reason}); "
            "asking the stored questions again",
            file=sys.stderr,
        )
    asked = right = 0
    for number, entry in enumerate(due, start=1):
        item = memory.review_item(entry, None if args.same else assistant.generator)
        print(f"R{number}. {terminal_safe(item.question)}    [{terminal_safe(entry.topic.label)}]")
        for letter, option in zip("ABCD", item.options, strict=False):
            print(f"  {letter}. {terminal_safe(option)}")
        try:
            response = input("your answer> ")
        except EOFError:
            print()
            break
        grade = assistant.grade(item, response)
        recorded = memory.record(item, response, grade, review_of=entry)
        asked += 1
        right += grade.correct
        expected = "" if grade.correct else f" — expected: {terminal_safe(grade.expected)}"
        print(grade.verdict.upper() + expected)
        if grade.missing and not grade.correct:
            print(f"missing: {terminal_safe(grade.missing)}")
        print(f"source: {terminal_safe(grade.citation.label())}")
        print(f"next review: {when(recorded.due, memory.now())}\n")
    print(f"reviewed: {right}/{asked} correct" if asked else "no questions answered")
    left = memory.due_count()
    print(f"{left} still due" if left else nothing_due(memory))
    return 0


def nothing_due(memory: StudyMemory) -> str:
    upcoming = memory.next_due()
    if upcoming is None:
        return "nothing due: no practice history yet (answer questions with 'study quiz')"
    return f"nothing due, next review at {local(upcoming)} ({when(upcoming, memory.now())})"


def progress_command(args: argparse.Namespace, settings: Settings) -> int:
    _, memory = open_memory(settings)
    now = memory.now()
    topics = memory.mastery(now)
    if args.n > 0:
        topics = topics[: args.n]
    if args.json:
        print(
            json.dumps(
                {"now": now.isoformat(), "topics": [t.as_json() for t in topics]},
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    if not topics:
        print("no practice history yet: answer questions with 'study quiz' or 'study review'")
        return 0
    print(progress_table(topics, now))
    print(f"\n{len(topics)} topics, weakest first; due now: {memory.due_count(now)}")
    return 0


def progress_table(topics: list[TopicMastery], now: datetime) -> str:
    header = ("topic", "attempts", "correct", "last practised", "stability", "due", "mastery")
    rows = [header] + [
        (
            clip_to_columns(terminal_safe(t.label), TOPIC_WIDTH),
            str(t.attempts),
            f"{t.share_correct:.0%}",
            local(t.last_practised),
            f"{t.stability_days:.1f} d",
            "now" if t.due_now else when(t.next_due, now),
            f"{t.score:.2f}",
        )
        for t in topics
    ]
    widths = [max(width(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell + " " * (widths[i] - width(cell))
            if i == 0
            else " " * (widths[i] - width(cell)) + cell
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    _, memory = open_memory(settings)
    done = memory.export(args.file)
    print(f"exported {done.items} practised items and {done.answers} answers to {done.path}")
    return 0


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    _, memory = open_memory(settings)
    done = memory.import_(args.file)
    known = f"; {done.answers_known} answers were already here" if done.answers_known else ""
    print(
        f"imported {done.items} new practised items and {done.answers} answers from "
        f"{done.path}{known}"
    )
    return 0


def width(text: str) -> int:
    """Terminal columns ``text`` takes (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip_to_columns(text: str, columns: int) -> str:
    """``text`` within ``columns`` terminal columns, "…" marking a cut.

    >>> clip_to_columns("什么是梯度裁剪？", 9)
    '什么是梯…'
    """
    if width(text) <= columns:
        return text
    kept = ""
    for ch in text:
        if width(kept + ch) > columns - 1:
            break
        kept += ch
    return kept + "…"


def local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def when(moment: datetime, now: datetime) -> str:
    """How far ``moment`` is from ``now``, roughly.

    >>> from datetime import UTC, datetime, timedelta
    >>> t = datetime(2025, 3, 1, tzinfo=UTC)
    >>> [when(t + d, t) for d in (timedelta(0), timedelta(minutes=10), timedelta(days=2))]
    ['now', 'in 10 min', 'in 2 days']
    """
    left = moment - now
    if left <= timedelta(0):
        return "now"
    if left < timedelta(hours=1):
        return f"in {max(round(left.total_seconds() / 60), 1)} min"
    if left < timedelta(days=1):
        return f"in {round(left.total_seconds() / 3600)} h"
    days = round(left.total_seconds() / 86400)
    return f"in {days} day" + ("s" if days != 1 else "")
