"""Commands whose feature has not landed yet: they say so and exit 2."""

from __future__ import annotations

import argparse

from ingest.errors import NotYetAvailableError
from ingest.settings import Settings

PLANNED = {
    "doctor": ("check the library for consistency", "the reliability work"),
}


def register(commands: argparse._SubParsersAction) -> None:
    for name, (summary, feature) in PLANNED.items():
        parser = commands.add_parser(name, help=f"{summary} (not available yet)")
        parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(handler=_not_yet(name, feature))


def _not_yet(name: str, feature: str):
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        raise NotYetAvailableError(
            f"'study {name}' is not available yet: it arrives with {feature}"
        )

    return handler
