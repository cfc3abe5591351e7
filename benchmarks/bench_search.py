"""Search latency, recall and memory at 1e3 / 1e5 / 1e6 chunks; writes results/search.md.

    python -m benchmarks.bench_search                    # the full run (about 15 min, 2 cores)
    python -m benchmarks.bench_search --sizes 1000,10000 --no-compare --no-sweep   # quick

Per library size: build the keyword index from synthetic chunk texts (its time is the
rebuild time after any change) and the vector index that ``choose_index_kind`` picks, then time
single queries one after another as the app runs them: vector search for the hybrid
candidates, keyword search, reciprocal-rank fusion plus duplicate collapse. The query
embedding is not included (the embedder's own benchmark measures it); pass ``embed_query`` to
:func:`run` to time it inside the end-to-end figure. Approximate recall@10 is checked against
exact search on the same vectors. See :mod:`benchmarks.synthetic` for how the texts and
vectors are made.

The machine is shared, so each latency pass runs twice and the faster pass is reported; the
load average at the time is printed with the table.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from benchmarks.synthetic import (
    chunk_texts,
    embedding_like,
    high_dimensional,
    near_queries,
    text_queries,
)
from index.fusion import collapse_groups, reciprocal_rank_fusion
from index.lexical import LexicalIndex
from index.vector_index import (
    APPROXIMATE_FROM,
    VectorIndex,
    choose_index_kind,
    create_vector_index,
    open_vector_index,
    save_vector_index,
)

RESULTS = Path(__file__).resolve().parent / "results" / "search.md"
DIM = 384
K = 10
CANDIDATES = 40  # what hybrid search asks each retriever for: max(4 * k, 30) at k = 10
DUPLICATE_SHARE = 0.05
PASSES = 2


@dataclass(frozen=True)
class SizeResult:
    n: int
    kind: str
    vector_build_s: float
    lexical_build_s: float
    vector_p50_ms: float
    vector_p95_ms: float
    lexical_p50_ms: float
    lexical_p95_ms: float
    fusion_p95_ms: float
    total_p50_ms: float
    total_p95_ms: float
    recall_at_10: float | None
    vector_bytes_per_chunk: float
    lexical_bytes_per_chunk: float
    open_s: float
    peak_rss_gb: float


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(seconds, q) * 1000)


def recall(approximate: list, exact: list, k: int = K) -> float:
    return float(
        np.mean(
            [
                len({h.id for h in a[:k]} & {h.id for h in e[:k]}) / k
                for a, e in zip(approximate, exact, strict=True)
            ]
        )
    )


def single_query_ms(index: VectorIndex, queries: np.ndarray, k: int = CANDIDATES) -> list[float]:
    best: list[float] | None = None
    for _ in range(PASSES):
        times = []
        for query in queries:
            start = time.perf_counter()
            index.search_one(query, k)
            times.append(time.perf_counter() - start)
        if best is None or np.percentile(times, 95) < np.percentile(best, 95):
            best = times
    return best or []


def directory_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def measure_size(
    n: int,
    n_queries: int,
    workdir: Path,
    embed_query: Callable[[str], np.ndarray] | None = None,
    log: Callable[[str], None] = print,
) -> SizeResult:
    start = time.perf_counter()
    lexical = LexicalIndex.build(np.arange(n, dtype=np.int64), chunk_texts(n))
    lexical_build = time.perf_counter() - start
    log(f"  n={n:,}: keyword index built in {lexical_build:.1f} s")

    vectors = embedding_like(n, DIM)
    query_vectors = near_queries(vectors, n_queries)
    queries = text_queries(n_queries)
    kind = choose_index_kind(n)
    start = time.perf_counter()
    index = create_vector_index(kind, DIM)
    index.add(np.arange(n, dtype=np.int64), vectors)
    vector_build = time.perf_counter() - start
    log(f"  n={n:,}: {kind} vector index built in {vector_build:.1f} s")

    recall_at_10 = None
    if kind != "flat":
        exact = create_vector_index("flat", DIM)
        exact.add(np.arange(n, dtype=np.int64), vectors)
        recall_at_10 = recall(index.search(query_vectors, K), exact.search(query_vectors, K))
        del exact
    del vectors
    gc.collect()

    rng = np.random.default_rng(3)
    duplicated = rng.choice(n, max(1, int(n * DUPLICATE_SHARE)), replace=False)
    group_of = {int(i): int(i) // 2 for i in duplicated}  # pairs of near-duplicates

    best: dict[str, list[float]] | None = None
    for _ in range(PASSES):
        times: dict[str, list[float]] = {"vector": [], "lexical": [], "fusion": [], "total": []}
        for text, vector in zip(queries, query_vectors, strict=True):
            t0 = time.perf_counter()
            if embed_query is not None:
                vector = embed_query(text)
            t1 = time.perf_counter()
            dense = index.search_one(vector, CANDIDATES)
            t2 = time.perf_counter()
            keyword = lexical.search(text, CANDIDATES)
            t3 = time.perf_counter()
            kept, _ = collapse_groups(reciprocal_rank_fusion([dense, keyword]), group_of)
            kept[:K]
            t4 = time.perf_counter()
            times["vector"].append(t2 - t1)
            times["lexical"].append(t3 - t2)
            times["fusion"].append(t4 - t3)
            times["total"].append(t4 - t0)
        if best is None or np.percentile(times["total"], 95) < np.percentile(best["total"], 95):
            best = times
    assert best is not None

    vector_dir, lexical_dir = workdir / f"v{n}", workdir / f"l{n}"
    save_vector_index(index, vector_dir, "bench/e5-small")
    lexical.save(lexical_dir)
    del index, lexical
    gc.collect()
    start = time.perf_counter()
    open_vector_index(vector_dir, "bench/e5-small", DIM, expected_count=n)
    LexicalIndex.open(lexical_dir, expected_count=n)
    open_s = time.perf_counter() - start
    result = SizeResult(
        n=n,
        kind=kind,
        vector_build_s=vector_build,
        lexical_build_s=lexical_build,
        vector_p50_ms=percentile_ms(best["vector"], 50),
        vector_p95_ms=percentile_ms(best["vector"], 95),
        lexical_p50_ms=percentile_ms(best["lexical"], 50),
        lexical_p95_ms=percentile_ms(best["lexical"], 95),
        fusion_p95_ms=percentile_ms(best["fusion"], 95),
        total_p50_ms=percentile_ms(best["total"], 50),
        total_p95_ms=percentile_ms(best["total"], 95),
        recall_at_10=recall_at_10,
        vector_bytes_per_chunk=directory_bytes(vector_dir) / n,
        lexical_bytes_per_chunk=directory_bytes(lexical_dir) / n,
        open_s=open_s,
        peak_rss_gb=peak_rss_gb(),
    )
    shutil.rmtree(vector_dir)
    shutil.rmtree(lexical_dir)
    log(f"  n={n:,}: total p95 {result.total_p95_ms:.1f} ms")
    return result


def compare_approximate(n: int, n_queries: int, log: Callable[[str], None]) -> list[str]:
    """IVF against HNSW at one size, on the fitted vectors and on the harder set."""
    rows = []
    for name, make in (("e5-like", embedding_like), ("high-dim", high_dimensional)):
        vectors = make(n, DIM)
        queries = near_queries(vectors, n_queries)
        ids = np.arange(n, dtype=np.int64)
        exact = create_vector_index("flat", DIM)
        exact.add(ids, vectors)
        truth = exact.search(queries, K)
        for kind in ("ivf", "hnsw"):
            start = time.perf_counter()
            index = create_vector_index(kind, DIM)
            index.add(ids, vectors)
            build = time.perf_counter() - start
            times = single_query_ms(index, queries)
            got = recall(index.search(queries, K), truth)
            rows.append(
                f"| {name} | {kind} | {build:.1f} | {got:.3f} | "
                f"{percentile_ms(times, 50):.2f} | {percentile_ms(times, 95):.2f} |"
            )
            log("  " + rows[-1])
    return rows


def threshold_sweep(sizes: list[int], n_queries: int, log: Callable[[str], None]) -> list[str]:
    """Single-query p95 of exact search and of IVF as the library grows."""
    rows = []
    for n in sizes:
        vectors = embedding_like(n, DIM)
        queries = near_queries(vectors, n_queries)
        ids = np.arange(n, dtype=np.int64)
        cells = []
        for kind in ("flat", "ivf"):
            index = create_vector_index(kind, DIM)
            index.add(ids, vectors)
            cells.append(percentile_ms(single_query_ms(index, queries), 95))
        rows.append(f"| {n:,} | {cells[0]:.2f} | {cells[1]:.2f} |")
        log("  " + rows[-1])
    return rows


def render(
    results: list[SizeResult], compare_rows: list[str], sweep_rows: list[str], wall_s: float
) -> str:
    lines = [
        "# Search benchmark",
        "",
        f"Generated by `python -m benchmarks.bench_search` in {wall_s / 60:.1f} min on "
        f"{os.cpu_count()} cores (load average at the end: "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; the machine was shared, latencies "
        f"are the faster of {PASSES} passes of single queries run one after another). "
        "faiss runs single queries on one thread. Query embedding is **not** included "
        "(measured by the embedder's benchmark; `run(embed_query=...)` adds it).",
        "",
        f"Each retriever returns {CANDIDATES} candidates; fusion = reciprocal-rank fusion + "
        f"duplicate collapse. Recall@10 is the approximate index against exact search. "
        f"Sizes are the files written by `save` (what a process holds in memory is about the "
        f"same, plus the keyword vocabulary as a Python dict).",
        "",
        "| chunks | vector index | vector build s | keyword build s | vector p50/p95 ms | "
        "keyword p50/p95 ms | fusion p95 ms | **total p50/p95 ms** | recall@10 | "
        "vector B/chunk | keyword B/chunk | open s | peak RSS GB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        recall_cell = "exact" if r.recall_at_10 is None else f"{r.recall_at_10:.3f}"
        lines.append(
            f"| {r.n:,} | {r.kind} | {r.vector_build_s:.1f} | {r.lexical_build_s:.1f} | "
            f"{r.vector_p50_ms:.2f} / {r.vector_p95_ms:.2f} | "
            f"{r.lexical_p50_ms:.2f} / {r.lexical_p95_ms:.2f} | {r.fusion_p95_ms:.2f} | "
            f"**{r.total_p50_ms:.1f} / {r.total_p95_ms:.1f}** | {recall_cell} | "
            f"{r.vector_bytes_per_chunk:,.0f} | {r.lexical_bytes_per_chunk:,.0f} | "
            f"{r.open_s:.2f} | {r.peak_rss_gb:.1f} |"
        )
    if sweep_rows:
        lines += [
            "",
            f"## Exact or approximate (`choose_index_kind`: approximate from "
            f"{APPROXIMATE_FROM:,} chunks)",
            "",
            f"Single-query p95 ({CANDIDATES} results), e5-like vectors.",
            "",
            "| chunks | exact (flat) p95 ms | IVF p95 ms |",
            "|---|---|---|",
            *sweep_rows,
        ]
    if compare_rows:
        lines += [
            "",
            "## IVF or HNSW",
            "",
            "Same size, e5-like vectors and the harder high-dimensional set "
            "(see benchmarks/synthetic.py). Build on 2 threads, queries on 1.",
            "",
            "| vectors | index | build s | recall@10 | p50 ms | p95 ms |",
            "|---|---|---|---|---|---|",
            *compare_rows,
        ]
    return "\n".join(lines) + "\n"


def run(
    sizes: list[int],
    n_queries: int = 200,
    compare_at: int | None = 100_000,
    sweep: list[int] | None = None,
    embed_query: Callable[[str], np.ndarray] | None = None,
    out: Path | None = RESULTS,
    log: Callable[[str], None] = print,
) -> str:
    started = time.perf_counter()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as workdir:
        for n in sizes:
            results.append(measure_size(n, n_queries, Path(workdir), embed_query, log))
            gc.collect()
    sweep_rows = threshold_sweep(sweep, n_queries, log) if sweep else []
    compare_rows = compare_approximate(compare_at, n_queries, log) if compare_at else []
    report = render(results, compare_rows, sweep_rows, time.perf_counter() - started)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sweep", default="10000,30000,100000,300000")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--compare-at", type=int, default=100_000)
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = run(
        sizes=[int(s) for s in args.sizes.split(",")],
        n_queries=args.queries,
        compare_at=None if args.no_compare else args.compare_at,
        sweep=None if args.no_sweep else [int(s) for s in args.sweep.split(",")],
        out=args.out,
    )
    print(report)


if __name__ == "__main__":
    main()
