"""Search latency, recall and memory at 1e3 / 1e5 / 1e6 chunks; writes results/search.md.

    python -m benchmarks.bench_search                    # the full run (about 15 min, 2 cores)
    python -m benchmarks.bench_search --sizes 1000,10000 --no-compare --no-sweep   # quick
    python -m benchmarks.bench_search --with-embedding   # end to end, real embedder and vectors

Per library size: build the keyword index from synthetic chunk texts (its time is the
rebuild time after any change) and the vector index that ``choose_index_kind`` picks, then time
single queries one after another as the app runs them (:func:`index.hybrid.rank`): vector
search for the hybrid candidates, keyword search, weighted score fusion plus duplicate
collapse. Approximate recall@10 is checked against exact search on the same vectors.

Without ``--with-embedding`` the query embedding is not included and the vectors are
synthetic (:func:`benchmarks.synthetic.embedding_like`). With it, the project's embedder is
loaded (``create_embedder(Settings.load())``: the default int8 ONNX backend), the sample notes
are ingested into a scratch library to get their real chunk embeddings, the library vectors
are grown from those (:func:`benchmarks.synthetic.derived_from_real`), and each timed query is
embedded by the embedder inside the end-to-end figure. Recall is then also measured for real
questions (tests/data/dev_questions.jsonl, embedded as queries). See :mod:`benchmarks.synthetic`
for how the texts and vectors are made.

The machine is shared, so each latency pass runs twice and the faster pass is reported; the
load average at the time is printed with the table.
"""

from __future__ import annotations

import argparse
import gc
import json
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
    NOTES,
    chunk_texts,
    derived_from_real,
    embedding_like,
    high_dimensional,
    near_queries,
    text_queries,
)
from index.fusion import collapse_groups, weighted_score_fusion
from index.hybrid import CANDIDATES_PER_HIT, DENSE_WEIGHT, LEXICAL_WEIGHT, MIN_CANDIDATES
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
DEV_QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_questions.jsonl"
DIM = 384
K = 10
CANDIDATES = max(K * CANDIDATES_PER_HIT, MIN_CANDIDATES)  # what hybrid search asks each for
DUPLICATE_SHARE = 0.05
PASSES = 2


@dataclass(frozen=True)
class RealEmbeddings:
    """What ``--with-embedding`` loads once: the embedder and real vectors to grow from."""

    embed_query: Callable[[str], np.ndarray]
    model_id: str
    load_s: float
    chunk_vectors: np.ndarray  # the sample notes' chunks, as ingest embeds them
    question_vectors: np.ndarray  # the dev questions, embedded as queries


@dataclass(frozen=True)
class VectorSet:
    """Library vectors plus the query sets their recall is measured with."""

    name: str
    vectors: np.ndarray
    near_queries: np.ndarray
    questions: np.ndarray | None  # real questions; only meaningful for real-derived vectors


@dataclass(frozen=True)
class SizeResult:
    n: int
    kind: str
    vectors: str
    vector_build_s: float
    lexical_build_s: float
    embed_p50_ms: float | None
    embed_p95_ms: float | None
    vector_p50_ms: float
    vector_p95_ms: float
    lexical_p50_ms: float
    lexical_p95_ms: float
    fusion_p95_ms: float
    total_p50_ms: float
    total_p95_ms: float
    recall_at_10: float | None
    question_recall_at_10: float | None
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


def dev_questions(path: Path = DEV_QUESTIONS) -> list[str]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line)["query"] for line in lines if line.strip()]


def load_real_embeddings(log: Callable[[str], None] = print) -> RealEmbeddings:
    """The project's embedder, the sample chunks' stored vectors and the dev questions'.

    The chunks come from ingesting the sample notes into a scratch library, so they are cut
    and embedded exactly as the app does it.
    """
    from ground.settings import Settings
    from index.library import Library

    settings = Settings.load()
    with tempfile.TemporaryDirectory(prefix="bench-search-notes-") as home:
        with Library.open(settings.replace(home=home)) as library:
            start = time.perf_counter()
            embedder = library.embedder  # create_embedder(settings): the default backend
            embedder.embed_query("warm-up")
            load_s = time.perf_counter() - start
            library.ingest([NOTES])
            _, chunk_vectors = library.indexes().vectors.items()
    questions = np.stack([embedder.embed_query(q) for q in dev_questions()])
    log(
        f"  embedder {embedder.model_id} loaded in {load_s:.2f} s; "
        f"{len(chunk_vectors)} sample chunks, {len(questions)} dev questions embedded"
    )
    return RealEmbeddings(
        embedder.embed_query, embedder.model_id, load_s, chunk_vectors.copy(), questions
    )


def vector_set(name: str, n: int, n_queries: int, real: RealEmbeddings | None) -> VectorSet:
    """``n`` library vectors of kind ``name`` ("e5-like", "high-dim" or "real-derived")."""
    if name == "real-derived":
        if real is None:
            raise ValueError("real-derived vectors need the embedder (--with-embedding)")
        vectors = derived_from_real(real.chunk_vectors, n)
        return VectorSet(name, vectors, near_queries(vectors, n_queries), real.question_vectors)
    make = {"e5-like": embedding_like, "high-dim": high_dimensional}[name]
    vectors = make(n, DIM)
    return VectorSet(name, vectors, near_queries(vectors, n_queries), None)


def measure_size(
    n: int,
    n_queries: int,
    workdir: Path,
    real: RealEmbeddings | None = None,
    log: Callable[[str], None] = print,
) -> SizeResult:
    start = time.perf_counter()
    lexical = LexicalIndex.build(np.arange(n, dtype=np.int64), chunk_texts(n))
    lexical_build = time.perf_counter() - start
    log(f"  n={n:,}: keyword index built in {lexical_build:.1f} s")

    vectors = vector_set("real-derived" if real else "e5-like", n, n_queries, real)
    query_vectors = vectors.near_queries
    queries = text_queries(n_queries)
    kind = choose_index_kind(n)
    start = time.perf_counter()
    index = create_vector_index(kind, DIM)
    index.add(np.arange(n, dtype=np.int64), vectors.vectors)
    vector_build = time.perf_counter() - start
    log(f"  n={n:,}: {kind} vector index built in {vector_build:.1f} s")

    recall_at_10 = question_recall = None
    if kind != "flat":
        exact = create_vector_index("flat", DIM)
        exact.add(np.arange(n, dtype=np.int64), vectors.vectors)
        recall_at_10 = recall(index.search(query_vectors, K), exact.search(query_vectors, K))
        if vectors.questions is not None:
            question_recall = recall(
                index.search(vectors.questions, K), exact.search(vectors.questions, K)
            )
        del exact
    vectors_name = vectors.name
    del vectors
    gc.collect()

    rng = np.random.default_rng(3)
    duplicated = rng.choice(n, max(1, int(n * DUPLICATE_SHARE)), replace=False)
    group_of = {int(i): int(i) // 2 for i in duplicated}  # pairs of near-duplicates

    embed_query = real.embed_query if real else None
    best: dict[str, list[float]] | None = None
    for _ in range(PASSES):
        times: dict[str, list[float]] = {
            "embed": [],
            "vector": [],
            "lexical": [],
            "fusion": [],
            "total": [],
        }
        for text, vector in zip(queries, query_vectors, strict=True):
            t0 = time.perf_counter()
            if embed_query is not None:
                vector = embed_query(text)
            t1 = time.perf_counter()
            dense = index.search_one(vector, CANDIDATES)
            t2 = time.perf_counter()
            keyword = lexical.search(text, CANDIDATES)
            t3 = time.perf_counter()
            fused = weighted_score_fusion([dense, keyword], [DENSE_WEIGHT, LEXICAL_WEIGHT])
            kept, _ = collapse_groups(fused, group_of)
            kept[:K]
            t4 = time.perf_counter()
            times["embed"].append(t1 - t0)
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
        vectors=vectors_name,
        vector_build_s=vector_build,
        lexical_build_s=lexical_build,
        embed_p50_ms=percentile_ms(best["embed"], 50) if embed_query else None,
        embed_p95_ms=percentile_ms(best["embed"], 95) if embed_query else None,
        vector_p50_ms=percentile_ms(best["vector"], 50),
        vector_p95_ms=percentile_ms(best["vector"], 95),
        lexical_p50_ms=percentile_ms(best["lexical"], 50),
        lexical_p95_ms=percentile_ms(best["lexical"], 95),
        fusion_p95_ms=percentile_ms(best["fusion"], 95),
        total_p50_ms=percentile_ms(best["total"], 50),
        total_p95_ms=percentile_ms(best["total"], 95),
        recall_at_10=recall_at_10,
        question_recall_at_10=question_recall,
        vector_bytes_per_chunk=directory_bytes(vector_dir) / n,
        lexical_bytes_per_chunk=directory_bytes(lexical_dir) / n,
        open_s=open_s,
        peak_rss_gb=peak_rss_gb(),
    )
    shutil.rmtree(vector_dir)
    shutil.rmtree(lexical_dir)
    log(f"  n={n:,}: total p95 {result.total_p95_ms:.1f} ms")
    return result


def compare_approximate(
    n: int,
    n_queries: int,
    log: Callable[[str], None],
    sets: tuple[str, ...] = ("e5-like", "high-dim"),
    real: RealEmbeddings | None = None,
) -> list[str]:
    """IVF against HNSW at one size, on each vector set in ``sets``.

    Recall is measured with near-copy queries and, for real-derived vectors, with the real
    dev questions too (they sit farther from their passages: top-1 cosine ~0.9, not ~0.96).
    """
    rows = []
    for name in sets:
        vectors = vector_set(name, n, n_queries, real)
        ids = np.arange(n, dtype=np.int64)
        exact = create_vector_index("flat", DIM)
        exact.add(ids, vectors.vectors)
        truth = exact.search(vectors.near_queries, K)
        question_truth = (
            exact.search(vectors.questions, K) if vectors.questions is not None else None
        )
        del exact
        for kind in ("ivf", "hnsw"):
            start = time.perf_counter()
            index = create_vector_index(kind, DIM)
            index.add(ids, vectors.vectors)
            build = time.perf_counter() - start
            times = single_query_ms(index, vectors.near_queries)
            got = recall(index.search(vectors.near_queries, K), truth)
            question_cell = "—"
            if question_truth is not None:
                question_cell = f"{recall(index.search(vectors.questions, K), question_truth):.3f}"
            rows.append(
                f"| {name} | {kind} | {build:.1f} | {got:.3f} | {question_cell} | "
                f"{percentile_ms(times, 50):.2f} | {percentile_ms(times, 95):.2f} |"
            )
            log("  " + rows[-1])
            del index
            gc.collect()
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


def load_text(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.1f}" for x in load)


def render(
    results: list[SizeResult],
    compare_rows: list[str],
    sweep_rows: list[str],
    wall_s: float,
    compare_size: int = 0,
    real: RealEmbeddings | None = None,
    load_at_start: tuple[float, float, float] | None = None,
) -> str:
    if real is None:
        embedding_note = (
            "Query embedding is **not** included (measured by the embedder's benchmark; "
            "`--with-embedding` adds it). Vectors: synthetic e5-like."
        )
    else:
        embedding_note = (
            f"**Query embedding included**: `{real.model_id}` (loaded in {real.load_s:.2f} s, "
            "not counted), one query at a time; the vectors are grown from the sample notes' "
            "real chunk embeddings (`derived_from_real`)."
        )
    started = f"at the start: {load_text(load_at_start)}; " if load_at_start else ""
    lines = [
        "# Search benchmark",
        "",
        f"Generated by `python -m benchmarks.bench_search` in {wall_s / 60:.1f} min on "
        f"{os.cpu_count()} cores (load average {started}at the end: "
        f"{load_text(os.getloadavg())}; the machine was shared, latencies "
        f"are the faster of {PASSES} passes of single queries run one after another). "
        f"faiss runs single queries on one thread. {embedding_note}",
        "",
        f"Each retriever returns {CANDIDATES} candidates; fusion = weighted score fusion "
        f"({DENSE_WEIGHT}/{LEXICAL_WEIGHT}, as `index.hybrid`) + duplicate collapse. Recall@10 "
        "is the approximate index against exact search, for near-copy queries and (real-derived "
        "vectors only) the 74 dev questions. Sizes are the files written by `save` (what a "
        "process holds in memory is about the same, plus the keyword vocabulary as a Python "
        "dict).",
        "",
        "| chunks | vectors | vector index | vector build s | keyword build s | "
        "embed p50/p95 ms | vector p50/p95 ms | keyword p50/p95 ms | fusion p95 ms | "
        "**total p50/p95 ms** | recall@10 near / questions | "
        "vector B/chunk | keyword B/chunk | open s | peak RSS GB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        recall_cell = "exact" if r.recall_at_10 is None else f"{r.recall_at_10:.3f}"
        if r.question_recall_at_10 is not None:
            recall_cell += f" / {r.question_recall_at_10:.3f}"
        embed_cell = (
            "—" if r.embed_p50_ms is None else f"{r.embed_p50_ms:.2f} / {r.embed_p95_ms:.2f}"
        )
        lines.append(
            f"| {r.n:,} | {r.vectors} | {r.kind} | {r.vector_build_s:.1f} | "
            f"{r.lexical_build_s:.1f} | {embed_cell} | "
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
            f"{compare_size:,} vectors of each set (see benchmarks/synthetic.py). Build on "
            "2 threads, queries on 1; latency of near-copy queries without embedding.",
            "",
            "| vectors | index | build s | recall@10 near | recall@10 questions | "
            "p50 ms | p95 ms |",
            "|---|---|---|---|---|---|---|",
            *compare_rows,
        ]
    return "\n".join(lines) + "\n"


def run(
    sizes: list[int],
    n_queries: int = 200,
    compare_at: int | None = 100_000,
    sweep: list[int] | None = None,
    real: RealEmbeddings | None = None,
    compare_sets: tuple[str, ...] = ("e5-like", "high-dim"),
    out: Path | None = RESULTS,
    log: Callable[[str], None] = print,
) -> str:
    """Measure ``sizes`` (then the sweep and the IVF/HNSW comparison) and render the report.

    ``real`` (from :func:`load_real_embeddings`) puts the query embedding into the timed path
    and grows the library vectors from real chunk embeddings.
    """
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as workdir:
        for n in sizes:
            log(f"  n={n:,}: load average {load_text(os.getloadavg())}")
            results.append(measure_size(n, n_queries, Path(workdir), real, log))
            gc.collect()
    sweep_rows = threshold_sweep(sweep, n_queries, log) if sweep else []
    compare_rows = (
        compare_approximate(compare_at, n_queries, log, compare_sets, real) if compare_at else []
    )
    report = render(
        results,
        compare_rows,
        sweep_rows,
        time.perf_counter() - started,
        compare_at or 0,
        real,
        load_at_start,
    )
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
    parser.add_argument(
        "--compare-sets",
        help="vector sets for the IVF/HNSW comparison (e5-like, high-dim, real-derived); "
        "default e5-like,high-dim, plus real-derived with --with-embedding",
    )
    parser.add_argument(
        "--with-embedding",
        action="store_true",
        help="time the real query embedding too, on vectors grown from real chunk embeddings",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    real = load_real_embeddings() if args.with_embedding else None
    default_sets = "e5-like,high-dim" + (",real-derived" if real else "")
    report = run(
        sizes=[int(s) for s in args.sizes.split(",") if s],
        n_queries=args.queries,
        compare_at=None if args.no_compare else args.compare_at,
        sweep=None if args.no_sweep else [int(s) for s in args.sweep.split(",")],
        real=real,
        compare_sets=tuple((args.compare_sets or default_sets).split(",")),
        out=args.out,
    )
    print(report)


if __name__ == "__main__":
    main()
