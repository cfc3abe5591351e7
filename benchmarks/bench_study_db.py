"""Study memory under a class's load, on SQLite and on PostgreSQL (``database_url``).

    python -m benchmarks.bench_study_db                      # 30 students, 2 app servers
    python -m benchmarks.bench_study_db --students 300 --append   # a second table
    python -m benchmarks.bench_study_db --database-url postgresql://study@db:5432/study

Each app server is one ``StudyMemory`` (one connection, as a Streamlit process holds it); each
student is a thread on one of them, answering ``--answers`` practice items (hand-made, on 20
passages) and, after each, reading their due reviews and mastery as the Practice and Progress
pages do. With PostgreSQL the servers share the database; with SQLite they share the library
file (so on one machine only). Without ``--database-url`` a throwaway PostgreSQL server is
started on loopback (``tests/pg_support.py``; ``make postgres`` installs it).

Reported per backend: answers issued vs. stored (nothing may be lost), whether every student
read only their own history, answers per second, and p50/p95/max of recording an answer and of
reading due reviews + mastery. Writes ``benchmarks/results/study_db.md``. The machine is
shared: the load average is printed; compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.grading import Grade
from assistant.quiz_schema import QuizItem
from assistant.retrieval import Citation
from ground.settings import Settings
from index.library import Library
from memory.study_memory import StudyMemory

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "study_db.md"
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
PASSAGES = 20


def quiz_item(n: int) -> QuizItem:
    citation = Citation(1, 900_000 + n, f"/notes/file{n % 3}.md", f"笔记 > 概念{n}", n, n + 3)
    options = (f"定义{n}", f"错误{n}a", f"错误{n}b", f"错误{n}c")
    return QuizItem(
        "mcq",
        f"概念{n}是什么？",
        options,
        0,
        options[0],
        "",
        citation,
        f"概念{n}：定义{n}。",
        False,
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_backend(name: str, database_url: str, students: int, answers: int, servers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-study-") as home:
        return _run_in(Path(home), name, database_url, students, answers, servers)


def _run_in(
    home: Path, name: str, database_url: str, students: int, answers: int, servers: int
) -> dict:
    settings = Settings.load(home=home, env={}).replace(database_url=database_url)
    libraries = [Library.open(settings) for _ in range(servers)]
    memories = [StudyMemory.open(library) for library in libraries]
    record_s: list[float] = []
    read_s: list[float] = []
    leaks: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(students)

    def student(number: int) -> None:
        memory = memories[number % servers].for_user(f"student{number:03d}")
        start.wait()
        for k in range(answers):
            item = quiz_item((number + k) % PASSAGES)
            verdict = "correct" if (number + k) % 3 else "incorrect"
            grade = Grade(verdict, "", item.answer, item.citation)
            now = T0 + timedelta(minutes=10 * k)
            began = time.perf_counter()
            memory.record(item, "A", grade, now=now)
            recorded = time.perf_counter()
            memory.due(now=now)
            topics = memory.mastery(now=now)
            done = time.perf_counter()
            with lock:
                record_s.append(recorded - began)
                read_s.append(done - recorded)
            if sum(t.attempts for t in topics) != k + 1:
                with lock:
                    leaks.append(f"student{number:03d}")

    began = time.perf_counter()
    threads = [threading.Thread(target=student, args=(n,)) for n in range(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    stored = memories[0].log.database.query("SELECT COUNT(*) FROM study_answers")[0][0]
    for memory, library in zip(memories, libraries, strict=True):
        memory.close()
        library.close()
    return {
        "backend": name,
        "issued": students * answers,
        "stored": stored,
        "own_only": not leaks,
        "per_s": students * answers / wall,
        "record": (percentile(record_s, 0.5), percentile(record_s, 0.95), max(record_s)),
        "read": (percentile(read_s, 0.5), percentile(read_s, 0.95), max(read_s)),
    }


def table(rows: list[dict], args: argparse.Namespace) -> str:
    def ms(values: tuple[float, float, float]) -> str:
        return " / ".join(f"{value * 1000:.0f}" for value in values)

    lines = [
        "# Study memory under load: SQLite and PostgreSQL",
        "",
        f"`python -m benchmarks.bench_study_db --students {args.students} --answers "
        f"{args.answers} --servers {args.servers}` on {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f} at the end ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC). Each "
        "student is a thread on one of the app servers (one StudyMemory, one connection "
        "each); after every answer it reads its due reviews and mastery.",
        "",
        "| backend | answers issued | stored | each saw only their own | answers/s | "
        "record p50 / p95 / max (ms) | due + mastery p50 / p95 / max (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['backend']} | {row['issued']} | {row['stored']} | "
            f"{'yes' if row['own_only'] else 'NO'} | {row['per_s']:.0f} | {ms(row['record'])} | "
            f"{ms(row['read'])} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--append", action="store_true", help="add to the results file")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database to use (default: a throwaway server on loopback)",
    )
    args = parser.parse_args()
    server = None
    url = args.database_url
    if not url:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_support import start_postgres

        server = start_postgres()
        url = server.fresh_url()
    try:
        rows = [
            run_backend("SQLite (library file)", "", args.students, args.answers, args.servers),
            run_backend("PostgreSQL", url, args.students, args.answers, args.servers),
        ]
    finally:
        if server is not None:
            from pg_support import stop_postgres

            stop_postgres(server)
    report = table(rows, args)
    if args.append and RESULT.exists():
        report = RESULT.read_text(encoding="utf-8") + "\n" + report.split("\n", 2)[2]
    RESULT.write_text(report, encoding="utf-8")
    print(report)
    return 0 if all(r["stored"] == r["issued"] and r["own_only"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
