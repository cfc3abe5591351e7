"""Explain-mode latency for 10 typical questions; writes results/assistant.md.

    python -m benchmarks.bench_assistant                      # builds a sample library first
    python -m benchmarks.bench_assistant --home ~/.study      # reuse a library with the notes
    python -m benchmarks.bench_assistant --naive              # also time the naive prompt

Per question, as the app runs it (system prompt primed once at start-up, as the UI does):

- **sources**: ``assistant.explain(q)`` returning -- search, coverage check and the budgeted
  prompt; the UI shows the passages at this point (target < 0.2 s).
- **first token**: from the call to the first streamed piece (goal <= 4 s on 2 cores).
- **tokens/s**: decode rate after the first token, and that rate as a fraction of the decode
  bound: memory bandwidth / model bytes (decoding one token reads every weight once). The
  bandwidth is a single-threaded numpy copy of a 256 MiB array, counted as read + write.

``--naive`` adds the baseline measured before the work: all 5 retrieved passages in full and a
cold KV cache (no reused system prompt), so the gain can be read off the same machine.
The machine is shared: the load average is printed with the table; compare rows from one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.facade import Assistant
from assistant.generator import LlamaGenerator, Message, Prompt
from assistant.prompts import SYSTEM, explain_user
from assistant.retrieval import Passage
from ground.settings import Settings
from models.llm_file import resolve_llm_path

RESULTS = Path(__file__).resolve().parent / "results" / "assistant.md"
SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "examples" / "notes"
QUESTIONS = [
    "什么是梯度裁剪？",
    "L1 和 L2 正则化有什么区别？",
    "Dropout 的作用是什么？",
    "预训练和微调有什么区别？",
    "为什么会出现梯度消失？",
    "什么是批量归一化？",
    "LSTM 的遗忘门有什么作用？",
    "What is transfer learning?",
    "How does self-attention work?",
    "什么是知识蒸馏？",
]
COPY_BYTES = 256 * 1024 * 1024


@dataclass
class Row:
    question: str
    sources_s: float
    first_token_s: float
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    tokens_per_s: float
    load: float  # 1-minute load average when the question started (the machine is shared)


def memory_bandwidth(repeats: int = 5) -> float:
    """Bytes per second of a large numpy copy (read + write), best of ``repeats``."""
    source = np.ones(COPY_BYTES // 8, dtype=np.float64)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * COPY_BYTES / best


def time_question(assistant: Assistant, question: str) -> Row:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    explanation = assistant.explain(question)
    sources = time.perf_counter() - start
    first = None
    for _ in explanation.stream():
        if first is None:
            first = time.perf_counter() - start
    explanation.finish()
    stats = explanation.stats
    if stats is None:  # not covered or no model: nothing generated
        return Row(question, sources, float("nan"), 0, 0, 0, 0.0, load)
    return _row(question, sources, first, stats, load)


def time_naive(assistant: Assistant, question: str) -> Row:
    """The baseline: every retrieved passage in full, and a cold cache."""
    generator = assistant.generator
    load = os.getloadavg()[0]
    start = time.perf_counter()
    hits = assistant.library.search(question, k=assistant.settings.top_k)
    passages = [Passage(i, hit, hit.chunk.text) for i, hit in enumerate(hits, start=1)]
    sources = time.perf_counter() - start
    messages = (SYSTEM, Message("user", explain_user(passages, question, "zh")))
    generator.model.llm.reset()  # nothing reused from the previous prompt
    stream = generator.stream(Prompt(messages, assistant.settings.max_tokens))
    first = None
    for _ in stream:
        if first is None:
            first = time.perf_counter() - start
    stats = stream.stats
    return _row(question, sources, first, stats, load)


def _row(question: str, sources: float, first: float | None, stats, load: float) -> Row:
    """A row from the timings and a finished stream's ``stats``."""
    return Row(
        question,
        sources,
        first or float("nan"),
        stats.prompt_tokens,
        stats.cached_tokens,
        stats.completion_tokens,
        stats.decode_tokens_per_second,
        load,
    )


def open_library(home: str | None, settings: Settings):
    from index.library import Library

    if home:
        return Library.open(settings.replace(home=home))
    library = Library.open(settings.replace(home=tempfile.mkdtemp(prefix="bench-assistant-")))
    library.ingest([SAMPLE_NOTES])
    return library


def table(rows: list[Row], bound: float) -> list[str]:
    lines = [
        "| question | sources (s) | first token (s) | prompt tok (cached) | "
        "answer tok | tokens/s | of bound | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.question} | {r.sources_s:.3f} | {r.first_token_s:.2f} | "
            f"{r.prompt_tokens} ({r.cached_tokens}) | {r.completion_tokens} | "
            f"{r.tokens_per_s:.1f} | {r.tokens_per_s / bound:.0%} | {r.load:.1f} |"
        )
    generated = [r for r in rows if r.completion_tokens]
    if generated:
        median = statistics.median
        lines.append(
            f"| **median** | **{median(r.sources_s for r in rows):.3f}** | "
            f"**{median(r.first_token_s for r in generated):.2f}** | "
            f"{median(r.prompt_tokens for r in generated):.0f} | "
            f"{median(r.completion_tokens for r in generated):.0f} | "
            f"**{median(r.tokens_per_s for r in generated):.1f}** | "
            f"{median(r.tokens_per_s for r in generated) / bound:.0%} | "
            f"{median(r.load for r in rows):.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="an existing library holding the sample notes")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--naive", action="store_true", help="also time the naive prompt")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    settings = Settings.load().replace(max_tokens=args.max_tokens, temperature=0.0)
    library = open_library(args.home, settings)
    library.search("warm-up")  # load the embedder and indexes, as the app does at start
    load_start = time.perf_counter()
    assistant = Assistant.open(library, settings)
    if not isinstance(assistant.generator, LlamaGenerator):
        raise SystemExit(f"no model: {assistant.generator.reason}")
    load_s = time.perf_counter() - load_start
    prime_start = time.perf_counter()
    assistant.warm()
    prime_s = time.perf_counter() - prime_start

    bandwidth = memory_bandwidth()
    model_bytes = resolve_llm_path(settings).stat().st_size
    bound = bandwidth / model_bytes
    load_before = os.getloadavg()
    rows = [time_question(assistant, q) for q in QUESTIONS]
    naive = [time_naive(assistant, q) for q in QUESTIONS[:3]] if args.naive else []
    load_after = os.getloadavg()

    config = assistant.generator.config
    lines = [
        "# Assistant benchmark (explain mode)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"n_threads={config.n_threads}, n_ctx={config.n_ctx}, n_batch={config.n_batch}, "
        f"flash_attn={config.flash_attn}; max_tokens={args.max_tokens}, temperature 0.",
        f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        "(shared machine; above ~0.5 the numbers are pessimistic).",
        f"Model load {load_s:.2f} s; system prompt primed once in {prime_s:.2f} s.",
        f"Memory bandwidth (numpy copy, read + write): {bandwidth / 1e9:.1f} GB/s; model "
        f"{model_bytes / 1e9:.2f} GB; decode bound {bound:.1f} tokens/s.",
        "",
        *table(rows, bound),
    ]
    if naive:
        lines += ["", "Naive baseline (5 full passages, cold cache):", "", *table(naive, bound)]
    text = "\n".join(lines) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
