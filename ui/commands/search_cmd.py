"""``study search``, ``study eval`` and ``study reindex``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ground.errors import StudyError
from ground.records import Hit
from ground.settings import Settings
from index import evaluation, hybrid
from index.library import Library
from index.self_eval import load_self_eval
from ui.commands.arguments import positive_int
from ui.terminal_progress import terminal_progress
from ui.terminal_text import json_line, terminal_safe

MAX_QUERIES_FILE_BYTES = 16 * 2**20
WEAK_NOTE = "weak match: no passage stands out for this query more than chance would give"


def register(commands: argparse._SubParsersAction) -> None:
    search = commands.add_parser("search", help="find the passages of your notes for a query")
    search.add_argument("query", nargs="?", help="what to look for")
    search.add_argument("-k", type=positive_int, default=None,
                        help="how many hits (default: top_k)")
    search.add_argument("--mode", choices=hybrid.MODES, help="default: search_mode setting")
    search.add_argument("--json", action="store_true", help="one JSON object per query")
    search.add_argument("--queries-file", type=Path,
                        help="one query per line; the model loads once")
    search.set_defaults(handler=search_command)

    evaluate = commands.add_parser("eval", help="measure retrieval quality")
    evaluate.add_argument("file", nargs="?", type=Path, help="questions JSONL with gold sections")
    evaluate.add_argument("--self", dest="self_test", action="store_true",
                          help="self-test: each question heading must find its own passage")
    evaluate.set_defaults(handler=eval_command)

    reindex = commands.add_parser("reindex", help="rebuild the search indexes from the library")
    reindex.set_defaults(handler=reindex_command)


def hit_json(hit: Hit) -> dict:
    chunk = hit.chunk
    return {
        "source": chunk.source, "title": chunk.title, "heading": chunk.heading,
        "start_line": chunk.start_line, "end_line": chunk.end_line, "page": chunk.page,
        "score": round(hit.score, 6), "text": chunk.text,
        "similarity": None if hit.similarity is None else round(hit.similarity, 6),
        "evidence": None if hit.evidence is None else round(hit.evidence, 3),
        "weak": hit.weak,
        "also_in": [{"source": loc.source, "start_line": loc.start_line,
                     "end_line": loc.end_line} for loc in hit.also_in],
    }


def print_hits(query: str, hits: list[Hit]) -> None:
    """Hits as lines of text; every piece of note text and every name through
    ``terminal_safe``. A hit that stands out no more than chance says so (``index.evidence``)."""
    if not hits:
        print(f"no passages found for: {terminal_safe(query)}")
    elif hits[0].weak:
        print(f"{WEAK_NOTE}: {terminal_safe(query)}")
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        where = f"{chunk.source}:{chunk.start_line}-{chunk.end_line}"
        if chunk.page:
            where += f" (page {chunk.page})"
        strength = "" if hit.evidence is None else f"  (stands out {hit.evidence:.1f} sd)"
        strength += "  weak" if hit.weak else ""
        print(f"[{rank}] {hit.score:.4f}{strength}  {terminal_safe(chunk.heading)}")
        print(f"    {terminal_safe(where)}")
        for location in hit.also_in:
            also = f"{location.source}:{location.start_line}-{location.end_line}"
            print(f"    also in {terminal_safe(also)}")
        snippet = " ".join(chunk.text.split())[:160]
        print(f"    {terminal_safe(snippet)}")


def read_queries(path: Path) -> list[str]:
    """The non-blank lines of a queries file; any problem with it is one ``StudyError`` line."""
    try:
        if path.is_dir():
            raise StudyError(f"{path}: is a folder, not a file of queries")
        with open(path, "rb") as stream:
            data = stream.read(MAX_QUERIES_FILE_BYTES + 1)
    except OSError as error:
        raise StudyError(f"{path}: cannot read the queries file ({error.strerror})") from None
    if len(data) > MAX_QUERIES_FILE_BYTES:
        raise StudyError(f"{path}: larger than {MAX_QUERIES_FILE_BYTES >> 20} MB; "
                         "not a file of queries")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StudyError(f"{path}: not UTF-8 text (byte {data[error.start]:#04x} at offset "
                         f"{error.start}); save it as UTF-8") from None
    return [query for query in text.splitlines() if query.strip()]


def search_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.queries_file:
        queries = read_queries(args.queries_file)
    elif args.query is not None:
        queries = [args.query]
    else:
        print("error: give a QUERY or --queries-file", file=sys.stderr)
        return 2
    with Library.open(settings) as library:
        with terminal_progress("embedding", unit="chunk") as progress:
            library.indexes(progress)  # an interrupted ingest's backlog, visibly
        for query in queries:
            hits = library.search(query, k=args.k, mode=args.mode)
            if args.json:
                print(json_line({"query": query, "hits": [hit_json(h) for h in hits]}),
                      flush=True)
            else:
                print_hits(query, hits)
    return 0


def eval_command(args: argparse.Namespace, settings: Settings) -> int:
    if not args.self_test and args.file is None:
        print("error: give a questions FILE or --self", file=sys.stderr)
        return 2
    with Library.open(settings) as library:
        if args.self_test:
            scores = library.self_test()
            print(f"self-test over {scores.questions} question headings: "
                  f"Recall@1 {scores.hit_at_1:.3f}  Recall@5 {scores.hit_at_5:.3f}  "
                  f"MRR@10 {scores.mrr_at_10:.3f}")
            return 0
        questions = evaluation.load_questions(args.file)
        for scores in evaluation.evaluate(
            lambda q, k, mode: library.search(q, k=k, mode=mode), questions, hybrid.MODES
        ):
            print(scores.line())
    return 0


def last_self_eval(settings: Settings) -> str | None:
    scores = load_self_eval(settings.home)
    if scores is None:
        return None
    return (f"last self-test ('study eval --self'): Recall@1 {scores.hit_at_1:.3f}, "
            f"Recall@5 {scores.hit_at_5:.3f} over {scores.questions} questions")


def reindex_command(args: argparse.Namespace, settings: Settings) -> int:
    with Library.open(settings) as library:
        with terminal_progress("embedding", unit="chunk") as progress:
            count = library.reindex(progress)
    print(f"reindexed {count} chunks")
    return 0
