"""``study ingest``, ``study docs`` and ``study rm``: fill, list and prune the library."""

from __future__ import annotations

import argparse
import sys

from ground.errors import StudyError
from ground.settings import Settings
from index.library import Library
from ingest.report import Status
from ui.commands.search_cmd import last_self_eval
from ui.terminal_progress import terminal_progress
from ui.terminal_text import json_line, terminal_safe

EXIT_SKIPPED = 3
"""``study ingest`` exit status when some files were skipped (the rest were ingested)."""


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
                        help="also remove documents under these PATHs whose files no longer "
                        "exist (documents elsewhere are never touched)")
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
    from assistant.bank import QuestionBank, attach
    from assistant.paragraph_vectors import save_paragraph_vectors

    with Library.open(settings) as library:
        attach(library)  # cards are extracted from the new passages right after the ingest
        with terminal_progress("ingesting", unit="file") as progress, \
                terminal_progress("embedding", unit="chunk") as embed_progress:
            report = library.ingest(args.paths, progress=progress, prune=args.prune,
                                    embed_progress=embed_progress)
        try:  # the notes are in either way: without these, quotes embed paragraphs on demand
            with terminal_progress("preparing quotes", unit="paragraph") as quote_progress:
                save_paragraph_vectors(library, quote_progress)
        except StudyError as error:
            print(f"warning: {terminal_safe(str(error))}", file=sys.stderr)
    for outcome in report.outcomes:
        if args.verbose or outcome.notice or outcome.status in (Status.SKIPPED, Status.REMOVED):
            print(terminal_safe(outcome.line))
    print(report.summary())
    with Library.open(settings) as library, QuestionBank.open(library, sync=False) as bank:
        print(bank.progress().line())
    if figure := last_self_eval(settings):
        print(figure)
    return EXIT_SKIPPED if report.skipped else 0


def docs_command(args: argparse.Namespace, settings: Settings) -> int:
    with Library.open(settings) as library:
        documents = library.documents()
    if args.json:
        for document in documents:
            print(json_line({
                "id": document.id, "title": document.title, "source": document.source,
                "format": document.format, "chunks": document.chunk_count,
                "size": document.size, "sha256": document.sha256,
                "ingested_at": document.ingested_at,
            }))
        return 0
    if not documents:
        print(f"no documents in {settings.home}; add some with 'study ingest PATH'")
        return 0
    rows = [("ID", "CHUNKS", "FORMAT", "TITLE", "PATH")] + [
        (str(d.id), str(d.chunk_count), d.format, terminal_safe(d.title),
         terminal_safe(d.source)) for d in documents
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
    with Library.open(settings) as library:
        removed = library.remove(args.document)
    print(f"removed {terminal_safe(removed.document.source)} ({len(removed.chunk_ids)} chunks)")
    return 0
