"""``study doctor [--repair] [--json]``: check the library on disk, and rebuild what can be.

Exit status 0 when the library is consistent (notes are fine), 1 when problems remain.
"""

from __future__ import annotations

import argparse

from ground.settings import Settings
from index import doctor
from ui.terminal_progress import terminal_progress
from ui.terminal_text import json_line, terminal_safe

_LABELS = {doctor.OK: "ok", doctor.NOTE: "note", doctor.PROBLEM: "PROBLEM"}


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check the library for consistency (and repair it)",
        description="Check the library database (SQLite integrity, chunk counts), the search "
        "indexes (checksums, model, count and ids against the chunks) and the embedding cache.",
        epilog="exit status: 0 consistent, 1 problems remain",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="rebuild what can be rebuilt from the library database; a damaged "
        "database is moved aside (never deleted) and your notes ingested again",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.set_defaults(handler=doctor_command)


def doctor_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.repair:
        with terminal_progress("rebuilding", unit="chunk") as progress:
            report = doctor.repair(settings, progress)
    else:
        report = doctor.check(settings)
    if args.json:
        print(json_line(report_json(report)))
    else:
        print_report(report)
    return 0 if report.consistent else 1


def report_json(report: doctor.DoctorReport) -> dict:
    return {
        "home": str(report.home),
        "consistent": report.consistent,
        "checks": [{"name": c.name, "status": c.status, "detail": c.detail} for c in report.checks],
        "actions": list(report.actions),
    }


def print_report(report: doctor.DoctorReport) -> None:
    print(f"library: {terminal_safe(report.home)}")
    for action in report.actions:
        print(f"repaired: {terminal_safe(action)}")
    width = max(len(label) for label in _LABELS.values())
    for check in report.checks:
        print(f"{_LABELS[check.status].ljust(width)}  {check.name}: {terminal_safe(check.detail)}")
    if report.consistent:
        print("consistent")
    else:
        print(f"{len(report.problems)} problem(s) remain; run 'study doctor --repair'")
