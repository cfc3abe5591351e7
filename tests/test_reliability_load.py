"""Load: 200 searches from 8 concurrent clients against one open library, all answered right."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SEARCHES = 200
CLIENTS = 8
DEV_SET = Path(__file__).parent / "data" / "dev_questions.jsonl"


def _queries() -> list[str]:
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["query"] for line in lines if line.strip()]
    return [questions[i % len(questions)] for i in range(SEARCHES)]


def _answer(hits) -> list[tuple[int, float]]:
    return [(hit.chunk.id, round(hit.score, 5)) for hit in hits]


def test_200_searches_from_8_concurrent_clients(sample_library):
    queries = _queries()
    serial = {query: _answer(sample_library.search(query, k=5)) for query in set(queries)}
    timings: list[float] = []
    lock = threading.Lock()

    def client_search(query: str) -> list[tuple[int, float]]:
        started = time.perf_counter()
        answer = _answer(sample_library.search(query, k=5))
        with lock:
            timings.append(time.perf_counter() - started)
        return answer

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        answers = list(clients.map(client_search, queries))
    wall = time.perf_counter() - started
    assert len(answers) == SEARCHES and all(answers)
    wrong = [q for q, answer in zip(queries, answers, strict=True) if answer != serial[q]]
    assert wrong == [], f"{len(wrong)} answers differ from the serial run"
    cuts = statistics.quantiles(timings, n=100)
    p50, p95 = cuts[49] * 1000, cuts[94] * 1000
    print(
        f"\nload: {SEARCHES} searches, {CLIENTS} clients, {wall:.1f} s wall "
        f"({SEARCHES / wall:.1f}/s): p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms"
    )
    assert p95 < 10_000  # a generous ceiling: on a busy 2-core runner each client waits its turn
