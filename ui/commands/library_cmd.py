"""``study ingest``, ``study docs`` and ``study rm``: fill, list and prune the library."""

from __future__ import annotations

import argparse
import json

from index.embedding_files import resolve_embedding_model
from ingest.lock import DEFAULT_LOCK_TIMEOUT
from ingest.pipeline import ingest_paths
from ingest.report import Status
from ingest.settings import Settings
from ingest.store import Store
from ingest.token_count import load_token_counter
from ui.progress import terminal_progress

EXIT_SKIPPED = 3
"""``study ingest`` exit status when some files were skipped (the rest were ingested)."""

LOCK_TIMEOUT_SECONDS = DEFAULT_LOCK_TIMEOUT
"""How long a second writer waits for the library before giving up."""


def register(commands: argparse._SubParsersAction) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="add notes to the library (files or folders, recursively)",
        description="Add or update notes: .md .markdown .txt .html .pdf .docx. Unchanged files "
        "are skipped quickly; changed ones are re-chunked.",
        epilog=f"exit status: 0 all files ingested, {EXIT_SKIPPED} some skipped (see the "
        "SKIPPED lines), 1 error",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    ingest.add_argument("--prune", action="store_true",
                        help="also remove documents whose files no longer exist")
    ingest.add_argument("--verbose", "-v", action="store_true",
                        help="print one line per file, not only the skipped ones")
    ingest.set_defaults(handler=ingest_command)

    docs = commands.add_parser("docs", help="list the documents in the library")
    docs.add_argument("--json", action="store_true", help="one JSON object per document")
    docs.set_defaults(handler=docs_command)

    remove = commands.add_parser("rm", help="remove a document from the library")
    remove.add_argument("document", metavar="DOC", help="document id, path or file name")
    remove.set_defaults(handler=rm_command)


def ingest_command(args: argparse.Namespace, settings: Settings) -> int:
    token_counter = load_token_counter(resolve_embedding_model(settings))
    with Store.open(settings.home, lock_timeout=LOCK_TIMEOUT_SECONDS) as store, store.writing():
        with terminal_progress("ingesting", unit="file") as progress:
            report = ingest_paths(store, args.paths, settings, token_counter, progress=progress,
                                  prune=args.prune, max_tokens=token_counter.window)
    for outcome in report.outcomes:
        if args.verbose or outcome.status in (Status.SKIPPED, Status.REMOVED):
            print(outcome.line)
    print(report.summary())
    return EXIT_SKIPPED if report.skipped else 0


def docs_command(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings.home) as store:
        documents = store.documents()
    if args.json:
        for document in documents:
            print(json.dumps({
                "id": document.id, "title": document.title, "source": document.source,
                "format": document.format, "chunks": document.chunk_count,
                "size": document.size, "sha256": document.sha256,
                "ingested_at": document.ingested_at,
            }, ensure_ascii=False))
        return 0
    if not documents:
        print(f"no documents in {settings.home}; add some with 'study ingest PATH'")
        return 0
    rows = [("ID", "CHUNKS", "FORMAT", "TITLE", "PATH")] + [
        (str(d.id), str(d.chunk_count), d.format, d.title, d.source) for d in documents
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[0].rjust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]),
                 row[3].ljust(widths[3]), row[4]]
        print("  ".join(cells))
    total = sum(d.chunk_count for d in documents)
    print(f"{len(documents)} documents, {total} chunks")
    return 0


def rm_command(args: argparse.Namespace, settings: Settings) -> int:
    with Store.open(settings.home, lock_timeout=LOCK_TIMEOUT_SECONDS) as store:
        removed = store.remove_document(args.document)
    print(f"removed {removed.document.source} ({len(removed.chunk_ids)} chunks)")
    return 0
