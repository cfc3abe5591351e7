"""``study bank`` (status, fill, pause, resume, rejections) and ``study export anki|csv``.

Thin handlers over ``assistant.bank``: the Practice page calls the same objects.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from assistant.bank import QuestionBank
from assistant.bank_export import export_anki, export_csv
from ground.settings import Settings
from ui.terminal_text import terminal_safe


def register(commands: argparse._SubParsersAction) -> None:
    bank = commands.add_parser("bank", help="the verified question bank practice is served from")
    actions = bank.add_subparsers(dest="action", metavar="ACTION")
    bank.set_defaults(handler=status_command)
    actions.add_parser("status", help="what the bank holds (default)").set_defaults(
        handler=status_command)
    fill = actions.add_parser("fill", help="make and verify model items now (loads the LLM)")
    fill.add_argument("--passages", type=int, default=0, help="stop after N passages")
    fill.add_argument("--minutes", type=float, default=0, help="stop after N minutes")
    fill.add_argument("--topic", help="passages on this topic first")
    fill.set_defaults(handler=fill_command)
    actions.add_parser("pause", help="pause the background worker").set_defaults(
        handler=lambda args, settings: pause_command(settings, True))
    actions.add_parser("resume", help="let the background worker go on").set_defaults(
        handler=lambda args, settings: pause_command(settings, False))
    actions.add_parser(
        "reextract", help="make the extracted cards again by this version's rules").set_defaults(
        handler=reextract_command)
    rejected = actions.add_parser("rejections", help="model items the verifier turned down")
    rejected.add_argument("-n", type=int, default=20, help="the last N (default 20)")
    rejected.set_defaults(handler=rejections_command)

    export = commands.add_parser("export", help="export the question bank (Anki or CSV)")
    formats = export.add_subparsers(dest="format", metavar="FORMAT", required=True)
    anki = formats.add_parser("anki", help="an Anki package: one deck per document")
    anki.add_argument("file", help="where to write it (FILE.apkg)")
    anki.set_defaults(handler=export_command, writer=export_anki)
    table = formats.add_parser("csv", help="a CSV file, one row per item")
    table.add_argument("file", help="where to write it")
    table.set_defaults(handler=export_command, writer=export_csv)


def open_bank(settings: Settings) -> QuestionBank:
    from index.library import Library

    return QuestionBank.open(Library.open(settings))


def status_command(args: argparse.Namespace, settings: Settings) -> int:
    with open_bank(settings) as bank:
        progress = bank.progress()
        print(progress.line())
        if bank.store.paused():
            print("the background worker is paused ('study bank resume')")
        print(f"reported as wrong by you: {progress.reported}")
    return 0


def fill_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.bank_worker import BankWorker
    from assistant.generator import open_generator

    bank = open_bank(settings)
    generator = open_generator(settings)
    if not generator.available:
        print(f"error: the model cannot run ({generator.reason})", file=sys.stderr)
        return 1
    if args.topic:
        bank.serve(args.topic, 5)  # asking moves the topic's passages to the front
    worker = BankWorker(bank.library, generator, bank.store, embedder=bank.library.embedder)
    worker.retire_outdated()
    started = time.monotonic()
    done = 0
    stop = threading.Event()
    while not stop.is_set():
        if args.minutes and time.monotonic() - started > args.minutes * 60:
            break
        if args.passages and done >= args.passages:
            break
        if not worker.fill_one(stop):
            break
        done += 1
        print(bank.progress().line(), flush=True)
    print(bank.progress().line())
    return 0


def reextract_command(args: argparse.Namespace, settings: Settings) -> int:
    with open_bank(settings) as bank:
        changed, retired = bank.reextract()
        print(f"{changed} cards added or changed, {retired} retired (review history kept)")
        print(bank.progress().line())
    return 0


def pause_command(settings: Settings, paused: bool) -> int:
    with open_bank(settings) as bank:
        bank.store.set_paused(paused)
    print("question bank worker " + ("paused" if paused else "resumed"))
    return 0


def rejections_command(args: argparse.Namespace, settings: Settings) -> int:
    with open_bank(settings) as bank:
        rejections = bank.store.rejections()[-args.n:] if args.n > 0 else []
        progress = bank.progress()
    for rejection in rejections:
        print(f"{rejection.slot:12} {terminal_safe('; '.join(rejection.reasons))}")
    rate = progress.acceptance_rate
    print(f"{progress.rejected} rejected, {progress.generated} accepted"
          + (f" ({rate:.0%} acceptance)" if rate is not None else ""))
    return 0


def export_command(args: argparse.Namespace, settings: Settings) -> int:
    with open_bank(settings) as bank:
        done = args.writer(bank.store.items("active"), args.file)
    print(f"exported {done.items} items in {done.decks} decks to {done.path}")
    return 0
