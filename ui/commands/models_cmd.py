"""``study models``: show the installed models; ``study models install``: (re)provision them."""

from __future__ import annotations

import argparse
import json

import models
from ground.settings import Settings
from models import ModelStatus, human_size
from ui.terminal_progress import terminal_progress


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("models", help="show or install the LLM and embedding models")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    parser.set_defaults(handler=show_models)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    install = actions.add_parser("install", help="assemble and convert the bundled models")
    install.add_argument("--only", choices=models.GROUPS, help="install just one model")
    install.set_defaults(handler=install_models)


def show_models(args: argparse.Namespace, settings: Settings) -> int:
    statuses = models.status(settings)
    if args.json:
        for status in statuses:
            print(json.dumps(_as_json(status), ensure_ascii=False))
    else:
        print(f"model cache: {settings.model_cache}")
        header = ("ROLE", "STATE", "SIZE", "SHA256", "NAME", "PATH")
        rows = [header] + [
            (s.role, s.state, human_size(s.size_bytes), s.sha256[:16] or "-", s.name, str(s.path))
            for s in statuses
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        for row in rows:
            padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            print("  ".join(padded) + "  " + row[-1])
        for status in statuses:
            if status.detail:
                print(f"{status.role}: {status.detail}")
    return 0 if all(s.usable for s in statuses) else 1


def install_models(args: argparse.Namespace, settings: Settings) -> int:
    models.install(
        settings,
        progress=lambda step: terminal_progress(step.description, unit=step.unit),
        only=args.only,
        on_ready=lambda step, path: print(f"{step.ready} ready: {path}"),
    )
    return 0


def _as_json(status: ModelStatus) -> dict:
    return {
        "name": status.name,
        "role": status.role,
        "state": status.state,
        "path": str(status.path),
        "size_bytes": status.size_bytes,
        "sha256": status.sha256,
        "detail": status.detail,
    }
