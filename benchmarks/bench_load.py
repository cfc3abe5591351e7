"""Load on loopback: simulated students searching and asking through one LLM endpoint.

    python -m benchmarks.bench_load                    # 30 students, 10 searches each, 5 ask
    python -m benchmarks.bench_load --students 10      # smaller
    python -m benchmarks.bench_load --url http://127.0.0.1:8080/v1   # an endpoint you run

One process holds the app's shared pieces exactly as the Streamlit server does (one library,
one ``OpenAIGenerator``); each student is a thread. Unless ``--url`` is given, the bundled GGUF is
served by ``llama_cpp.server`` on a free 127.0.0.1 port (``--interrupt_requests False``, the
product's n_ctx). Every student runs ``--searches`` searches (questions drawn from the pool
below, in a per-student order); the first ``--askers`` students also ask one explanation each,
and the next ``--quizzers`` ask for one practice question each ("next question"), at the start,
so the completions are in flight together and overlap the searches.

Reported: every request issued vs. answered (nothing may be lost), search latency p50/p95/max,
per-explanation time to sources / first token / total, "next question" latency, and how many
completions the client had in flight at once (the server queues them: llama_cpp.server runs
one at a time). The machine is shared: the load average is printed; compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from assistant.facade import Assistant
from assistant.generator_openai import EndpointConfig, OpenAIGenerator
from ground.settings import Settings
from models.llm_file import resolve_llm_path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "load.md"
SAMPLE_NOTES = ROOT / "examples" / "notes"
QUESTIONS = [
    "什么是梯度裁剪？", "L1 和 L2 正则化有什么区别？", "Dropout 的作用是什么？",
    "预训练和微调有什么区别？", "为什么会出现梯度消失？", "什么是批量归一化？",
    "LSTM 的遗忘门有什么作用？", "What is transfer learning?", "How does self-attention work?",
    "什么是知识蒸馏？", "学习率怎么调？", "过拟合怎么办？", "交叉熵损失是什么？",
    "What is the difference between batch norm and layer norm?", "Adam 优化器的原理",
]
ASK_QUESTIONS = ["什么是梯度裁剪？", "Dropout 的作用是什么？", "什么是批量归一化？",
                 "What is transfer learning?", "为什么会出现梯度消失？", "什么是知识蒸馏？"]


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    search_seconds: list[float] = field(default_factory=list)
    searches_issued: int = 0
    searches_empty: int = 0
    errors: list[str] = field(default_factory=list)
    asks: list[dict] = field(default_factory=list)
    asks_issued: int = 0
    quiz_seconds: list[float] = field(default_factory=list)
    quizzes_issued: int = 0
    quizzes_generated: int = 0  # by the model (not the extractive fallback)


def student(number: int, assistant: Assistant, args, tally: Tally, start: threading.Barrier):
    order = random.Random(number).sample(QUESTIONS, len(QUESTIONS))
    start.wait()
    if number < args.askers:
        ask(assistant, ASK_QUESTIONS[number % len(ASK_QUESTIONS)], tally)
    elif number < args.askers + args.quizzers:
        next_question(assistant, number, tally)
    for index in range(args.searches):
        question = order[index % len(order)]
        with tally.lock:
            tally.searches_issued += 1
        began = time.perf_counter()
        try:
            hits = assistant.library.search(question, k=assistant.settings.top_k)
        except Exception as error:  # counted, not raised: the run reports every loss
            with tally.lock:
                tally.errors.append(f"search: {error}")
            continue
        elapsed = time.perf_counter() - began
        with tally.lock:
            tally.search_seconds.append(elapsed)
            tally.searches_empty += not hits


def ask(assistant: Assistant, question: str, tally: Tally) -> None:
    with tally.lock:
        tally.asks_issued += 1
    began = time.perf_counter()
    try:
        explanation = assistant.explain(question)
        sources = time.perf_counter() - began
        first = None
        for _ in explanation.stream():
            if first is None:
                first = time.perf_counter() - began
        answer = explanation.finish()
    except Exception as error:
        with tally.lock:
            tally.errors.append(f"explain {question}: {error}")
        return
    stats = explanation.stats
    with tally.lock:
        tally.asks.append({
            "question": question, "sources": sources, "first": first, "began": began,
            "ended": time.perf_counter(), "generated": answer.generated,
            "citations": len(answer.citations), "tokens": stats.completion_tokens if stats else 0,
            "finish": stats.finish_reason if stats else "",
        })


def next_question(assistant: Assistant, number: int, tally: Tally) -> None:
    with tally.lock:
        tally.quizzes_issued += 1
    began = time.perf_counter()
    try:
        item = next(iter(assistant.quiz(count=1, kind="mcq", seed=number)), None)
    except Exception as error:
        with tally.lock:
            tally.errors.append(f"next question: {error}")
        return
    with tally.lock:
        if item is None:
            tally.errors.append("next question: none made")
        else:
            tally.quiz_seconds.append(time.perf_counter() - began)
            tally.quizzes_generated += item.generated


def most_in_flight(asks: list[dict]) -> int:
    """The most explanations that were open at one moment (their [began, ended] overlap)."""
    edges = sorted([(a["began"], 1) for a in asks] + [(a["ended"], -1) for a in asks])
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(args, tally: Tally, wall: float, load: tuple[float, float], server: str) -> str:
    searches = tally.search_seconds
    lost_searches = tally.searches_issued - len(searches)
    lost_asks = tally.asks_issued - len(tally.asks)
    lines = [
        "# Load test: students sharing one app process and one LLM endpoint (loopback)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs (shared by other jobs); "
        f"load average before / after {load[0]:.2f} / {load[1]:.2f}.",
        f"Server: {server}. Client: one `OpenAIGenerator` (no process-wide lock), one library "
        f"(sample notes), {args.students} student threads, {args.searches} searches each, "
        f"{args.askers} of them ask one explanation (max_tokens {args.max_tokens}) and "
        f"{args.quizzers} one practice question at the start.",
        f"Wall time {wall:.1f} s.",
        "",
        "| what | issued | answered | lost | p50 | p95 | max |",
        "|---|---|---|---|---|---|---|",
        f"| search | {tally.searches_issued} | {len(searches)} | {lost_searches} | "
        f"{1000 * statistics.median(searches):.0f} ms | "
        f"{1000 * percentile(searches, 0.95):.0f} ms | {1000 * max(searches):.0f} ms |"
        if searches else "| search | 0 | 0 | 0 | | | |",
        f"| explanation | {tally.asks_issued} | {len(tally.asks)} | {lost_asks} | "
        + (f"{statistics.median(a['ended'] - a['began'] for a in tally.asks):.1f} s | "
           f"{percentile([a['ended'] - a['began'] for a in tally.asks], 0.95):.1f} s | "
           f"{max(a['ended'] - a['began'] for a in tally.asks):.1f} s |" if tally.asks
           else "| | |"),
        f"| next question | {tally.quizzes_issued} | {len(tally.quiz_seconds)} | "
        f"{tally.quizzes_issued - len(tally.quiz_seconds)} | "
        + (f"{statistics.median(tally.quiz_seconds):.1f} s | "
           f"{percentile(tally.quiz_seconds, 0.95):.1f} s | {max(tally.quiz_seconds):.1f} s |"
           if tally.quiz_seconds else "| | |"),
        "",
        f"Explanations open at once (client side): {most_in_flight(tally.asks)}; "
        f"searches that found nothing: {tally.searches_empty}; practice questions written by "
        f"the model: {tally.quizzes_generated} of {len(tally.quiz_seconds)}; "
        f"errors: {len(tally.errors)}.",
        "",
        "| explanation | sources (s) | first token (s) | total (s) | tokens | finish | cited |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in sorted(tally.asks, key=lambda a: a["began"]):
        first = f"{a['first']:.1f}" if a["first"] is not None else "—"
        lines.append(f"| {a['question']} | {a['sources']:.2f} | {first} | "
                     f"{a['ended'] - a['began']:.1f} | {a['tokens']} | {a['finish']} | "
                     f"{a['citations']} |")
    lines += [f"- error: {e}" for e in tally.errors[:10]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--searches", type=int, default=10)
    parser.add_argument("--askers", type=int, default=5)
    parser.add_argument("--quizzers", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--url", help="an OpenAI-compatible endpoint already running")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from index.library import Library

    settings = Settings.load().replace(max_tokens=args.max_tokens, temperature=0.0)
    home = tempfile.mkdtemp(prefix="bench-load-")
    library = Library.open(settings.replace(home=home))
    library.ingest([SAMPLE_NOTES])
    library.search("warm-up")
    server = None
    if args.url:
        url, server_text = args.url, f"`{args.url}`"
    else:
        sys.path.insert(0, str(ROOT / "tests"))  # the tests' launcher of llama_cpp.server
        from llm_server import start_llm_server

        server = start_llm_server(resolve_llm_path(settings), settings.n_ctx,
                                  settings.resolved_threads(), Path(home) / "server.log")
        url = server.url
        server_text = (f"llama_cpp.server (bundled Qwen2.5-Coder-1.5B Q4_K_M, n_ctx "
                       f"{settings.n_ctx}, {settings.resolved_threads()} threads, one completion "
                       "at a time)")
    try:
        generator = OpenAIGenerator(EndpointConfig(url, n_ctx=settings.n_ctx))
        if not generator.available:
            raise SystemExit(generator.reason)
        assistant = Assistant(library, generator, settings.replace(llm_url=url))
        tally = Tally()
        start = threading.Barrier(args.students)
        threads = [threading.Thread(target=student, args=(n, assistant, args, tally, start))
                   for n in range(args.students)]
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        text = report(args, tally, wall, (load_before, os.getloadavg()[0]), server_text)
    finally:
        if server is not None:
            server.stop()
        library.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
